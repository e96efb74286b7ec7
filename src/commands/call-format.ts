/**
 * How `callflow call` prints a call: one line per applet with its start time, exit, duration and
 * what it did (who answered, the keys pressed, the Passthru answer, the SMS it queued), then one
 * line per status change of each SMS. Reads the API's call and message resources as JSON.
 */

import type { CallLog, CallStep } from '../flows/runtime.ts';

/** GET/POST /api/v1/calls answers (only what is printed). */
export interface CallView {
  sid: string;
  flowId: string;
  flowVersion: number;
  from: string;
  to: string;
  endReason: string | null;
  log: CallLog;
}

/** GET /api/v1/sms/:sid answers (only what is printed). */
export interface SmsView {
  sid: string;
  to: string;
  body: string;
  status: string;
  reasonCode: string | null;
  createdAt: string;
  origin: { appletId?: string };
  transitions?: { status: string; at: string; reasonCode: string | null; detail: string | null }[];
}

const secondsBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
const s = (n: number) => `${n.toFixed(1)}s`;

export function formatCall(call: CallView, flowName: string | undefined): string {
  const { log } = call;
  const flow = flowName ? `"${flowName}" ` : '';
  const lines = [
    `call ${call.sid}  ${call.from} → ${call.to}  flow ${flow}(${call.flowId} v${call.flowVersion})`,
  ];
  const idWidth = Math.max(6, ...log.steps.map((step) => step.appletId.length));
  const typeWidth = Math.max(8, ...log.steps.map((step) => step.type.length));
  const exitWidth = Math.max(7, ...log.steps.map((step) => (step.exit ?? '■').length));
  for (const step of log.steps) {
    const at = s(secondsBetween(log.startedAt, step.enteredAt)).padStart(7);
    const exit = step.exit === null ? '■' : step.exit;
    const took = s(step.durationMs / 1000).padStart(7);
    const what = describeStep(step, log);
    lines.push(
      `${at}  ${step.appletId.padEnd(idWidth)}  ${step.type.padEnd(typeWidth)}  → ${exit.padEnd(exitWidth)} ${took}${what ? `  ${what}` : ''}`,
    );
  }
  const total = log.endedAt ? ` after ${s(secondsBetween(log.startedAt, log.endedAt))}` : '';
  const code = log.endCode ? ` (${log.endCode}${log.endMessage ? `: ${log.endMessage}` : ''})` : '';
  lines.push(`call ended${total}: ${log.endReason ?? call.endReason ?? 'unknown'}${code}`);
  return `${lines.join('\n')}\n`;
}

function describeStep(step: CallStep, log: CallLog): string {
  const d = (step.detail ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  switch (step.type) {
    case 'ivr':
      if (typeof d.digits === 'string')
        parts.push(d.digits === '' ? 'no keys' : `keys ${d.digits}`);
      break;
    case 'connect': {
      if (d.answeredBy) parts.push(`${d.answeredBy} answered, talked ${d.talkSeconds}s`);
      else if (d.outcome) {
        const attempts = (d.attempts as { number: string; outcome: string }[] | undefined) ?? [];
        parts.push(
          `nobody answered (${attempts.map((a) => `${a.number} ${a.outcome}`).join(', ')})`,
        );
      }
      if (d.callerHungUp)
        parts.push(d.answeredBy ? 'the caller hung up' : 'the caller hung up while it rang');
      break;
    }
    case 'passthru':
      if (d.mode === 'async') parts.push('async');
      if (typeof d.status === 'number') parts.push(`HTTP ${d.status}`);
      if (typeof d.error === 'string') parts.push(`error ${d.error}`);
      break;
    case 'sms':
      for (const sms of log.sms.filter((x) => x.appletId === step.appletId)) {
        if (sms.sid) parts.push(`SMS ${sms.sid} queued to ${sms.to}`);
        else if (sms.pending) parts.push(`SMS to ${sms.to} still being queued`);
        else parts.push(`SMS not sent: ${sms.code}${sms.message ? ` ${sms.message}` : ''}`);
      }
      break;
  }
  if (d.interrupted) parts.push("cut short by the caller's hang-up");
  if (typeof d.error === 'string' && step.type !== 'passthru') parts.push(`error ${d.error}`);
  return parts.join('; ');
}

/** One status change of an SMS, timed from the moment the message was created. */
export function formatTransition(
  sms: SmsView,
  transition: NonNullable<SmsView['transitions']>[number],
): string {
  const at = `+${secondsBetween(sms.createdAt, transition.at).toFixed(2)}s`.padStart(8);
  const why = transition.reasonCode
    ? `  ${transition.reasonCode}${transition.detail ? ` ${transition.detail}` : ''}`
    : '';
  const first = transition.status === 'queued' ? `  "${sms.body}" to ${sms.to}` : '';
  return `SMS ${sms.sid}  ${at}  ${transition.status}${why}${first}\n`;
}
