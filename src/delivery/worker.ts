/**
 * The delivery worker: claims due messages from the outbox with a lease, checks them
 * (checks.ts), debits and marks them `sending` in one transaction, submits them to a carrier and
 * records the result; it also applies the carriers' delivery receipts.
 *
 * Outcomes of a submit:
 * - accepted: `submitted`, with one carrier message ID per part and the carrier's name;
 * - transient (throttled, unavailable, timeout): tried at once on the route's next carrier; when
 *   none of them took it, back to `queued` with exponential backoff and jitter; when the next
 *   attempt would fall past the message's validity it fails EXPIRED, refunded;
 * - CARRIER_REJECTED: `failed`, refunded — a refused submit_sm means the message was not sent, and
 *   another carrier is not tried.
 *
 * Routing (src/carriers/routing.ts) picks the carriers a message may go to, after the checks and
 * before the debit: a message that no route fits fails NO_ROUTE and costs nothing.
 *
 * A message reclaimed in `sending` (its worker died after the debit) is resubmitted without a
 * second debit or second check; that is the one window for a duplicate (a lost submit_sm_resp).
 *
 * The worker never claims more messages than the carriers' windows have room for, wakes on
 * the store's notifications and polls as a fallback. The caller starts the carriers before
 * start() and stops them after stop().
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Route } from '../carriers/routing.ts';
import type { Carrier, DeliveryReceipt, SubmitOutcome } from '../carriers/types.ts';
import type { ReasonCode } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import { RECEIPT_TIMEOUT_DETAIL } from '../store/receipts.ts';
import { type DebitResult, FINAL_STATUSES, type Message, type Store } from '../store/types.ts';
import { type CarrierSource, staticCarriers } from './carrier-pool.ts';
import { createChecks } from './checks.ts';
import {
  backoffMs,
  DEFAULT_DELIVERY_CONFIG,
  DEFAULT_PROMOTIONAL_CONFIG,
  DEFAULT_SMS_CONFIG,
  type DeliveryConfig,
  type DeliveryLogger,
  type PromotionalConfig,
  promoWindowOf,
  type SmsSettings,
  silentLogger,
} from './config.ts';
import { validatePromoWindow } from './promo-window.ts';
import { createPump } from './pump.ts';

/** How often a running worker purges old unmatched receipts, and how many per statement. */
const PURGE_EVERY_MS = 3_600_000;
const PURGE_SLICE = 1000;
/** Messages ended by the receipt timeout per transaction. */
const RECEIPT_TIMEOUT_SLICE = 500;

export interface DeliveryWorkerStats {
  claimed: number;
  submitted: number;
  retried: number;
  failed: Partial<Record<ReasonCode, number>>;
  receipts: number;
}

export interface DeliveryWorker {
  /** The lease owner name of this worker. */
  readonly id: string;
  start(): Promise<void>;
  /** Stops claiming, releases what is not yet submitted, waits (up to drainMs) for submits in flight. */
  stop(): Promise<void>;
  /** One claim and everything it claimed, to the end (tests). Returns how many were claimed. */
  runOnce(): Promise<number>;
  /**
   * Deletes the receipts older than `unmatchedReceiptHours` that matched no recorded part; start()
   * runs it at once and then every hour. Returns how many were deleted.
   */
  purgeUnmatchedReceipts(): Promise<number>;
  /**
   * Ends the messages submitted more than `receiptTimeoutSeconds` ago whose final receipt never came
   * (`undelivered`, RECEIPT_TIMEOUT) and wakes the callback dispatchers for them; start() runs it
   * at once and then every minute (sooner for a short timeout). Returns how many it ended.
   */
  endAwaitingReceipts(): Promise<number>;
  stats(): DeliveryWorkerStats;
}

export function createDeliveryWorker(deps: {
  store: Store;
  /** A fixed list (every carrier, failover in order), or a pool managed while running. */
  carriers: Carrier[] | CarrierSource;
  clock?: () => Date;
  /** The `delivery` section of the configuration; defaults in config.ts. */
  config?: Partial<DeliveryConfig>;
  /** The `promotional` section of the configuration. */
  promotional?: Partial<PromotionalConfig>;
  /** The `sms` section of the configuration: how parts are counted. */
  sms?: Partial<SmsSettings>;
  logger?: DeliveryLogger;
  /** For tests: the random source of the retry jitter. */
  random?: () => number;
  /** Told of accepted submits and of receipts that end a message (Prometheus metrics). */
  metrics?: Pick<Metrics, 'submitted' | 'receiptLatency' | 'delivery'>;
}): DeliveryWorker {
  const config: DeliveryConfig = { ...DEFAULT_DELIVERY_CONFIG, ...deps.config };
  const promotional: PromotionalConfig = { ...DEFAULT_PROMOTIONAL_CONFIG, ...deps.promotional };
  validatePromoWindow(promoWindowOf(promotional));
  const { store } = deps;
  const source = Array.isArray(deps.carriers) ? staticCarriers(deps.carriers) : deps.carriers;
  const carriers = () => source.active();
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;
  const random = deps.random ?? Math.random;
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const checks = createChecks({
    store,
    config,
    promotional,
    sms: { ...DEFAULT_SMS_CONFIG, ...deps.sms },
    now: () => clock().getTime(),
  });
  const stats: DeliveryWorkerStats = {
    claimed: 0,
    submitted: 0,
    retried: 0,
    failed: {},
    receipts: 0,
  };
  /** Claimed messages not yet handed to a carrier: they will need window. */
  let preparing = 0;
  let stopping = false;
  let receiving = false;
  let unsubscribe: (() => void) | null = null;
  let purgeTimer: NodeJS.Timeout | undefined;
  let receiptTimer: NodeJS.Timeout | undefined;

  const freeWindow = () => carriers().reduce((n, c) => n + Math.max(0, roomOf(c)), 0);
  /**
   * At most the windows of the bound carriers ahead, so a message claimed ahead waits about one
   * round trip, and nothing is claimed while no carrier is up.
   */
  const claimAhead = () =>
    Math.min(
      config.claimAhead,
      carriers().reduce((n, c) => {
        const s = c.status();
        return s.state === 'bound' ? n + s.window : n;
      }, 0),
    );

  const pump = createPump({
    // Claims run ahead of the window by `claimAhead`, so that the next batch is checked and
    // debited while the current one is on the wire; the ahead part waits in carrierWithRoom.
    room: () => Math.min(config.batchSize, freeWindow() + claimAhead() - preparing),
    async claim(limit) {
      const messages = await store.messages.claimDue(id, limit, config.leaseMs);
      stats.claimed += messages.length;
      const debits = createDebitBatch(messages.length);
      for (const m of messages) {
        preparing++;
        let preparingCounted = true;
        // Called once the message is with a carrier (or done): it no longer needs window room.
        const handedOver = () => {
          if (preparingCounted) preparing--;
          preparingCounted = false;
        };
        const debit = debits.slot();
        pump.track(
          deliver(m, handedOver, debit).finally(() => {
            debit.skip();
            handedOver();
          }),
        );
      }
      return messages.length;
    },
    pollMs: config.pollMs,
    onError: (error) => logger.error({ err: error }, 'delivery worker error'),
  });

  /**
   * The debits of one claimed batch, made in one store call (one transaction, one lock of the
   * account's balance row) once every message of the batch has either asked for its debit or
   * turned out not to need one. Each message gets one slot and must use it once: debit() or
   * skip() (skip after use does nothing).
   */
  function createDebitBatch(size: number) {
    let waiting = size;
    const items: { sid: string; pricePaise: number }[] = [];
    const replies: { resolve(r: DebitResult): void; reject(error: unknown): void }[] = [];
    const arrived = () => {
      waiting--;
      if (waiting > 0 || items.length === 0) return;
      store.messages.debitManyAndMarkSending(id, items).then(
        (results) => {
          for (const [i, r] of replies.entries()) r.resolve(results[i]!);
        },
        (error: unknown) => {
          for (const r of replies) r.reject(error);
        },
      );
    };
    return {
      slot() {
        let used = false;
        return {
          debit(sid: string, pricePaise: number): Promise<DebitResult> {
            if (used) throw new Error('a claimed message asked for two debits');
            used = true;
            const reply = new Promise<DebitResult>((resolve, reject) => {
              items.push({ sid, pricePaise });
              replies.push({ resolve, reject });
            });
            arrived();
            return reply;
          },
          skip() {
            if (used) return;
            used = true;
            arrived();
          },
        };
      },
    };
  }

  /** Wakes the callback dispatchers for a message that just ended with a callback to send. */
  async function notifyCallbacks(m: Message | undefined) {
    if (!m?.statusCallback || !FINAL_STATUSES.includes(m.status)) return;
    try {
      await store.notify('callbacks');
    } catch (error) {
      // The dispatchers' poll finds the job anyway.
      logger.warn({ err: error }, 'could not notify the callback dispatchers');
    }
  }

  async function fail(m: Message, code: ReasonCode, detail: string) {
    const failed = await store.messages.fail(m.sid, id, code, detail, { refund: true });
    if (failed) {
      stats.failed[code] = (stats.failed[code] ?? 0) + 1;
      await notifyCallbacks(failed);
    }
  }

  /** Back to the queue after transient trouble, or EXPIRED when the retry would come too late. */
  async function retryLater(m: Message, code: ReasonCode, detail: string) {
    const at = new Date(
      clock().getTime() +
        backoffMs(
          m.attempts,
          { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs, jitter: config.retryJitter },
          random,
        ),
    );
    if (at >= m.validUntil) {
      await fail(m, 'EXPIRED', `Not submitted within its validity; last: ${code} ${detail}`);
      return;
    }
    stats.retried++;
    await store.messages.requeue(m.sid, id, at, code, detail);
  }

  /** Messages ready to submit waiting for window room, first come first served. */
  const roomWaiters: (() => void)[] = [];
  /**
   * Messages that took room on a carrier and whose outcome is not yet recorded in the store.
   * They count against the window until then, so a worker that dies leaves at most a window of
   * messages submitted but not recorded (the ones a restart may submit twice).
   */
  const holding = new Map<Carrier, number>();
  const roomOf = (c: Carrier) =>
    Math.min(c.availableWindow(), c.status().window - (holding.get(c) ?? 0));

  /** The first of `candidates` with room, held for the caller, who must give it back with `giveBack`. */
  function takeRoomOf(candidates: readonly Carrier[]): Carrier | undefined {
    const c = candidates.find((x) => roomOf(x) > 0);
    if (c) holding.set(c, (holding.get(c) ?? 0) + 1);
    return c;
  }

  /** The outcome of a submit is recorded: its room is free; wakes as many waiters as fit. */
  function giveBack(c: Carrier) {
    holding.set(c, (holding.get(c) ?? 1) - 1);
    let room = carriers().reduce((n, x) => n + Math.max(0, roomOf(x)), 0);
    while (room-- > 0 && roomWaiters.length > 0) roomWaiters.shift()!();
  }

  /**
   * One of `candidates()` with room (the first in their order), held, waiting boundedly for one.
   * Waiters are served in order: one is woken when room is given back, or after 10 ms in case
   * room came otherwise (a reconnect). `candidates` is read again at each try: carriers come and
   * go while running. With `onlyIfBound`, gives up at once when no candidate is bound.
   */
  async function carrierWithRoom(
    candidates: () => Carrier[],
    onlyIfBound = false,
  ): Promise<Carrier | undefined> {
    const deadline = Date.now() + config.windowWaitMs;
    const takeRoom = () => takeRoomOf(candidates());
    for (;;) {
      const c = roomWaiters.length === 0 ? takeRoom() : undefined;
      if (c || Date.now() >= deadline || stopping) return c;
      if (onlyIfBound && !candidates().some((x) => x.status().state === 'bound')) return undefined;
      await new Promise<void>((resolve) => {
        const woken = () => {
          clearTimeout(timer);
          const i = roomWaiters.indexOf(woken);
          if (i >= 0) roomWaiters.splice(i, 1);
          resolve();
        };
        const timer = setTimeout(woken, 10);
        roomWaiters.push(woken);
      });
      const next = takeRoom();
      if (next) return next;
    }
  }

  async function deliver(
    m: Message,
    handedOver: () => void,
    debits: { debit(sid: string, pricePaise: number): Promise<DebitResult>; skip(): void },
  ): Promise<void> {
    const now = clock();
    if (now >= m.validUntil) {
      debits.skip();
      await fail(m, 'EXPIRED', 'Not submitted within its validity period.');
      return;
    }
    let prepared: { to: string; parts: string[]; encoding: 'GSM-7' | 'UCS-2' };
    let route: Route | undefined;
    if (m.status === 'sending' || m.pricePaise !== null) debits.skip();
    if (m.status === 'sending') {
      // Checked and paid by a worker that died before it recorded the submit.
      const p = checks.prepare(m);
      if (p.ok !== true) return fail(m, p.code, p.detail);
      prepared = p;
      route = routeOf(m, p.to);
      if (!route) return fail(m, 'NO_ROUTE', noRouteDetail(m, p.to));
    } else {
      const outcome = await checks.check(m, now);
      if (outcome.ok === true) route = routeOf(m, outcome.to);
      // The batch's debit waits for no message that will not be debited.
      if (outcome.ok !== true || !route || stopping) debits.skip();
      if (outcome.ok === false) return fail(m, outcome.code, outcome.detail);
      if (outcome.ok === 'wait') {
        if (outcome.until >= m.validUntil) return fail(m, outcome.code, outcome.detail);
        await store.messages.requeue(m.sid, id, outcome.until, outcome.code, outcome.detail);
        return;
      }
      if (!route) return fail(m, 'NO_ROUTE', noRouteDetail(m, outcome.to));
      if (stopping) return store.messages.release(m.sid, id);
      if (m.pricePaise === null) {
        const debit = await debits.debit(m.sid, outcome.pricePaise);
        if (!debit.ok && debit.code === 'INSUFFICIENT_BALANCE') {
          return fail(
            m,
            'INSUFFICIENT_BALANCE',
            `${m.segments} segment(s) cost ${outcome.pricePaise} paise.`,
          );
        }
        if (!debit.ok) return;
      } else if (!(await store.messages.markSending(m.sid, id))) {
        return;
      }
      prepared = outcome;
    }
    await submit({ ...m, status: 'sending' }, prepared, route, handedOver);
  }

  function routeOf(m: Message, to: string): Route | undefined {
    return source
      .router()
      .routeFor({ smsType: m.smsType, to, accountSid: m.accountSid, senderId: m.senderId });
  }

  function noRouteDetail(m: Message, to: string): string {
    return `No route fits a ${m.smsType} message to ${to} from ${m.senderId} (account ${m.accountSid}).`;
  }

  /**
   * Submits to the route's carriers in the route's order: the first with room takes it; after a
   * transient failure the next one is tried at once; back to the queue only when none took it.
   */
  async function submit(
    m: Message,
    p: { to: string; parts: string[]; encoding: 'GSM-7' | 'UCS-2' },
    route: Route,
    handedOver: () => void,
  ) {
    const router = source.router();
    const order = router.order(route);
    const tried = new Set<string>();
    const candidates = () => {
      const active = carriers();
      const left = order
        .filter((name) => !tried.has(name))
        .map((name) => active.find((c) => c.name === name))
        .filter((c) => c !== undefined);
      // Round-robin and weighted wait for the carrier whose turn it is while it is up, or the
      // split would follow whichever window frees first; failover takes the first with room.
      const turn = left[0];
      if (route.strategy && route.strategy !== 'failover' && tried.size === 0 && turn) {
        if (turn.name === order[0] && turn.status().state === 'bound') return [turn];
      }
      return left;
    };
    let last: Extract<SubmitOutcome, { transient: true }> | undefined;
    for (;;) {
      // After a transient failure, the next carrier is worth a wait only if it is up.
      const carrier = await carrierWithRoom(candidates, last !== undefined);
      if (!carrier && !last) {
        // Not sent anywhere: the turn it took in the route's split goes back, or a busy carrier
        // would lose its share to the others.
        router.unpick(route, order[0]!);
      }
      if (stopping && !carrier) return store.messages.release(m.sid, id);
      if (!carrier) {
        if (last) return retryLater(m, last.code, last.detail);
        // A carrier that is bound but busy (a slow throughput limit) costs the message no
        // attempt: it goes back to the queue as it was and is claimed again. One that is down is
        // a retry.
        if (candidates().some((c) => c.status().state === 'bound')) {
          return store.messages.release(m.sid, id);
        }
        return retryLater(
          m,
          'CARRIER_UNAVAILABLE',
          `No carrier of route ${route.name} had room in its window.`,
        );
      }
      let result: SubmitOutcome;
      try {
        handedOver();
        result = await submitTo(carrier, m, p);
        if (!result.ok && result.transient) {
          tried.add(carrier.name);
          last = result;
          logger.debug(
            { sid: m.sid, carrier: carrier.name, code: result.code },
            'transient failure; trying the next carrier of the route',
          );
          continue;
        }
        await record(m, p, result);
        return;
      } finally {
        giveBack(carrier);
      }
    }
  }

  function submitTo(
    carrier: Carrier,
    m: Message,
    p: { to: string; parts: string[]; encoding: 'GSM-7' | 'UCS-2' },
  ): Promise<SubmitOutcome> {
    return carrier.submit({
      messageId: m.sid,
      to: p.to,
      senderId: m.senderId,
      encoding: p.encoding,
      parts: p.parts,
      dltEntityId: m.dltEntityId,
      dltTemplateId: m.dltTemplateId,
      validitySeconds: Math.max(1, Math.ceil((m.validUntil.getTime() - clock().getTime()) / 1000)),
    });
  }

  /** Records an accepted submit or a permanent rejection (a transient one never gets here). */
  async function record(m: Message, p: { parts: string[] }, result: SubmitOutcome) {
    if (result.ok) {
      stats.submitted++;
      deps.metrics?.submitted(p.parts.length, result.carrier);
      const after = await recordSubmit(m, result.carrier, partIds(m, result.carrierMessageIds));
      // Receipts that came before the submit was recorded were applied with it.
      if (after) observeEnd(after);
      await notifyCallbacks(after);
    } else if (!result.transient) {
      const status = `command_status 0x${result.commandStatus.toString(16).padStart(8, '0')}`;
      await fail(m, 'CARRIER_REJECTED', `${status}: ${result.detail}`);
    }
  }

  /**
   * The carrier's IDs of the parts, with one it left empty (a broken carrier; SMPP requires an ID)
   * replaced by one of ours: parts are keyed by carrier and ID, and two empty IDs would take each
   * other's part. No receipt can name such a part, so the message stays `submitted`.
   */
  function partIds(m: Message, ids: string[]): string[] {
    if (!ids.includes('')) return ids;
    logger.warn({ sid: m.sid }, 'the carrier accepted a part without a message ID');
    return ids.map((id, i) => (id === '' ? `no-id:${m.sid}:${i}` : id));
  }

  /** markSubmitted, retried briefly: losing it would resubmit the message after the lease. */
  async function recordSubmit(m: Message, carrier: string, ids: string[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        const after = await store.messages.markSubmitted(m.sid, id, carrier, ids);
        if (!after)
          logger.warn(
            { sid: m.sid },
            'submitted a message whose lease had passed to another worker',
          );
        return after;
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /** Metrics of a message a receipt made final: time to delivery, outcome by carrier. */
  function observeEnd(done: Message) {
    if (!done.submittedAt || !done.doneAt || !FINAL_STATUSES.includes(done.status)) return;
    // A receipt that came before the submit was recorded ends the message "before" its submit.
    const seconds = Math.max(0, (done.doneAt.getTime() - done.submittedAt.getTime()) / 1000);
    deps.metrics?.receiptLatency(seconds);
    if (done.carrier) deps.metrics?.delivery(done.carrier, done.status, seconds);
  }

  async function onReceipt(r: DeliveryReceipt): Promise<void> {
    const result = await store.messages.applyReceipt({
      carrier: r.carrier,
      carrierMessageId: r.carrierMessageId,
      ...(r.alternateIds && { alternateIds: r.alternateIds }),
      state: r.state,
      final: r.final,
      errorCode: r.errorCode ?? null,
      receivedAt: r.receivedAt,
    });
    stats.receipts++;
    if (result.applied && result.message) observeEnd(result.message);
    if (result.applied) await notifyCallbacks(result.message);
  }

  async function purgeUnmatchedReceipts(): Promise<number> {
    if (config.unmatchedReceiptHours <= 0) return 0;
    const before = new Date(clock().getTime() - config.unmatchedReceiptHours * 3_600_000);
    let purged = 0;
    // In slices, so that a large backlog never holds the write lock for long.
    for (;;) {
      const n = await store.messages.purgeUnmatchedReceipts(before, PURGE_SLICE);
      purged += n;
      if (n < PURGE_SLICE) break;
    }
    if (purged > 0) logger.info({ purged }, 'purged receipts that matched no submitted part');
    return purged;
  }

  async function endAwaitingReceipts(): Promise<number> {
    const before = new Date(clock().getTime() - config.receiptTimeoutSeconds * 1000);
    const detail = RECEIPT_TIMEOUT_DETAIL(config.receiptTimeoutSeconds);
    let ended = 0;
    // One message with a callback is enough to wake the dispatchers for all of them.
    let withCallback: Message | undefined;
    for (;;) {
      const slice = await store.messages.endAwaitingReceipts(before, RECEIPT_TIMEOUT_SLICE, detail);
      ended += slice.length;
      withCallback ??= slice.find((m) => m.statusCallback !== null);
      if (slice.length < RECEIPT_TIMEOUT_SLICE) break;
    }
    if (ended > 0) {
      stats.failed.RECEIPT_TIMEOUT = (stats.failed.RECEIPT_TIMEOUT ?? 0) + ended;
      logger.warn({ ended }, 'messages ended without a final receipt (RECEIPT_TIMEOUT)');
      await notifyCallbacks(withCallback);
    }
    return ended;
  }

  function endAwaitingInBackground() {
    endAwaitingReceipts().catch((error: unknown) =>
      logger.warn({ err: error }, 'could not end messages awaiting receipts'),
    );
  }

  function purgeInBackground() {
    purgeUnmatchedReceipts().catch((error: unknown) =>
      logger.warn({ err: error }, 'could not purge unmatched receipts'),
    );
  }

  function receive() {
    if (receiving) return;
    receiving = true;
    source.onReceipt(onReceipt);
  }

  return {
    id,
    async start() {
      receive();
      stopping = false;
      unsubscribe = store.onNotify('messages', pump.wake);
      pump.start();
      purgeInBackground();
      purgeTimer ??= setInterval(purgeInBackground, PURGE_EVERY_MS).unref();
      endAwaitingInBackground();
      receiptTimer ??= setInterval(
        endAwaitingInBackground,
        Math.min(60_000, Math.max(1000, (config.receiptTimeoutSeconds * 1000) / 4)),
      ).unref();
    },
    async stop() {
      stopping = true;
      clearInterval(purgeTimer);
      purgeTimer = undefined;
      clearInterval(receiptTimer);
      receiptTimer = undefined;
      unsubscribe?.();
      unsubscribe = null;
      const drained = await pump.stop(config.drainMs);
      if (!drained)
        logger.warn({ inFlight: pump.inFlight }, 'stopped with submits still in flight');
    },
    async runOnce() {
      receive();
      return pump.runOnce();
    },
    purgeUnmatchedReceipts,
    endAwaitingReceipts,
    stats: () => structuredClone(stats),
  };
}
