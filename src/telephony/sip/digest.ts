/**
 * Digest authentication for SIP (RFC 3261 §22, RFC 2617 with qop=auth, RFC 8760 for SHA-256).
 *
 * Nonces are stateless: a timestamp and an HMAC of it under a per-process secret, so a flood of
 * challenges costs no memory. A nonce older than NONCE_TTL_MS is answered with `stale=true`.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'SHA-256';

/** How long a nonce stays valid, milliseconds. */
const NONCE_TTL_MS = 5 * 60_000;

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop: string | undefined;
  nc: string | undefined;
  cnonce: string | undefined;
}

/** Parses `Digest a="b", c=d`; undefined when it is not a usable Digest header. */
export function parseAuthorization(value: string | undefined): DigestCredentials | undefined {
  if (value === undefined) return undefined;
  const match = /^Digest\s+(.*)$/is.exec(value.trim());
  if (!match) return undefined;
  const fields = new Map<string, string>();
  const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/gy;
  const rest = match[1]!;
  re.lastIndex = 0;
  while (re.lastIndex < rest.length) {
    const m = re.exec(rest);
    if (m === null) break;
    fields.set(m[1]!.toLowerCase(), (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
    while (rest[re.lastIndex] === ' ') re.lastIndex++;
  }
  const algorithmRaw = (fields.get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithmRaw !== 'MD5' && algorithmRaw !== 'SHA-256') return undefined;
  const required = ['username', 'realm', 'nonce', 'uri', 'response'];
  if (required.some((k) => !fields.has(k))) return undefined;
  return {
    username: fields.get('username')!,
    realm: fields.get('realm')!,
    nonce: fields.get('nonce')!,
    uri: fields.get('uri')!,
    response: fields.get('response')!.toLowerCase(),
    algorithm: algorithmRaw,
    qop: fields.get('qop'),
    nc: fields.get('nc'),
    cnonce: fields.get('cnonce'),
  };
}

function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text)
    .digest('hex');
}

/** The response a client computes (RFC 2617 §3.2.2.1), used on both sides. */
export function digestResponse(options: {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string | undefined;
  nc?: string | undefined;
  cnonce?: string | undefined;
}): string {
  const h = (t: string) => hash(options.algorithm, t);
  const ha1 = h(`${options.username}:${options.realm}:${options.password}`);
  const ha2 = h(`${options.method}:${options.uri}`);
  return options.qop
    ? h(`${ha1}:${options.nonce}:${options.nc}:${options.cnonce}:${options.qop}:${ha2}`)
    : h(`${ha1}:${options.nonce}:${ha2}`);
}

export type DigestCheck =
  | { ok: true; username: string }
  | { ok: false; stale: boolean; username: string | undefined };

export class DigestAuthenticator {
  readonly realm: string;
  readonly #secret = randomBytes(32);
  readonly #now: () => number;
  readonly #algorithms: readonly DigestAlgorithm[];

  constructor(
    realm: string,
    now: () => number = Date.now,
    algorithms: readonly DigestAlgorithm[] = ['SHA-256', 'MD5'],
  ) {
    this.realm = realm;
    this.#now = now;
    this.#algorithms = algorithms;
  }

  nonce(): string {
    const stamp = this.#now().toString(16);
    return `${stamp}.${this.#sign(stamp)}`;
  }

  /** The WWW-Authenticate values to send, most preferred first (RFC 8760 §2.4). */
  challenges(stale = false): string[] {
    const nonce = this.nonce();
    const staleParam = stale ? ', stale=true' : '';
    return this.#algorithms.map(
      (algorithm) =>
        `Digest realm="${this.realm}", nonce="${nonce}", algorithm=${algorithm}, qop="auth"${staleParam}`,
    );
  }

  /** Checks an Authorization header against `passwordOf(username)`. */
  verify(
    method: string,
    authorization: string | undefined,
    passwordOf: (username: string) => string | undefined,
  ): DigestCheck {
    const creds = parseAuthorization(authorization);
    if (!creds || creds.realm !== this.realm)
      return { ok: false, stale: false, username: undefined };
    const password = passwordOf(creds.username);
    const nonceState = this.#nonceState(creds.nonce);
    if (password === undefined || nonceState === 'bad') {
      return { ok: false, stale: false, username: creds.username };
    }
    if (creds.qop !== undefined && (creds.qop !== 'auth' || !creds.nc || !creds.cnonce)) {
      return { ok: false, stale: false, username: creds.username };
    }
    const expected = digestResponse({ ...creds, password, method });
    const a = Buffer.from(expected);
    const b = Buffer.from(creds.response);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      return { ok: false, stale: false, username: creds.username };
    }
    if (nonceState === 'stale') return { ok: false, stale: true, username: creds.username };
    return { ok: true, username: creds.username };
  }

  #sign(stamp: string): string {
    return createHmac('sha256', this.#secret).update(stamp).digest('hex').slice(0, 32);
  }

  #nonceState(nonce: string): 'fresh' | 'stale' | 'bad' {
    const [stamp, signature] = nonce.split('.');
    if (!stamp || !signature || !/^[0-9a-f]{1,16}$/.test(stamp)) return 'bad';
    const expected = Buffer.from(this.#sign(stamp));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad';
    return this.#now() - Number.parseInt(stamp, 16) > NONCE_TTL_MS ? 'stale' : 'fresh';
  }
}
