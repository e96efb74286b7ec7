/**
 * The web app's session: a signed cookie instead of a sessions table.
 *
 * Signing in with an API key and token (checked exactly like HTTP Basic: the key's stored hash,
 * compared in constant time) sets `callflow_session`, an httpOnly, SameSite=Strict cookie holding
 * `base64url(claims).base64url(HMAC-SHA256(secret, claims))`, where the claims are the account SID,
 * the API key's ID and the expiry. Nothing is stored server-side, so no migration is needed and any
 * API process that shares the secret accepts the cookie. Because a signed cookie cannot be
 * withdrawn, every use re-checks that the key it was opened with is still active (cached for
 * `keyCheckTtlMs`, default 2 s): revoking the key ends its sessions.
 *
 * Cross-site request forgery: SameSite=Strict keeps the cookie off cross-site requests, and a
 * state-changing request (not GET/HEAD/OPTIONS) authenticated by the cookie must also carry
 * `X-Requested-With: callflow-web`, a header a cross-origin page cannot send without CORS.
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { CallflowError } from '../../errors.ts';
import type { Store } from '../../store/types.ts';
import { createTtlCache } from '../ttl-cache.ts';
import type { AuthenticatedAccount, Authenticator } from '../types.ts';

export const SESSION_COOKIE = 'callflow_session';
/** The header the web app sends with every request (see the CSRF note above). */
export const WEB_CLIENT_HEADER = 'x-requested-with';
export const WEB_CLIENT_VALUE = 'callflow-web';

export const SESSION_DEFAULTS = {
  /** How long a session lasts, ms (12 hours). */
  ttlMs: 12 * 60 * 60 * 1000,
  /** How long "this key is still active" is trusted, ms. */
  keyCheckTtlMs: 2_000,
} as const;

export interface SessionClaims {
  accountSid: string;
  keyId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface SessionAuth {
  /** Accepts a request with a valid cookie; null when there is none (the next authenticator decides). */
  authenticate: Authenticator;
  /** The cookie value for these claims. */
  sign(claims: SessionClaims): string;
  /** The claims of a well-signed, unexpired cookie value; null otherwise. Does not check the key. */
  verify(value: string): SessionClaims | null;
  /** The claims of the request's cookie when it is valid and its key still active. */
  check(request: FastifyRequest): Promise<SessionClaims | null>;
  /** Drops the cached key check of an account (after a key was revoked here). */
  forgetAccount(accountSid: string): void;
  readonly ttlMs: number;
  now(): number;
}

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** A Set-Cookie header for the session; an empty value with maxAge 0 clears it. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const attributes = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createSessionAuth(opts: {
  store: Store;
  /** At least 32 bytes; see loadSessionSecret. */
  secret: Buffer;
  now: () => number;
  ttlMs?: number;
  keyCheckTtlMs?: number;
}): SessionAuth {
  if (opts.secret.length < 32) throw new Error('the session secret must be at least 32 bytes');
  const ttlMs = opts.ttlMs ?? SESSION_DEFAULTS.ttlMs;
  // accountSid → IDs of its active keys, so a burst of requests costs one store query.
  const activeKeys = createTtlCache<Promise<Set<string>>>({
    ttlMs: opts.keyCheckTtlMs ?? SESSION_DEFAULTS.keyCheckTtlMs,
    maxEntries: 10_000,
    now: opts.now,
  });

  function mac(payload: string): Buffer {
    return createHmac('sha256', opts.secret).update(payload, 'utf8').digest();
  }

  function sign(claims: SessionClaims): string {
    const payload = Buffer.from(
      JSON.stringify({ a: claims.accountSid, k: claims.keyId, e: claims.expiresAt }),
      'utf8',
    ).toString('base64url');
    return `${payload}.${mac(payload).toString('base64url')}`;
  }

  function verify(value: string): SessionClaims | null {
    const dot = value.indexOf('.');
    if (dot <= 0) return null;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const { a, k, e } = (raw ?? {}) as Record<string, unknown>;
    if (typeof a !== 'string' || typeof k !== 'string' || typeof e !== 'number') return null;
    if (e <= opts.now()) return null;
    return { accountSid: a, keyId: k, expiresAt: e };
  }

  function keysOf(accountSid: string): Promise<Set<string>> {
    const cached = activeKeys.get(accountSid);
    if (cached !== undefined) return cached;
    const pending = opts.store.accounts.listApiKeys(accountSid).then(
      (keys) => new Set(keys.filter((key) => key.revokedAt === null).map((key) => key.id)),
      (err: unknown) => {
        activeKeys.delete(accountSid);
        throw err;
      },
    );
    activeKeys.set(accountSid, pending);
    return pending;
  }

  async function check(request: FastifyRequest): Promise<SessionClaims | null> {
    const value = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!value) return null;
    const claims = verify(value);
    if (claims === null) return null;
    return (await keysOf(claims.accountSid)).has(claims.keyId) ? claims : null;
  }

  async function authenticate(request: FastifyRequest): Promise<AuthenticatedAccount | null> {
    const value = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!value) return null;
    const claims = await check(request);
    if (claims === null) {
      throw new CallflowError(
        'UNAUTHORIZED',
        'The session has expired or was signed out; sign in again.',
      );
    }
    if (
      !SAFE_METHODS.has(request.method) &&
      request.headers[WEB_CLIENT_HEADER] !== WEB_CLIENT_VALUE
    ) {
      throw new CallflowError(
        'FORBIDDEN',
        `A request that changes something with a session cookie must send ${WEB_CLIENT_HEADER}: ${WEB_CLIENT_VALUE}.`,
      );
    }
    // keyId stays null: it names the key of Basic auth, and this request did not present one.
    return { sid: claims.accountSid, method: 'session', keyId: null };
  }

  return {
    authenticate,
    sign,
    verify,
    check,
    forgetAccount: (accountSid) => activeKeys.delete(accountSid),
    ttlMs,
    now: opts.now,
  };
}

/**
 * The secret that signs session cookies: CALLFLOW_SESSION_SECRET when set (at least 32
 * characters; every API process of a deployment must share it), otherwise a random secret kept
 * in `<dataDir>/session-secret` (created on first use, mode 0600), so sessions survive restarts.
 */
export function loadSessionSecret(options: { env?: NodeJS.ProcessEnv; dataDir: string }): Buffer {
  const fromEnv = (options.env ?? process.env).CALLFLOW_SESSION_SECRET;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32)
      throw new Error('CALLFLOW_SESSION_SECRET must be at least 32 characters');
    return Buffer.from(fromEnv, 'utf8');
  }
  const file = join(options.dataDir, 'session-secret');
  try {
    const stored = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (stored.length >= 32) return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = randomBytes(32);
  mkdirSync(options.dataDir, { recursive: true });
  writeFileSync(file, `${secret.toString('base64url')}\n`, { mode: 0o600 });
  return secret;
}
