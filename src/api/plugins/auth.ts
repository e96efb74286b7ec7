/**
 * Authentication: HTTP Basic with an account's API key as the user name and its token as the
 * password (the Exotel convention). Tokens are stored only as hashes.
 *
 * Verified keys are cached in memory for a short TTL (default 5 s) so the hot path costs no store
 * round trip. A key revoked through this process's API stops working at once; one revoked by
 * another process (or the CLI) stops working within the TTL.
 *
 * Other authenticators (the web app's session cookie) plug in through `ApiDeps.authenticators`;
 * whichever accepts the request sets `request.account`.
 */

import { setTimeout } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../../accounts.ts';
import type { AuthSurface, AuthThrottle } from '../../auth-throttle.ts';
import { CallflowError } from '../../errors.ts';
import type { ApiKey, Store } from '../../store/types.ts';
import { createTtlCache } from '../ttl-cache.ts';
import type { AuthenticatedAccount, Authenticator } from '../types.ts';

/** Splits `Authorization: Basic base64(user:password)`; null when the header is not Basic. */
export function parseBasicAuth(
  header: string | undefined,
): { user: string; password: string } | null {
  if (header === undefined) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'basic') return null;
  const decoded = Buffer.from(header.slice(space + 1).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new CallflowError('UNAUTHORIZED', 'Malformed Basic credentials: expected key:token.');
  }
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

type KeyEntry = Pick<ApiKey, 'id' | 'accountSid' | 'tokenHash'> | null;

export interface ApiKeyAuth {
  authenticate: Authenticator;
  /** Drops a key from the cache (after it was revoked here). */
  forget(key: string): void;
}

export function createApiKeyAuth(opts: {
  store: Store;
  now: () => number;
  /** How long a key looked up in the store is trusted, ms. */
  ttlMs: number;
  maxEntries?: number;
}): ApiKeyAuth {
  // The cache holds the lookup promise, so a burst of requests with one key makes one query.
  const cache = createTtlCache<Promise<KeyEntry>>({
    ttlMs: opts.ttlMs,
    maxEntries: opts.maxEntries ?? 10_000,
    now: opts.now,
  });

  function lookup(key: string): Promise<KeyEntry> {
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const pending = opts.store.accounts.findApiKey(key).then(
      (k) =>
        k === undefined ? null : { id: k.id, accountSid: k.accountSid, tokenHash: k.tokenHash },
      (err: unknown) => {
        cache.delete(key);
        throw err;
      },
    );
    cache.set(key, pending);
    return pending;
  }

  return {
    async authenticate(request: FastifyRequest): Promise<AuthenticatedAccount | null> {
      const credentials = parseBasicAuth(request.headers.authorization);
      if (credentials === null) return null;
      // No key holds a NUL, and PostgreSQL refuses a query that carries one.
      if (credentials.user.includes('\u0000')) {
        throw new CallflowError('UNAUTHORIZED', 'Unknown API key or wrong token.');
      }
      const entry = await lookup(credentials.user);
      if (entry === null || !tokenMatches(credentials.password, entry.tokenHash)) {
        throw new CallflowError('UNAUTHORIZED', 'Unknown API key or wrong token.');
      }
      return { sid: entry.accountSid, method: 'api-key', keyId: entry.id };
    },
    forget: (key) => cache.delete(key),
  };
}

/** The surface of a request for the throttle's logs and metrics. */
const surfaceOf = (request: FastifyRequest): AuthSurface =>
  request.url.startsWith('/v1/') ? 'exotel' : 'api';

/**
 * Refuses a failed authentication that the throttle refuses: held `delayMs`, then 429
 * AUTH_THROTTLED with Retry-After. Returns when the failure is to be answered as usual.
 */
export async function throttleFailure(
  throttle: AuthThrottle,
  request: FastifyRequest,
  reply: FastifyReply,
  surface: AuthSurface,
): Promise<void> {
  const verdict = throttle.failed(request.ip, surface);
  if (!verdict.refused) return;
  if (verdict.delayMs > 0) await setTimeout(verdict.delayMs);
  reply.header('retry-after', String(verdict.retryAfterSeconds));
  throw new CallflowError(
    'AUTH_THROTTLED',
    `Too many failed authentications from your address; retry in ${verdict.retryAfterSeconds} s. Correct credentials are accepted meanwhile.`,
    { retryAfterSeconds: verdict.retryAfterSeconds },
  );
}

/**
 * Decorates the app with `authenticate` (an onRequest hook) and `request.account`. A request whose
 * credentials are wrong is a failure for `throttle`; a correct credential is always accepted. A
 * request with no credentials at all is answered 401 and not counted: it guesses nothing, costs no
 * look-up, and clients that send credentials only after a challenge send one first every time.
 */
export function installAuth(
  app: FastifyInstance,
  authenticators: Authenticator[],
  throttle: AuthThrottle,
): void {
  app.decorateRequest('account', null);
  app.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      for (const authenticator of authenticators) {
        const principal = await authenticator(request);
        if (principal !== null) {
          request.account = principal;
          return;
        }
      }
    } catch (error) {
      if (error instanceof CallflowError && error.code === 'UNAUTHORIZED') {
        await throttleFailure(throttle, request, reply, surfaceOf(request));
      }
      throw error;
    }
    throw new CallflowError(
      'UNAUTHORIZED',
      'Authenticate with HTTP Basic: your API key as the user name and its token as the password.',
    );
  });
}

/** The principal of an authenticated route; throws if the route forgot `onRequest: app.authenticate`. */
export function principal(request: FastifyRequest): AuthenticatedAccount {
  if (request.account === null) throw new CallflowError('UNAUTHORIZED');
  return request.account;
}
