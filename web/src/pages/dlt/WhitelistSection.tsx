/** The URLs and callback numbers an entity has whitelisted for {#url#}, {#urlott#} and {#cbn#}. */

import { type FormEvent, useState } from 'react';
import { ErrorAlert, SelectField, TextField } from '../../components/ui.tsx';
import { dltApi } from '../../lib/dlt-api.ts';
import { toast } from '../../lib/toast.ts';
import { useAsync } from '../../lib/use-async.ts';

export function WhitelistSection({ entityId }: { entityId: string }) {
  const entries = useAsync((signal) => dltApi.whitelist(entityId, signal), [entityId]);
  const [kind, setKind] = useState<'url' | 'cbn'>('url');
  const [value, setValue] = useState('');
  const [error, setError] = useState<unknown>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await dltApi.addWhitelist(entityId, kind, value.trim());
      setValue('');
      entries.reload();
    } catch (err) {
      setError(err);
    }
  }

  async function remove(k: 'url' | 'cbn', v: string) {
    try {
      await dltApi.removeWhitelist(entityId, k, v);
      toast(`${v} removed from the whitelist.`);
      entries.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="card" aria-labelledby="whitelist-title">
      <h2 id="whitelist-title">Whitelist</h2>
      <ErrorAlert error={entries.error} />
      {entries.data && entries.data.items.length === 0 ? (
        <p className="muted">Nothing whitelisted.</p>
      ) : null}
      {entries.data && entries.data.items.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.data.items.map((e) => (
              <tr key={`${e.kind}:${e.value}`}>
                <td>{e.kind === 'url' ? 'URL' : 'Callback number'}</td>
                <td className="mono">{e.value}</td>
                <td>
                  <button
                    type="button"
                    className="btn small danger"
                    onClick={() => void remove(e.kind, e.value)}
                    aria-label={`Remove ${e.value}`}
                  >
                    Remove
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
        aria-label="Whitelist a value"
        style={{ marginTop: 12, marginBottom: 0 }}
      >
        <SelectField
          label="Kind"
          value={kind}
          onChange={(v) => setKind(v as 'url' | 'cbn')}
          options={[
            { value: 'url', label: 'URL' },
            { value: 'cbn', label: 'Callback number' },
          ]}
        />
        <TextField
          label="Value"
          value={value}
          onChange={setValue}
          placeholder={kind === 'url' ? 'https://acme.com/' : '18001234567'}
          required
        />
        <button type="submit" className="btn" disabled={!value}>
          Whitelist
        </button>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
