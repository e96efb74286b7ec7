/**
 * The operator's credential: admin keys, for the endpoints that manage the carriers and routes of
 * the whole installation (not of one account).
 *
 * An admin key is made by `callflow admin create` (the token is shown once; only its hash is
 * stored) and is presented like an API key: HTTP Basic, the key as the user name, the token as the
 * password. The web app's Carriers page signs in with it and gets `callflow_admin`, a signed cookie
 * like the tenant session's (src/api/plugins/session.ts), with the same CSRF rule: a request that
 * changes something with the cookie must send `X-Requested-With: callflow-web`.
 *
 * A tenant's credentials (an API key, a tenant session) are refused with 403 FORBIDDEN: they are
 * valid, but not for this.
 */

import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { hashToken, tokenMatches } from '../../accounts.ts';
import { CallflowError } from '../../errors.ts';
import type { AdminKey, Store } from '../../store/types.ts';
import { createTtlCache } from '../ttl-cache.ts';
import { parseBasicAuth } from './auth.ts';
import { readCookie, SESSION_COOKIE, WEB_CLIENT_HEADER, WEB_CLIENT_VALUE } from './session.ts';

export const ADMIN_COOKIE = 'callflow_admin';
/** Admin keys start with this, so a log or a config that holds one says what it is. */
export const ADMIN_KEY_PREFIX = 'adm_';
const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Creates and stores an admin key; the token is returned only here. */
export async function issueAdminKey(
  store: Store,
  label: string,
): Promise<{ adminKey: AdminKey; token: string }> {
  const key = `${ADMIN_KEY_PREFIX}${randomBytes(16).toString('hex')}`;
  const token = randomBytes(32).toString('hex');
  const adminKey = await store.admins.create({
    id: randomUUID(),
    key,
    tokenHash: hashToken(token),
    label,
  });
  return { adminKey, token };
}

export interface AdminPrincipal {
  keyId: string;
  label: string;
  method: 'admin-key' | 'admin-session';
}

export interface AdminAuth {
  /** The admin behind the request; throws UNAUTHORIZED or FORBIDDEN. */
  authenticate(request: FastifyRequest): Promise<AdminPrincipal>;
  /** Checks a key and token (sign-in); undefined when they are not an admin's. */
  verify(key: string, token: string): Promise<AdminKey | undefined>;
  /** The cookie value of a session for this key, and its lifetime in seconds. */
  sessionFor(key: AdminKey): { value: string; maxAgeSeconds: number; expiresAt: number };
}

export function createAdminAuth(opts: {
  store: Store;
  /** The session secret (loadSessionSecret), at least 32 bytes. */
  secret: Buffer;
  now: () => number;
  /** How long a looked-up key is trusted, ms. */
  ttlMs?: number;
}): AdminAuth {
  const { store } = opts;
  const cache = createTtlCache<Promise<AdminKey | undefined>>({
    ttlMs: opts.ttlMs ?? 2000,
    maxEntries: 1000,
    now: opts.now,
  });
  const lookup = (key: string) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const pending = store.admins.find(key);
    pending.catch(() => cache.delete(key));
    cache.set(key, pending);
    return pending;
  };
  const mac = (payload: string) =>
    createHmac('sha256', opts.secret).update(`admin:${payload}`, 'utf8').digest();

  async function verify(key: string, token: string) {
    if (key.includes('\u0000') || !key.startsWith(ADMIN_KEY_PREFIX)) return undefined;
    const admin = await lookup(key);
    return admin && tokenMatches(token, admin.tokenHash) ? admin : undefined;
  }

  async function fromCookie(value: string): Promise<AdminKey | undefined> {
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let claims: { k?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) ?? {};
    } catch {
      return undefined;
    }
    if (typeof claims.k !== 'string' || typeof claims.e !== 'number' || claims.e <= opts.now())
      return undefined;
    // A revoked key ends its sessions.
    return lookup(claims.k);
  }

  return {
    verify,
    sessionFor(key) {
      const expiresAt = opts.now() + SESSION_TTL_MS;
      const payload = Buffer.from(JSON.stringify({ k: key.key, e: expiresAt }), 'utf8').toString(
        'base64url',
      );
      return {
        value: `${payload}.${mac(payload).toString('base64url')}`,
        maxAgeSeconds: SESSION_TTL_MS / 1000,
        expiresAt,
      };
    },
    async authenticate(request) {
      const basic = parseBasicAuth(request.headers.authorization);
      if (basic) {
        const admin = await verify(basic.user, basic.password);
        if (admin) return { keyId: admin.id, label: admin.label, method: 'admin-key' };
        const tenant = basic.user.includes('\u0000')
          ? undefined
          : await store.accounts.findApiKey(basic.user);
        if (tenant && tokenMatches(basic.password, tenant.tokenHash)) {
          throw new CallflowError(
            'FORBIDDEN',
            'An account API key cannot manage carriers or routes; use an admin key (callflow admin create).',
          );
        }
        throw new CallflowError('UNAUTHORIZED', 'Unknown admin key or wrong token.');
      }
      const cookie = readCookie(request.headers.cookie, ADMIN_COOKIE);
      if (cookie) {
        const admin = await fromCookie(cookie);
        if (!admin)
          throw new CallflowError('UNAUTHORIZED', 'The admin session has expired; sign in again.');
        if (
          !SAFE_METHODS.has(request.method) &&
          request.headers[WEB_CLIENT_HEADER] !== WEB_CLIENT_VALUE
        ) {
          throw new CallflowError(
            'FORBIDDEN',
            `A request that changes something with a session cookie must send ${WEB_CLIENT_HEADER}: ${WEB_CLIENT_VALUE}.`,
          );
        }
        return { keyId: admin.id, label: admin.label, method: 'admin-session' };
      }
      if (readCookie(request.headers.cookie, SESSION_COOKIE)) {
        throw new CallflowError(
          'FORBIDDEN',
          'An account session cannot manage carriers or routes; sign in with an admin key.',
        );
      }
      throw new CallflowError(
        'UNAUTHORIZED',
        'Authenticate with an admin key: HTTP Basic, the key as the user name and its token as the password.',
      );
    },
  };
}
