/**
 * Throttling of failed authentications per source address, shared by every surface that checks a
 * credential (HTTP Basic on the API and the Exotel-compatible routes, the web sign-in, SIP digest).
 *
 * Only failures are throttled, never an address's successes: a surface always verifies the
 * credential it was given and accepts a correct one whatever the address did before. Each address
 * has a bucket of failures that leaks `maxFailures` per `windowSeconds`; once a failure finds it full,
 * that failure (and every further one while it stays full) is *refused*: the surface answers it
 * with a refusal that says when to retry (HTTP 429 AUTH_THROTTLED with Retry-After, after
 * `penaltyDelayMs`) instead of the plain "wrong credentials". So one client behind a shared address
 * (an office NAT) that keeps failing slows only its own wrong attempts; a colleague with a correct
 * credential signs in as usual.
 *
 * Memory is bounded: at most `maxAddresses` buckets, the least recently failing dropped first. IPv6
 * addresses count per /64, the block one subscriber gets, so an attacker cannot spread failures over
 * the addresses of their own prefix.
 *
 * Usage, on every surface:
 *
 *     if (credentialIsCorrect) accept();
 *     else {
 *       const verdict = throttle.failed(request.ip, 'api');
 *       if (verdict.refused) { await sleep(verdict.delayMs); refuse429(verdict.retryAfterSeconds); }
 *       else refuse401();
 *     }
 */

import { isIPv6 } from 'node:net';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';

/** The `authThrottle` section of the configuration: its schema, defaults and units, written once. */
export const AuthThrottleSettingsSchema = Type.Object(
  {
    /** Failed authentications an address may make in a burst before further ones get 429. */
    maxFailures: Type.Integer({ minimum: 1, default: 20 }),
    /** Seconds in which an address's failures are forgotten (maxFailures per windowSeconds). */
    windowSeconds: Type.Integer({ minimum: 1, default: 60 }),
    /** How long a refused failure is held before its 429, milliseconds. */
    penaltyDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
    /** Addresses tracked at most (memory bound); the least recently failing is forgotten first. */
    maxAddresses: Type.Integer({ minimum: 1, default: 100_000 }),
  },
  { default: {} },
);

export type AuthThrottleConfig = Static<typeof AuthThrottleSettingsSchema>;

export const AUTH_THROTTLE_DEFAULTS = Object.freeze(
  Value.Default(AuthThrottleSettingsSchema, {}) as AuthThrottleConfig,
);

/** Which surface a credential was checked on: a label for logs and metrics. */
export type AuthSurface = 'api' | 'exotel' | 'web' | 'sip';

export type AuthVerdict =
  | { refused: false }
  | { refused: true; retryAfterSeconds: number; delayMs: number };

/** A refused failure, for the log and the metrics. */
export interface AuthRefusal {
  surface: AuthSurface;
  /** The address as tracked: IPv4, or an IPv6 /64 prefix such as `2001:db8:0:1::/64`. */
  address: string;
  retryAfterSeconds: number;
  /** The first refusal since the address's bucket was last empty (log this one). */
  first: boolean;
}

export interface AuthThrottle {
  /** Records a failed authentication from `address`; says whether to refuse it (and how). */
  failed(address: string, surface: AuthSurface): AuthVerdict;
  /** Whether the next failure from `address` would be refused (for a surface that wants to know). */
  isThrottled(address: string): boolean;
  /** Addresses tracked now. */
  size(): number;
  readonly config: AuthThrottleConfig;
}

interface Bucket {
  level: number;
  /** When `level` was computed, ms. */
  at: number;
  /** Refused a failure since the bucket was last empty. */
  refusing: boolean;
}

/** The key of an address: IPv4 (also when mapped into IPv6) as it is, IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export function createAuthThrottle(options: {
  config?: Partial<AuthThrottleConfig>;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Told of every refused failure (log the `first` ones, count them all). */
  onRefused?: (refusal: AuthRefusal) => void;
}): AuthThrottle {
  const config: AuthThrottleConfig = { ...AUTH_THROTTLE_DEFAULTS, ...options.config };
  for (const [key, value] of Object.entries(config)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`auth throttle: bad ${key}`);
  }
  if (config.maxFailures < 1 || config.windowSeconds <= 0 || config.maxAddresses < 1) {
    throw new Error('auth throttle: maxFailures, windowSeconds and maxAddresses must be positive');
  }
  const now = options.now ?? Date.now;
  const perMs = config.maxFailures / (config.windowSeconds * 1000);
  const buckets = new Map<string, Bucket>();

  /** The bucket's level now, after leaking since it was last computed. */
  const levelOf = (b: Bucket, t: number) => Math.max(0, b.level - (t - b.at) * perMs);

  function makeRoom(t: number): void {
    // Empty buckets first (they hold nothing worth keeping), then the least recently failing.
    for (const [key, b] of buckets) {
      if (buckets.size < config.maxAddresses) return;
      if (levelOf(b, t) === 0) buckets.delete(key);
    }
    for (const key of buckets.keys()) {
      if (buckets.size < config.maxAddresses) return;
      buckets.delete(key);
    }
  }

  return {
    config,
    failed(address, surface) {
      const t = now();
      const key = addressKey(address);
      let b = buckets.get(key);
      if (b === undefined) {
        if (buckets.size >= config.maxAddresses) makeRoom(t);
        b = { level: 0, at: t, refusing: false };
      }
      // Re-inserted, so the Map's order is the order of the last failure.
      buckets.delete(key);
      buckets.set(key, b);
      const level = levelOf(b, t);
      b.at = t;
      if (level + 1 <= config.maxFailures) {
        b.level = level + 1;
        // A run of refusals ends when the bucket has emptied, not at each failure let through.
        if (level === 0) b.refusing = false;
        return { refused: false };
      }
      // Full: this failure is refused. The bucket stays full, so the address may fail again (and
      // be answered plainly) once one failure has leaked away, in retryAfterSeconds.
      b.level = config.maxFailures;
      const retryAfterSeconds = Math.max(1, Math.ceil(1 / perMs / 1000));
      const first = !b.refusing;
      b.refusing = true;
      options.onRefused?.({ surface, address: key, retryAfterSeconds, first });
      return { refused: true, retryAfterSeconds, delayMs: config.penaltyDelayMs };
    },
    isThrottled(address) {
      const b = buckets.get(addressKey(address));
      return b !== undefined && levelOf(b, now()) + 1 > config.maxFailures;
    },
    size: () => buckets.size,
  };
}
