/**
 * Settings of the delivery pipeline, with their defaults and units, and the backoff rule shared
 * by the outbox worker and the callback dispatcher. The keys follow `src/config.ts`
 * (`delivery.*`, `promotional.*`, `callbacks.*`) so the server can pass its sections through.
 */

import type { CarrierLogger } from '../carriers/types.ts';

/** pino's shape; the carrier layer uses the same one. */
export type DeliveryLogger = CarrierLogger;

export const silentLogger: DeliveryLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface SendConfig {
  /** Validity of a message when the request gives none, seconds. Default 86,400 (24 h). */
  validitySeconds: number;
  /** Longest validity a request may ask for, seconds. Default 259,200 (72 h). */
  maxValiditySeconds: number;
  /** Longest body, characters (code points). Default 2,000 (Exotel's limit). */
  maxBodyCharacters: number;
  /** Accept callback URLs whose host is a private/loopback IP literal. Default false. */
  allowPrivateAddresses: boolean;
  /** IPs or CIDRs accepted even when internal (as callbacks.allowList). Default none. */
  allowList: string[];
  /** Keep grapheme clusters whole across parts when counting segments (sms.splitGraphemes). Default false. */
  splitGraphemes: boolean;
}

export const DEFAULT_SEND_CONFIG: Readonly<SendConfig> = Object.freeze({
  validitySeconds: 86_400,
  maxValiditySeconds: 259_200,
  maxBodyCharacters: 2000,
  allowPrivateAddresses: false,
  allowList: [],
  splitGraphemes: false,
});

export interface PromoWindow {
  /** Local opening time, HH:MM. Default 10:00. */
  start: string;
  /** Local closing time, HH:MM (exclusive). Default 21:00. */
  end: string;
  /** IANA zone of start and end. Default Asia/Kolkata. */
  timeZone: string;
}

export interface DeliveryConfig {
  /** Messages claimed per batch at most. Default 200. */
  batchSize: number;
  /** How long a claim lasts, ms; longer than any submit can take. Default 30,000. */
  leaseMs: number;
  /** Poll interval when no notification arrives, ms. Default 1,000. */
  pollMs: number;
  /** First retry delay after transient carrier trouble, ms; doubles per attempt. Default 1,000. */
  retryBaseMs: number;
  /** Longest retry delay, ms. Default 300,000. */
  retryMaxMs: number;
  /** Random spread of a retry delay, as a fraction (0.2 = ±20 %). Default 0.2. */
  retryJitter: number;
  /** How long stop() waits for submits in flight, ms. Default 10,000. */
  drainMs: number;
  /** How long DLT registry and account look-ups are cached, ms. Default 2,000. */
  registryCacheMs: number;
  /** How long a message ready to submit waits for a free carrier window before a retry, ms. Default 5,000. */
  windowWaitMs: number;
  /**
   * Messages claimed beyond the carriers' free window, so that the next batch is checked and
   * debited while the current one is on the wire. Default 100.
   */
  claimAhead: number;
  /**
   * How long a receipt that matched no recorded part is kept before the worker purges it, ms;
   * 0 keeps them. Default 86,400,000 (a day).
   */
  unmatchedReceiptMs: number;
  /**
   * How long a submitted message waits for its final receipt before it ends `undelivered` with
   * RECEIPT_TIMEOUT, ms. Default 259,200,000 (72 hours, the longest validity carriers keep).
   */
  receiptTimeoutMs: number;
  promoWindow: PromoWindow;
  /** A promotional message outside the window waits for it, or fails OUTSIDE_PROMO_WINDOW. Default wait. */
  promoOutsideWindow: 'wait' | 'fail';
  /** Region for numbers without a country code. Default IN. */
  defaultRegion: string;
  /** Keep grapheme clusters whole across parts (sms.splitGraphemes). Default false. */
  splitGraphemes: boolean;
}

export const DEFAULT_DELIVERY_CONFIG: Readonly<DeliveryConfig> = Object.freeze({
  batchSize: 200,
  leaseMs: 30_000,
  pollMs: 1000,
  retryBaseMs: 1000,
  retryMaxMs: 300_000,
  retryJitter: 0.2,
  drainMs: 10_000,
  registryCacheMs: 2000,
  windowWaitMs: 5000,
  claimAhead: 100,
  unmatchedReceiptMs: 86_400_000,
  receiptTimeoutMs: 259_200_000,
  promoWindow: Object.freeze({ start: '10:00', end: '21:00', timeZone: 'Asia/Kolkata' }),
  promoOutsideWindow: 'wait',
  defaultRegion: 'IN',
  splitGraphemes: false,
});

export interface CallbackConfig {
  /** Attempts before a callback is given up. Default 8. */
  maxAttempts: number;
  /** Per attempt, ms. Default 10,000. */
  timeoutMs: number;
  /** First retry delay, ms; doubles per attempt. Default 5,000. */
  retryBaseMs: number;
  /** Longest retry delay, ms. Default 3,600,000. */
  retryMaxMs: number;
  /** Random spread of a retry delay, as a fraction. Default 0.2. */
  retryJitter: number;
  /** Callbacks POSTed at once at most. Default 32. */
  concurrency: number;
  /** How long a claimed job is ours, ms; must exceed timeoutMs. Default 30,000. */
  leaseMs: number;
  /** Poll interval when no notification arrives, ms. Default 1,000. */
  pollMs: number;
  /** How long stop() waits for POSTs in flight, ms. Default 10,000. */
  drainMs: number;
  /** POST to private, loopback, link-local and other internal addresses too. Default false. */
  allowPrivateAddresses: boolean;
  /** Host names, IPs or CIDRs allowed even when internal, e.g. ["hooks.internal", "10.1.0.0/16"]. */
  allowList: string[];
}

export const DEFAULT_CALLBACK_CONFIG: Readonly<CallbackConfig> = Object.freeze({
  maxAttempts: 8,
  timeoutMs: 10_000,
  retryBaseMs: 5000,
  retryMaxMs: 3_600_000,
  retryJitter: 0.2,
  concurrency: 32,
  leaseMs: 30_000,
  pollMs: 1000,
  drainMs: 10_000,
  allowPrivateAddresses: false,
  allowList: [],
});

/**
 * Delay before retry number `attempt` (1 = the first retry): base × 2^(attempt−1), capped at
 * max, spread by ±jitter so that messages throttled together do not come back together.
 */
export function backoffMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  const spread = exp * opts.jitter * (2 * random() - 1);
  return Math.max(0, Math.min(opts.maxMs, Math.round(exp + spread)));
}
