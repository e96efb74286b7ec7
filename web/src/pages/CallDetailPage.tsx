/** One call's log as a timeline: each applet entered, its exit and timing, and the SMS it produced. */

import { Link } from '../components/Shell.tsx';
import { ErrorAlert, Loading, PageHeader, StatusBadge } from '../components/ui.tsx';
import { callsApi } from '../lib/flows-api.ts';
import { formatDateTime, formatDuration, formatTime } from '../lib/format.ts';
import { useAsync } from '../lib/use-async.ts';

function DetailValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <>—</>;
  if (typeof value === 'object') return <code>{JSON.stringify(value)}</code>;
  return <>{String(value)}</>;
}

export function CallDetailPage({ callSid }: { callSid: string }) {
  const call = useAsync((signal) => callsApi.get(callSid, signal), [callSid]);
  const c = call.data;
  const steps = c?.log.steps ?? [];
  const smsLog = c?.log.sms ?? [];
  const statusOf = new Map((c?.sms ?? []).map((m) => [m.sid, m.status]));
  return (
    <div className="page">
      <PageHeader title="Call">
        <Link to="/calls">All calls</Link>
      </PageHeader>
      <ErrorAlert error={call.error} />
      {call.loading && !c ? <Loading /> : null}
      {c ? (
        <div className="grid-2">
          <section className="card">
            <h2>Summary</h2>
            <dl className="props">
              <dt>CallSid</dt>
              <dd className="mono">{c.sid}</dd>
              <dt>From</dt>
              <dd className="mono">{c.from}</dd>
              <dt>ExoPhone</dt>
              <dd className="mono">{c.to}</dd>
              <dt>Flow</dt>
              <dd>
                <Link to={`/flows/${encodeURIComponent(c.flowId)}`}>{c.flowId}</Link> v
                {c.flowVersion}
              </dd>
              <dt>Started</dt>
              <dd>{formatDateTime(c.startedAt)}</dd>
              <dt>Ended</dt>
              <dd>
                {c.endedAt
                  ? `${formatDateTime(c.endedAt)} (${formatDuration(c.startedAt, c.endedAt)})`
                  : 'in progress'}
              </dd>
              <dt>Origin</dt>
              <dd>
                {c.origin?.kind === 'sip'
                  ? `SIP, ${c.origin.via} ${c.origin.name} · ${c.origin.codec} from ${c.origin.remoteAddress}`
                  : c.origin?.kind === 'browser'
                    ? `browser test call (microphone, WebRTC) · ${c.origin.codec} from ${c.origin.remoteAddress}`
                    : 'test call (simulator)'}
              </dd>
              {c.origin ? (
                <>
                  {c.origin.kind === 'sip' ? (
                    <>
                      <dt>SIP Call-ID</dt>
                      <dd className="mono">{c.origin.sipCallId}</dd>
                    </>
                  ) : null}
                  <dt>Answered</dt>
                  <dd>
                    {formatDateTime(c.origin.answeredAt)}
                    {c.origin.durationSeconds === undefined
                      ? ''
                      : ` (${c.origin.durationSeconds} s to the end)`}
                  </dd>
                </>
              ) : null}
              <dt>Ended by</dt>
              <dd>
                {c.endReason ?? '—'}
                {c.log.endCode ? ` · ${c.log.endCode}` : ''}
                {c.log.endMessage ? ` · ${c.log.endMessage}` : ''}
              </dd>
            </dl>
            <h2 style={{ marginTop: 16 }}>SMS</h2>
            {smsLog.length === 0 ? <p className="muted">This call sent no SMS.</p> : null}
            <ul>
              {smsLog.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: one entry per SMS applet run.
                <li key={i}>
                  <strong>{s.appletId}</strong> to <span className="mono">{s.to ?? '—'}</span>:{' '}
                  {s.sid ? (
                    <>
                      <Link to={`/sms/${s.sid}`}>{s.sid}</Link>{' '}
                      <StatusBadge status={statusOf.get(s.sid) ?? 'queued'} />
                    </>
                  ) : (
                    <span className="error">
                      {s.code}: {s.message}
                    </span>
                  )}
                  <div className="small muted">{s.body}</div>
                </li>
              ))}
            </ul>
          </section>
          <section className="card">
            <h2>Timeline</h2>
            <ol className="timeline" aria-label="Applets the call passed">
              {c.status === 'in-progress' ? (
                <li>The call is in progress; its log is kept when it ends.</li>
              ) : null}
              {steps.map((step, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: a call may pass the same applet twice.
                <li key={i} className={step.detail?.interrupted ? 'failed' : ''}>
                  <div>
                    <strong>{step.appletId}</strong> <span className="muted">{step.type}</span>
                    {step.exit ? (
                      <>
                        {' '}
                        → exit <code>{step.exit}</code>
                      </>
                    ) : null}
                  </div>
                  <div className="small muted">
                    {formatTime(step.enteredAt)} ·{' '}
                    {formatDuration(step.enteredAt, step.leftAt) || 'running'}
                  </div>
                  {step.detail ? (
                    <dl className="props small">
                      {Object.entries(step.detail).map(([k, v]) => (
                        <div key={k} style={{ display: 'contents' }}>
                          <dt>{k}</dt>
                          <dd>
                            <DetailValue value={v} />
                          </dd>
                        </div>
                      ))}
                    </dl>
                  ) : null}
                </li>
              ))}
            </ol>
          </section>
        </div>
      ) : null}
    </div>
  );
}
