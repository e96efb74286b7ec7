/**
 * Follows a test call: its record (with the log once the call has ended) and the status of each SMS
 * it produced, from the server-sent events of GET /api/v1/events?callSid=…. Where the stream is
 * unavailable it polls the call and its messages instead, so the panel works either way.
 */

import { type CallRecord, callsApi } from './flows-api.ts';
import { FINAL_STATUSES, type MessageDetail, smsApi } from './sms-api.ts';

export interface CallFollower {
  stop(): void;
}

export interface FollowHandlers {
  onCall: (call: CallRecord) => void;
  onSms: (message: MessageDetail) => void;
}

const POLL_MS = 400;
/** Give up following after this long, ms (a receipt may take long to come). */
const MAX_FOLLOW_MS = 5 * 60 * 1000;

function settled(call: CallRecord | undefined, statuses: Map<string, string>): boolean {
  if (call?.status !== 'completed') return false;
  const sids = (call.log.sms ?? []).flatMap((s) => (s.sid ? [s.sid] : []));
  return sids.every((sid) => FINAL_STATUSES.has(statuses.get(sid) ?? ''));
}

export function followCall(callSid: string, handlers: FollowHandlers): CallFollower {
  let stopped = false;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let call: CallRecord | undefined;
  const statuses = new Map<string, string>();
  const startedAt = Date.now();

  function onCall(next: CallRecord) {
    call = next;
    handlers.onCall(next);
    if (settled(call, statuses)) stop();
  }

  function onSms(message: MessageDetail) {
    statuses.set(message.sid, message.status);
    handlers.onSms(message);
    if (settled(call, statuses)) stop();
  }

  async function poll() {
    if (stopped) return;
    try {
      onCall(await callsApi.get(callSid));
      for (const entry of call?.log.sms ?? []) {
        if (stopped) break;
        if (entry.sid && !FINAL_STATUSES.has(statuses.get(entry.sid) ?? ''))
          onSms(await smsApi.get(entry.sid));
      }
    } catch {
      // A failed poll is retried on the next tick.
    }
    if (!stopped && Date.now() - startedAt < MAX_FOLLOW_MS)
      timer = setTimeout(() => void poll(), POLL_MS);
  }

  function stop() {
    stopped = true;
    source?.close();
    if (timer !== undefined) clearTimeout(timer);
  }

  let received = false;
  source = new EventSource(`/api/v1/events?callSid=${encodeURIComponent(callSid)}`);
  source.addEventListener('call', (event) => {
    received = true;
    onCall(JSON.parse((event as MessageEvent<string>).data) as CallRecord);
  });
  source.addEventListener('sms', (event) => {
    received = true;
    onSms(JSON.parse((event as MessageEvent<string>).data) as MessageDetail);
  });
  source.addEventListener('end', () => stop());
  source.onerror = () => {
    // No stream here, or it broke: poll instead (the stream would otherwise reconnect by itself).
    if (stopped) return;
    source?.close();
    source = null;
    if (!received || !settled(call, statuses)) void poll();
  };
  return { stop };
}
