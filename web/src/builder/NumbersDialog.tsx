/** Assigns ExoPhones to the flow: calls to an assigned number run the flow's published version. */

import { useEffect, useRef, useState } from 'react';
import { ErrorAlert, Loading } from '../components/ui.tsx';
import { type ExoPhone, numbersApi } from '../lib/flows-api.ts';
import { toast } from '../lib/toast.ts';
import { useAsync } from '../lib/use-async.ts';

export function NumbersDialog({ flowId, onClose }: { flowId: string; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const numbers = useAsync((signal) => numbersApi.list(signal), []);
  const [pending, setPending] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  async function assign(phone: ExoPhone, to: string | null) {
    setPending(phone.number);
    try {
      const updated = await numbersApi.assign(phone.number, to);
      numbers.setData({
        items: (numbers.data?.items ?? []).map((p) =>
          p.number === phone.number ? { ...p, ...updated } : p,
        ),
      });
      toast(to ? `${phone.number} now runs this flow.` : `${phone.number} unassigned.`);
    } catch (error) {
      toast(`Could not change ${phone.number}: ${(error as Error).message}`, 'error');
    } finally {
      setPending(null);
    }
  }

  return (
    <dialog ref={ref} className="modal" aria-labelledby="numbers-title" onClose={onClose}>
      <h2 id="numbers-title">ExoPhones</h2>
      <p className="muted small">Calls to an assigned number run this flow's published version.</p>
      {numbers.loading && !numbers.data ? <Loading /> : null}
      <ErrorAlert error={numbers.error} />
      {numbers.data && numbers.data.items.length === 0 ? (
        <p>No ExoPhones in this account yet.</p>
      ) : null}
      {numbers.data && numbers.data.items.length > 0 ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Runs</th>
              <th scope="col">
                <span className="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {numbers.data.items.map((phone) => {
              const mine = phone.flowId === flowId;
              return (
                <tr key={phone.number}>
                  <td className="mono">{phone.number}</td>
                  <td>
                    {mine ? (
                      'this flow'
                    ) : phone.flowId ? (
                      <span className="mono">{phone.flowId}</span>
                    ) : (
                      'nothing'
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      className={`btn small ${mine ? 'danger' : ''}`}
                      disabled={pending === phone.number}
                      onClick={() => void assign(phone, mine ? null : flowId)}
                      aria-label={
                        mine ? `Unassign ${phone.number}` : `Assign ${phone.number} to this flow`
                      }
                    >
                      {mine ? 'Unassign' : 'Assign'}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      <div className="row end" style={{ marginTop: 16 }}>
        <button type="button" className="btn" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}
