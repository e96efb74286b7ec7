/** DND: look up a number's NCPR preferences, set or remove them, and import a list. */

import { type FormEvent, useState } from 'react';
import { ErrorAlert, PageHeader, TextField } from '../components/ui.tsx';
import { ApiError, api } from '../lib/api.ts';
import { formatDateTime } from '../lib/format.ts';
import { toast } from '../lib/toast.ts';
import { DndImport } from './DndImport.tsx';

interface DndRecord {
  number: string;
  preferences: number[];
  updatedAt: string;
}

/** NCPR preference categories (TCCCPR 2018). */
export const DND_CATEGORIES: { value: number; label: string }[] = [
  { value: 0, label: 'Fully blocked (all categories)' },
  { value: 1, label: 'Banking, insurance, financial products, credit cards' },
  { value: 2, label: 'Real estate' },
  { value: 3, label: 'Education' },
  { value: 4, label: 'Health' },
  { value: 5, label: 'Consumer goods and automobiles' },
  { value: 6, label: 'Communication, broadcasting, entertainment, IT' },
  { value: 7, label: 'Tourism and leisure' },
];

const path = (number: string) => `/api/v1/dnd/${encodeURIComponent(number)}`;

export function DndPage() {
  const [number, setNumber] = useState('');
  const [record, setRecord] = useState<DndRecord | null | undefined>(undefined);
  const [preferences, setPreferences] = useState<number[]>([]);
  const [error, setError] = useState<unknown>(null);

  async function lookUp(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const found = await api.get<DndRecord>(path(number.trim()));
      setRecord(found);
      setPreferences(found.preferences);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404 && err.code === 'NOT_FOUND') {
        setRecord(null);
        setPreferences([]);
      } else {
        setRecord(undefined);
        setError(err);
      }
    }
  }

  async function save() {
    setError(null);
    try {
      const saved = await api.put<DndRecord>(path(number.trim()), { preferences });
      setRecord(saved);
      toast(`DND preferences of ${saved.number} saved.`);
    } catch (err) {
      setError(err);
    }
  }

  async function remove() {
    if (!record) return;
    try {
      await api.delete(path(record.number));
      toast(`${record.number} removed from the DND list.`);
      setRecord(null);
      setPreferences([]);
    } catch (err) {
      setError(err);
    }
  }

  const toggle = (value: number) =>
    setPreferences((p) =>
      p.includes(value) ? p.filter((v) => v !== value) : [...p, value].sort((a, b) => a - b),
    );

  return (
    <div className="page">
      <PageHeader title="DND" />
      <div className="grid-2">
        <section className="card" aria-labelledby="dnd-lookup-title">
          <h2 id="dnd-lookup-title">Look up a number</h2>
          <form className="filters" onSubmit={lookUp} style={{ marginBottom: 8 }}>
            <TextField
              label="Phone number"
              type="tel"
              value={number}
              onChange={setNumber}
              placeholder="+919876543210"
              required
            />
            <button type="submit" className="btn primary" disabled={!number.trim()}>
              Look up
            </button>
          </form>
          <ErrorAlert error={error} />
          {record === null ? (
            <p data-testid="dnd-result">Not on the DND list: every category may be sent to it.</p>
          ) : null}
          {record ? (
            <p data-testid="dnd-result">
              <span className="mono">{record.number}</span>:{' '}
              {record.preferences.length === 0
                ? 'registered without preferences'
                : record.preferences.includes(0)
                  ? 'fully blocked'
                  : `blocks categories ${record.preferences.join(', ')}`}
              <span className="muted small"> · updated {formatDateTime(record.updatedAt)}</span>
            </p>
          ) : null}
          {record !== undefined ? (
            <fieldset>
              <legend>Blocked categories</legend>
              {DND_CATEGORIES.map((c) => (
                <label key={c.value} className="row">
                  <input
                    type="checkbox"
                    checked={preferences.includes(c.value)}
                    onChange={() => toggle(c.value)}
                  />
                  {c.value}: {c.label}
                </label>
              ))}
              <div className="row">
                <button type="button" className="btn primary" onClick={() => void save()}>
                  Save preferences
                </button>
                {record ? (
                  <button type="button" className="btn danger" onClick={() => void remove()}>
                    Remove from list
                  </button>
                ) : null}
              </div>
            </fieldset>
          ) : null}
        </section>
        <DndImport />
      </div>
    </div>
  );
}
