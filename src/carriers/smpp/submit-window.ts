/**
 * Flow control of submit_sm on one bind, which the `smpp` package does not do: a window of
 * outstanding submit_sm, a throughput limit (token bucket), a pause after the carrier
 * throttles us, and a response timeout per part.
 *
 * Parts wait in a FIFO queue; the pump sends the head when a session is attached, the window
 * has room, no throttle pause runs and the bucket has a token. A sent part waits by
 * sequence_number for its submit_sm_resp or generic_nack, or for its timeout, whichever
 * comes first. A response after the timeout finds nothing waiting: it is logged and dropped.
 * A timed-out part frees its window slot, since a lost PDU must not shrink the window for
 * good. Once a part of a message fails, its parts still queued are not sent.
 */
import smpp, { type PDU, type Session } from 'smpp';
import type { CarrierLogger } from '../types.ts';
import { classifyCommandStatus, describeCommandStatus, ESME } from './command-status.ts';
import { type PartResult, unavailable } from './outcome.ts';
import { normalizeMessageId } from './receipt.ts';
import { TokenBucket } from './token-bucket.ts';

export interface SubmitWindowSettings {
  carrier: string;
  window: number;
  segmentsPerSecond: number;
  responseTimeoutMs: number;
  throttlePauseMs: number;
}

interface PartTask {
  params: Record<string, unknown>;
  label: string;
  /** Shared by the parts of one message; true once one failed. */
  job: { failed: boolean };
  resolve(result: PartResult): void;
}

export class SubmitWindow {
  readonly #settings: SubmitWindowSettings;
  readonly #log: CarrierLogger;
  readonly #onAccepted: (carrierMessageId: string) => void;
  readonly #bucket: TokenBucket;
  #session: Session | null = null;
  #queue: PartTask[] = [];
  #inFlight = new Map<number, { task: PartTask; timer: NodeJS.Timeout }>();
  #pumpTimer: NodeJS.Timeout | undefined;
  #pausedUntil = 0;
  submitted = 0;
  throttled = 0;

  constructor(
    settings: SubmitWindowSettings,
    log: CarrierLogger,
    onAccepted: (carrierMessageId: string) => void,
  ) {
    this.#settings = settings;
    this.#log = log;
    this.#onAccepted = onAccepted;
    this.#bucket = new TokenBucket(settings.segmentsPerSecond, performance.now());
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Room for more parts now: 0 while detached or during a throttle pause. */
  available(): number {
    if (!this.#session || performance.now() < this.#pausedUntil) return 0;
    return Math.max(0, this.#settings.window - this.#inFlight.size - this.#queue.length);
  }

  /** Starts sending on a freshly bound session. */
  attach(session: Session): void {
    this.#session = session;
    this.#pump();
  }

  /** The session is gone: every part in flight or queued fails as CARRIER_UNAVAILABLE. */
  detach(reason: string): void {
    this.#session = null;
    for (const { task, timer } of this.#inFlight.values()) {
      clearTimeout(timer);
      task.resolve({ kind: 'failed', failure: unavailable(`${task.label}: ${reason}`) });
    }
    this.#inFlight.clear();
    this.failQueued(reason);
  }

  /** Stops sending: queued parts fail as CARRIER_UNAVAILABLE; parts in flight still complete. */
  failQueued(reason: string): void {
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    for (const task of this.#queue.splice(0)) {
      task.resolve({ kind: 'failed', failure: unavailable(`${task.label}: ${reason}`) });
    }
  }

  /** Queues the parts of one message; resolves with each part's result, in order. */
  submit(parts: Record<string, unknown>[], messageId: string): Promise<PartResult[]> {
    const job = { failed: false };
    const results = parts.map(
      (params, i) =>
        new Promise<PartResult>((resolve) => {
          this.#queue.push({
            params,
            job,
            label: `${messageId} part ${i + 1}/${parts.length}`,
            resolve: (result) => {
              if (result.kind !== 'accepted') job.failed = true;
              resolve(result);
            },
          });
        }),
    );
    this.#pump();
    return Promise.all(results);
  }

  /** A submit_sm_resp or generic_nack from the carrier. */
  onResponse(pdu: PDU): void {
    const entry = this.#inFlight.get(pdu.sequence_number);
    if (!entry) {
      // Late (after its timeout) or unsolicited: the part was already reported.
      this.#log.warn(
        { carrier: this.#settings.carrier, seq: pdu.sequence_number, status: pdu.command_status },
        `${pdu.command} for no waiting part; ignored`,
      );
      return;
    }
    clearTimeout(entry.timer);
    this.#inFlight.delete(pdu.sequence_number);
    const { task } = entry;
    const status = pdu.command_status;
    if (status === ESME.ROK && pdu.command === 'submit_sm_resp') {
      const id = normalizeMessageId(String(pdu.message_id ?? ''));
      this.submitted++;
      this.#onAccepted(id);
      task.resolve({ kind: 'accepted', id });
    } else {
      const nack = pdu.command === 'generic_nack' ? 'generic_nack ' : '';
      const detail = `${task.label}: ${nack}${describeCommandStatus(status)}`;
      const verdict = classifyCommandStatus(status);
      if (verdict.code === 'CARRIER_THROTTLED') {
        this.throttled++;
        this.#pausedUntil = performance.now() + this.#settings.throttlePauseMs;
      }
      task.resolve({
        kind: 'failed',
        failure: verdict.transient
          ? { ok: false, transient: true, code: verdict.code, commandStatus: status, detail }
          : { ok: false, transient: false, code: verdict.code, commandStatus: status, detail },
      });
      // The SMSC no longer takes us for bound: drop the connection so the client re-binds.
      if (verdict.rebind) this.#session?.destroy();
    }
    this.#pump();
  }

  #pump(): void {
    if (this.#pumpTimer) return;
    while (this.#queue.length > 0) {
      const task = this.#queue[0]!;
      if (task.job.failed) {
        this.#queue.shift();
        task.resolve({ kind: 'skipped' });
        continue;
      }
      const session = this.#session;
      if (!session || this.#inFlight.size >= this.#settings.window) return;
      const now = performance.now();
      const wait = this.#pausedUntil > now ? this.#pausedUntil - now : this.#bucket.take(now);
      if (wait > 0) {
        this.#pumpTimer = setTimeout(() => {
          this.#pumpTimer = undefined;
          this.#pump();
        }, wait);
        return;
      }
      this.#queue.shift();
      this.#send(session, task);
    }
  }

  #send(session: Session, task: PartTask): void {
    const pdu = new smpp.PDU('submit_sm', task.params);
    if (!session.send(pdu)) {
      task.resolve({ kind: 'failed', failure: unavailable(`${task.label}: socket not writable`) });
      return;
    }
    const seq = pdu.sequence_number;
    const ms = this.#settings.responseTimeoutMs;
    const timer = setTimeout(() => {
      this.#inFlight.delete(seq);
      const detail = `${task.label}: no submit_sm_resp within ${ms} ms`;
      task.resolve({
        kind: 'failed',
        failure: { ok: false, transient: true, code: 'CARRIER_TIMEOUT', detail },
      });
      this.#pump();
    }, ms);
    this.#inFlight.set(seq, { task, timer });
  }
}
