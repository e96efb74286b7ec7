/** One message: what was sent, its timeline of transitions, its parts, and why it failed. */

import { useEffect } from 'react';
import { Link } from '../components/Shell.tsx';
import { ErrorAlert, Loading, PageHeader, StatusBadge } from '../components/ui.tsx';
import { formatDateTime, formatPaise } from '../lib/format.ts';
import { FINAL_STATUSES, smsApi } from '../lib/sms-api.ts';
import { useAsync } from '../lib/use-async.ts';

export function SmsDetailPage({ sid }: { sid: string }) {
  const message = useAsync((signal) => smsApi.get(sid, signal), [sid]);
  const m = message.data;

  // A message still on its way is refreshed until it settles.
  useEffect(() => {
    if (!m || FINAL_STATUSES.has(m.status)) return;
    const timer = setTimeout(message.reload, 1000);
    return () => clearTimeout(timer);
  }, [m, message.reload]);

  return (
    <div className="page">
      <PageHeader title="SMS">
        <Link to="/sms">All SMS</Link>
      </PageHeader>
      <ErrorAlert error={message.error} />
      {message.loading && !m ? <Loading /> : null}
      {m ? (
        <div className="grid-2">
          <section className="card">
            <h2>
              Message <StatusBadge status={m.status} />
            </h2>
            {m.reasonCode ? (
              <div className="alert danger" style={{ marginBottom: 12 }}>
                <code>{m.reasonCode}</code> {m.reasonDescription}
              </div>
            ) : null}
            <dl className="props">
              <dt>SmsSid</dt>
              <dd className="mono">{m.sid}</dd>
              <dt>To</dt>
              <dd className="mono">{m.to}</dd>
              <dt>Sender ID</dt>
              <dd className="mono">{m.from}</dd>
              <dt>Body</dt>
              <dd style={{ whiteSpace: 'pre-wrap' }}>{m.body}</dd>
              <dt>Type</dt>
              <dd>{m.smsType}</dd>
              <dt>Encoding</dt>
              <dd>
                {m.encoding}, {m.segments} segment{m.segments === 1 ? '' : 's'}
              </dd>
              <dt>Price</dt>
              <dd>{formatPaise(m.pricePaise)}</dd>
              <dt>DLT entity</dt>
              <dd className="mono">{m.dltEntityId}</dd>
              <dt>DLT template</dt>
              <dd className="mono">{m.dltTemplateId}</dd>
              <dt>Carrier</dt>
              <dd>{m.carrier ?? '—'}</dd>
              <dt>Origin</dt>
              <dd>
                {m.origin.kind}
                {m.origin.callSid ? (
                  <>
                    {' '}
                    · <Link to={`/calls/${m.origin.callSid}`}>call</Link> · applet{' '}
                    {m.origin.appletId}
                  </>
                ) : null}
              </dd>
              <dt>Custom field</dt>
              <dd>{m.customField ?? '—'}</dd>
            </dl>
          </section>
          <div>
            <section className="card">
              <h2>Timeline</h2>
              <ol className="timeline" aria-label="Status transitions">
                {m.transitions.map((t) => (
                  <li
                    key={`${t.status}@${t.at}`}
                    className={t.status === 'delivered' ? 'ok' : t.reasonCode ? 'failed' : ''}
                  >
                    <StatusBadge status={t.status} />{' '}
                    <span className="small">{formatDateTime(t.at)}</span>
                    {t.reasonCode ? <div className="small">{t.reasonCode}</div> : null}
                    {t.detail ? <div className="small muted">{t.detail}</div> : null}
                  </li>
                ))}
              </ol>
            </section>
            <section className="card">
              <h2>Parts</h2>
              {m.parts.length === 0 ? (
                <p className="muted">Not submitted to a carrier.</p>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Carrier message ID</th>
                      <th scope="col">State</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.parts.map((p) => (
                      <tr key={p.seq}>
                        <td>{p.seq}</td>
                        <td className="mono">{p.carrierMessageId}</td>
                        <td>{p.state}</td>
                        <td>{p.errorCode ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </div>
        </div>
      ) : null}
    </div>
  );
}
