/**
 * Per-account rate limits on the API: a token bucket per account in this process's memory, of
 * `perMinute` tokens refilled continuously (perMinute / 60 a second), so an account may burst up to
 * a minute's worth and then goes at the steady rate. A request over the limit is refused with 429
 * RATE_LIMITED and `Retry-After` (whole seconds until a token is back); every limited response
 * carries X-RateLimit-Limit and X-RateLimit-Remaining.
 *
 * It runs as a root preParsing hook, after every authentication hook and before the body is read,
 * so it limits whatever account the request was authenticated as, on every route, and costs a
 * refused request no parsing. Requests without an account (/healthz, /readyz, /metrics, the
 * OpenAPI document, sign-in) are not limited. With several API processes, each applies the limit on
 * its own: the effective limit is perMinute times the number of processes behind the balancer.
 */

import type { FastifyInstance } from 'fastify';
import { CallflowError } from '../../errors.ts';

export interface RateLimitOptions {
  /** Requests per minute per account; 0 turns the limit off. */
  perMinute: number;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Accounts tracked at most; idle full buckets are dropped first. Default 100,000. */
  maxAccounts?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiter {
  /** Takes one token for the account: how many are left, or how long to wait (seconds). */
  take(
    accountSid: string,
  ): { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };
}

export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const capacity = options.perMinute;
  const perMs = capacity / 60_000;
  const max = options.maxAccounts ?? 100_000;
  const buckets = new Map<string, Bucket>();

  function prune(now: number): void {
    for (const [sid, b] of buckets) {
      if (b.tokens + (now - b.at) * perMs >= capacity) buckets.delete(sid);
    }
    // Still too many busy accounts: drop the oldest entries (they restart with a full bucket).
    for (const sid of buckets.keys()) {
      if (buckets.size < max) break;
      buckets.delete(sid);
    }
  }

  return {
    take(accountSid) {
      const now = options.now();
      let b = buckets.get(accountSid);
      if (b === undefined) {
        if (buckets.size >= max) prune(now);
        b = { tokens: capacity, at: now };
        buckets.set(accountSid, b);
      } else {
        b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs);
        b.at = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true, remaining: Math.floor(b.tokens) };
      }
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)),
      };
    },
  };
}

/** Installs the limit on the app (any time before ready: a root hook applies to every route). */
export function installRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  if (options.perMinute <= 0) return;
  const limiter = createRateLimiter(options);
  app.addHook('preParsing', async (request, reply, payload) => {
    const account = request.account;
    if (account === null) return payload;
    const taken = limiter.take(account.sid);
    reply.header('x-ratelimit-limit', String(options.perMinute));
    if (taken.ok) {
      reply.header('x-ratelimit-remaining', String(taken.remaining));
      return payload;
    }
    reply.header('x-ratelimit-remaining', '0');
    reply.header('retry-after', String(taken.retryAfterSeconds));
    throw new CallflowError(
      'RATE_LIMITED',
      `More than ${options.perMinute} requests a minute for this account; retry in ${taken.retryAfterSeconds} s.`,
      { retryAfterSeconds: taken.retryAfterSeconds },
    );
  });
}
