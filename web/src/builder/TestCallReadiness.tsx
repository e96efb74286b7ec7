/** What a test call needs before it can run: the flow saved, that version live, an ExoPhone. */

import { type FormEvent, useState } from 'react';
import { TextField } from '../components/ui.tsx';
import { type ExoPhone, numbersApi } from '../lib/flows-api.ts';
import { toast } from '../lib/toast.ts';
import type { TestCallPanelProps } from './TestCallPanel.tsx';

function Check({ ok, children }: { ok: boolean; children: React.ReactNode }) {
  return (
    <li className={ok ? 'ok' : 'pending'}>
      <span aria-hidden="true">{ok ? '✓' : '○'}</span> {children}
    </li>
  );
}

export function TestCallReadiness({
  saved,
  dirty,
  errorCount,
  onSave,
  onPublish,
  numbers,
  onNumbersChanged,
}: TestCallPanelProps & { numbers: ExoPhone[]; onNumbersChanged: () => void }) {
  const [newNumber, setNewNumber] = useState('');
  const [busy, setBusy] = useState(false);
  const isSaved = saved !== null && !dirty;
  const isLive = isSaved && saved.liveVersion === saved.version;
  const mine = saved ? numbers.filter((n) => n.flowId === saved.id) : [];
  const free = numbers.filter((n) => n.flowId === null);

  async function assign(number: string, event?: FormEvent) {
    event?.preventDefault();
    if (!saved) return;
    setBusy(true);
    try {
      await numbersApi.assign(number, saved.id);
      toast(`${number} now runs this flow.`);
      setNewNumber('');
      onNumbersChanged();
    } catch (err) {
      toast(`Could not assign ${number}: ${(err as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="readiness">
      <ul className="checklist" aria-label="Before a test call">
        <Check ok={isSaved}>
          Saved{' '}
          {!isSaved ? (
            <button type="button" className="btn small" onClick={() => void onSave()}>
              Save
            </button>
          ) : null}
        </Check>
        <Check ok={isLive}>
          {isLive ? `Version ${saved.version} is live` : 'Published'}{' '}
          {isSaved && !isLive ? (
            <button
              type="button"
              className="btn small"
              onClick={() => void onPublish()}
              disabled={errorCount > 0}
            >
              Publish
            </button>
          ) : null}
          {errorCount > 0 ? <span className="small muted"> (fix the errors first)</span> : null}
        </Check>
        <Check ok={mine.length > 0}>
          {mine.length > 0
            ? `ExoPhone ${mine.map((n) => n.number).join(', ')}`
            : 'An ExoPhone runs this flow'}
        </Check>
      </ul>
      {saved && mine.length === 0 ? (
        <div className="stack">
          {free.length > 0 ? (
            <div className="row">
              {free.map((n) => (
                <button
                  key={n.number}
                  type="button"
                  className="btn small"
                  disabled={busy}
                  onClick={() => void assign(n.number)}
                >
                  Assign {n.number}
                </button>
              ))}
            </div>
          ) : null}
          <form
            className="row"
            onSubmit={(e) => void assign(newNumber.trim(), e)}
            style={{ alignItems: 'flex-end' }}
          >
            <TextField
              label="New ExoPhone"
              type="tel"
              value={newNumber}
              onChange={setNewNumber}
              placeholder="+914412345678"
            />
            <button
              type="submit"
              className="btn small"
              disabled={busy || !/^\+[1-9][0-9]{6,14}$/.test(newNumber.trim())}
            >
              Add and assign
            </button>
          </form>
        </div>
      ) : null}
    </div>
  );
}
