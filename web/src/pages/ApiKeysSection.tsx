/** API keys: create one (its token is shown once), revoke one. */

import { type FormEvent, useState } from 'react';
import { ErrorAlert, StatusBadge, TextField } from '../components/ui.tsx';
import { accountApi, type NewApiKey } from '../lib/account-api.ts';
import { formatDateTime } from '../lib/format.ts';
import { toast } from '../lib/toast.ts';
import { useAsync } from '../lib/use-async.ts';

export function ApiKeysSection() {
  const keys = useAsync((signal) => accountApi.keys(signal), []);
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<NewApiKey | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      setCreated(await accountApi.createKey(label.trim()));
      setLabel('');
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function revoke(id: string, key: string) {
    if (!window.confirm(`Revoke API key ${key}? Programs using it stop working at once.`)) return;
    setError(null);
    try {
      await accountApi.revokeKey(id);
      toast(`Key ${key} revoked.`);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="card" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <ErrorAlert error={keys.error} />
      {keys.data ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Label</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((k) => (
              <tr key={k.id}>
                <td className="mono">{k.key}</td>
                <td>{k.label || '—'}</td>
                <td>{formatDateTime(k.createdAt)}</td>
                <td>
                  <StatusBadge status={k.revokedAt ? 'revoked' : 'active'} />
                </td>
                <td>
                  {k.revokedAt ? null : (
                    <button
                      type="button"
                      className="btn small danger"
                      onClick={() => void revoke(k.id, k.key)}
                      aria-label={`Revoke ${k.key}`}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {created ? (
        <div className="alert success" role="status" style={{ marginTop: 12 }}>
          <strong>New key created.</strong> Copy the token now: it is not shown again.
          <dl className="props" style={{ marginTop: 8 }}>
            <dt>Key</dt>
            <dd className="mono" data-testid="new-key">
              {created.key}
            </dd>
            <dt>Token</dt>
            <dd className="mono" data-testid="new-token">
              {created.token}
            </dd>
          </dl>
        </div>
      ) : null}
      <form className="filters" onSubmit={create} style={{ marginTop: 12, marginBottom: 0 }}>
        <TextField
          label="Label for a new key"
          value={label}
          onChange={setLabel}
          placeholder="e.g. CRM integration"
        />
        <button type="submit" className="btn primary">
          Create API key
        </button>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
