/** The test call as it runs: the applets it passed, how it ended, and its SMS with their live status. */

import { StatusBadge } from '../components/ui.tsx';
import type { CallRecord } from '../lib/flows-api.ts';
import { formatDuration } from '../lib/format.ts';
import type { MessageDetail } from '../lib/sms-api.ts';

export function TestCallProgress({
  call,
  shown,
  messages,
}: {
  call: CallRecord;
  shown: number;
  messages: Record<string, MessageDetail>;
}) {
  const all = call.log.steps ?? [];
  const steps = all.slice(0, shown);
  const smsShown = (call.log.sms ?? []).filter((s) =>
    steps.some((step) => step.appletId === s.appletId),
  );
  const ended = call.status === 'completed' && shown >= all.length;
  return (
    <section aria-label="Call progress" aria-live="polite">
      <h3>
        Call <span className="mono small">{call.sid.slice(0, 12)}…</span>
      </h3>
      {call.status === 'in-progress' && all.length === 0 ? (
        <p className="small muted">Ringing…</p>
      ) : null}
      <ol className="timeline">
        {steps.map((step, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a call may pass the same applet twice.
          <li key={i}>
            <strong>{step.appletId}</strong> <span className="muted">({step.type})</span>
            {step.exit ? <> → {step.exit}</> : null}{' '}
            <span className="muted small">{formatDuration(step.enteredAt, step.leftAt)}</span>
          </li>
        ))}
      </ol>
      {ended ? (
        <p className="small" data-testid="call-ended">
          Call ended: {call.endReason}
          {call.log.endCode ? ` (${call.log.endCode})` : ''}
        </p>
      ) : null}
      {smsShown.map((entry, i) => {
        const message = entry.sid
          ? (messages[entry.sid] ?? call.sms.find((m) => m.sid === entry.sid))
          : undefined;
        const transitions =
          message && 'transitions' in message ? (message as MessageDetail).transitions : undefined;
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: one entry per SMS applet run.
          <div key={i} className="card test-sms" data-testid="test-sms">
            <div className="row between">
              <strong>SMS from {entry.appletId}</strong>
              <span data-testid="test-sms-status">
                <StatusBadge status={entry.code ? 'failed' : (message?.status ?? 'queued')} />
              </span>
            </div>
            <div className="small">To {entry.to}</div>
            <div className="small">{entry.body}</div>
            {entry.code ? (
              <div className="small error">
                {entry.code}: {entry.message}
              </div>
            ) : null}
            {message?.reasonCode ? (
              <div className="small error">
                {message.reasonCode}: {message.reasonDescription}
              </div>
            ) : null}
            {message ? (
              <div className="small muted">
                {transitions ? `${transitions.map((t) => t.status).join(' → ')} · ` : ''}
                {message.segments} segment{message.segments === 1 ? '' : 's'}
              </div>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}
