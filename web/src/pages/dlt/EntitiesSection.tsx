/** Registered entities (PEs): choose one to see its headers and whitelist, or register another. */

import { type FormEvent, useState } from 'react';
import { ErrorAlert, StatusBadge, TextField } from '../../components/ui.tsx';
import { type DltEntity, dltApi } from '../../lib/dlt-api.ts';
import { toast } from '../../lib/toast.ts';

export function EntitiesSection({
  entities,
  selected,
  onSelect,
  onChanged,
}: {
  entities: DltEntity[];
  selected: string | null;
  onSelect: (entityId: string) => void;
  onChanged: () => void;
}) {
  const [entityId, setEntityId] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await dltApi.saveEntity({ entityId: entityId.trim(), name: name.trim() });
      toast(`Entity ${entityId} registered.`);
      setEntityId('');
      setName('');
      onChanged();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="card" aria-labelledby="entities-title">
      <h2 id="entities-title">Entities</h2>
      {entities.length === 0 ? <p className="muted">No entity registered yet.</p> : null}
      {entities.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Entity ID</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">TM chain</th>
              <th scope="col">
                <span className="visually-hidden">Show</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entities.map((e) => (
              <tr key={e.entityId} aria-selected={e.entityId === selected}>
                <td className="mono">{e.entityId}</td>
                <td>{e.name}</td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td className="mono small">{e.tmChain.join(' → ') || '—'}</td>
                <td>
                  <button
                    type="button"
                    className="btn small"
                    aria-pressed={e.entityId === selected}
                    onClick={() => onSelect(e.entityId)}
                  >
                    {e.entityId === selected ? 'Shown' : 'Show headers'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        className="filters"
        onSubmit={add}
        aria-label="Register an entity"
        style={{ marginTop: 12, marginBottom: 0 }}
      >
        <TextField
          label="Entity ID"
          value={entityId}
          onChange={setEntityId}
          hint="12 to 19 digits"
          required
        />
        <TextField label="Entity name" value={name} onChange={setName} required />
        <button type="submit" className="btn" disabled={!entityId || !name}>
          Register entity
        </button>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
