/**
 * Settings of the delivery pipeline: the `delivery`, `promotional`, `callbacks` and `sms` sections of the
 * configuration (src/config.ts composes these schemas, so each default and unit is written once,
 * here), and the backoff rule shared by the outbox worker and the callback dispatcher. The server
 * hands each component its section whole.
 */

import { type Static, type TSchema, Type } from 'typebox';
import Value from 'typebox/value';
import type { CarrierLogger } from '../carriers/types.ts';

/** pino's shape; the carrier layer uses the same one. */
export type DeliveryLogger = CarrierLogger;

export const silentLogger: DeliveryLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** The schema's defaults, as a frozen object. */
export function defaultsOf<T>(schema: TSchema): Readonly<T> {
  return Object.freeze(Value.Default(schema, {}) as T);
}

export const DeliverySettingsSchema = Type.Object(
  {
    /**
     * Run the delivery worker, the carrier binds and the status callbacks in a worker thread of
     * their own, with their own store connection, so HTTP and delivery use two cores.
     */
    thread: Type.Boolean({ default: true }),
    /** Messages claimed per batch. */
    batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
    /** How long a claim lasts before another worker may take the message, milliseconds. */
    leaseMs: Type.Integer({ minimum: 1000, default: 30_000 }),
    /** Poll interval when no notification arrives, milliseconds. */
    pollMs: Type.Integer({ minimum: 10, default: 1000 }),
    /** Exponential backoff for transient carrier trouble, milliseconds. */
    retryBaseMs: Type.Integer({ minimum: 1, default: 1000 }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 300_000 }),
    /** Random spread of a retry delay, as a fraction (0.2 = ±20 %). */
    retryJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
    /** How long a stopping worker waits for submits in flight, milliseconds. */
    drainMs: Type.Integer({ minimum: 0, default: 10_000 }),
    /** How long DLT registry and account look-ups are cached by workers, milliseconds. */
    registryCacheMs: Type.Integer({ minimum: 0, default: 2000 }),
    /** How long a message waits for a free carrier window before it is retried, milliseconds. */
    windowWaitMs: Type.Integer({ minimum: 1, default: 5000 }),
    /** Messages claimed beyond the carriers' free window, checked and debited ahead of it. */
    claimAhead: Type.Integer({ minimum: 0, maximum: 5000, default: 100 }),
    /** Hours a receipt that matched no submitted part is kept; 0 keeps them. */
    unmatchedReceiptHours: Type.Number({ minimum: 0, default: 24 }),
    /** How long a submitted message waits for its final receipt, seconds (72 h). */
    receiptTimeoutSeconds: Type.Integer({ minimum: 1, default: 259_200 }),
    /** Validity of a message whose request gives none, seconds. */
    validitySeconds: Type.Integer({ minimum: 1, default: 86_400 }),
    /** Longest validity a request may ask for, seconds. */
    maxValiditySeconds: Type.Integer({ minimum: 1, default: 259_200 }),
    /** How often a worker reads carriers and routes changed by another process, milliseconds. */
    carrierSyncMs: Type.Integer({ minimum: 100, default: 2000 }),
    /** Region of numbers written without a country code. */
    defaultRegion: Type.String({ minLength: 2, maxLength: 2, default: 'IN' }),
  },
  { default: {} },
);

const Time = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' });

export const PromotionalSettingsSchema = Type.Object(
  {
    windowStart: { ...Time, default: '10:00' },
    windowEnd: { ...Time, default: '21:00' },
    timeZone: Type.String({ default: 'Asia/Kolkata' }),
    /** Outside the window: wait for it, or fail OUTSIDE_PROMO_WINDOW. */
    outsideWindow: Type.Union([Type.Literal('wait'), Type.Literal('fail')], { default: 'wait' }),
  },
  { default: {} },
);

export const CallbackSettingsSchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, default: 8 }),
    /** Per attempt, milliseconds. */
    timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
    retryBaseMs: Type.Integer({ minimum: 1, default: 5000 }),
    retryMaxMs: Type.Integer({ minimum: 1, default: 3_600_000 }),
    retryJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
    /** Callbacks POSTed at once at most. */
    concurrency: Type.Integer({ minimum: 1, default: 32 }),
    /** Allow callbacks and Passthru URLs to private, loopback and link-local addresses. */
    allowPrivateAddresses: Type.Boolean({ default: false }),
    /** Hosts, IPs or CIDRs allowed even when internal, e.g. ["hooks.internal", "10.1.0.0/16"]. */
    allowList: Type.Array(Type.String(), { default: [] }),
  },
  { default: {} },
);

export const SmsSettingsSchema = Type.Object(
  {
    /** Keep grapheme clusters whole across parts; costs a part more on some texts. */
    splitGraphemes: Type.Boolean({ default: false }),
  },
  { default: {} },
);

/** The `sms` section: how sendSms and the worker count and split parts (inspectSms's options). */
export type SmsSettings = Static<typeof SmsSettingsSchema>;
export const DEFAULT_SMS_CONFIG = defaultsOf<SmsSettings>(SmsSettingsSchema);

/** The `delivery` section: the outbox worker's and sendSms's settings. */
export type DeliveryConfig = Static<typeof DeliverySettingsSchema>;
export const DEFAULT_DELIVERY_CONFIG = defaultsOf<DeliveryConfig>(DeliverySettingsSchema);

/** The `promotional` section: when promotional messages may go out. */
export type PromotionalConfig = Static<typeof PromotionalSettingsSchema>;
export const DEFAULT_PROMOTIONAL_CONFIG = defaultsOf<PromotionalConfig>(PromotionalSettingsSchema);

/**
 * The `callbacks` section, plus the dispatcher's own timings (not settings of the configuration:
 * they follow from the section's timeout).
 */
export type CallbackConfig = Static<typeof CallbackSettingsSchema> & {
  /** How long a claimed job is ours, ms; must exceed timeoutMs. Default 30,000. */
  leaseMs: number;
  /** Poll interval when no notification arrives, ms. Default 1,000. */
  pollMs: number;
  /** How long stop() waits for POSTs in flight, ms. Default 10,000. */
  drainMs: number;
};
export const DEFAULT_CALLBACK_CONFIG: Readonly<CallbackConfig> = Object.freeze({
  ...defaultsOf<Static<typeof CallbackSettingsSchema>>(CallbackSettingsSchema),
  leaseMs: 30_000,
  pollMs: 1000,
  drainMs: 10_000,
});

/** What sendSms reads: the validity settings of the `delivery` section and the longest body. */
export type SendConfig = Pick<DeliveryConfig, 'validitySeconds' | 'maxValiditySeconds'> & {
  /** Longest body, characters (code points). Default 2,000 (Exotel's limit). */
  maxBodyCharacters: number;
};
export const DEFAULT_SEND_CONFIG: Readonly<SendConfig> = Object.freeze({
  validitySeconds: DEFAULT_DELIVERY_CONFIG.validitySeconds,
  maxValiditySeconds: DEFAULT_DELIVERY_CONFIG.maxValiditySeconds,
  maxBodyCharacters: 2000,
});

export interface PromoWindow {
  /** Local opening time, HH:MM. */
  start: string;
  /** Local closing time, HH:MM (exclusive). */
  end: string;
  /** IANA zone of start and end. */
  timeZone: string;
}

/** The window of a `promotional` section. */
export const promoWindowOf = (p: PromotionalConfig): PromoWindow => ({
  start: p.windowStart,
  end: p.windowEnd,
  timeZone: p.timeZone,
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
