/** The headers (sender IDs) registered to one entity, with the SMS type each is for. */

import { type FormEvent, useState } from 'react';
import { SMS_TYPES } from '../../../../src/store/types.ts';
import { ErrorAlert, SelectField, StatusBadge, TextField } from '../../components/ui.tsx';
import { dltApi, type SmsType } from '../../lib/dlt-api.ts';
import { toast } from '../../lib/toast.ts';
import { useAsync } from '../../lib/use-async.ts';

export function HeadersSection({ entityId }: { entityId: string }) {
  const headers = useAsync((signal) => dltApi.headers(entityId, signal), [entityId]);
  const [senderId, setSenderId] = useState('');
  const [smsType, setSmsType] = useState<SmsType>('transactional');
  const [error, setError] = useState<unknown>(null);

  async function add(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await dltApi.saveHeader(entityId, { senderId: senderId.trim(), smsType });
      toast(`Header ${senderId} registered.`);
      setSenderId('');
      headers.reload();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section className="card" aria-labelledby="headers-title">
      <h2 id="headers-title">
        Headers of <span className="mono">{entityId}</span>
      </h2>
      <ErrorAlert error={headers.error} />
      {headers.data && headers.data.items.length === 0 ? (
        <p className="muted">No headers yet.</p>
      ) : null}
      {headers.data && headers.data.items.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Sender ID</th>
              <th scope="col">SMS type</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {headers.data.items.map((h) => (
              <tr key={h.senderId}>
                <td className="mono">{h.senderId}</td>
                <td>{h.smsType}</td>
                <td>
                  <StatusBadge status={h.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        className="filters"
        onSubmit={add}
        aria-label="Register a header"
        style={{ marginTop: 12, marginBottom: 0 }}
      >
        <TextField
          label="Sender ID"
          value={senderId}
          onChange={setSenderId}
          hint="6 letters, e.g. ACMECO"
          required
        />
        <SelectField
          label="SMS type"
          value={smsType}
          onChange={(v) => setSmsType(v as SmsType)}
          options={SMS_TYPES}
        />
        <button type="submit" className="btn" disabled={!senderId}>
          Add header
        </button>
      </form>
      <ErrorAlert error={error} />
    </section>
  );
}
