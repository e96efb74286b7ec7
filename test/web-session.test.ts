/**
 * The web app's sign-in (signed session cookie) and the static file server, through inject():
 * cookie attributes, access with the cookie, tampering, expiry, revoked keys, CSRF header,
 * sign-out, the failed sign-in limit; content types, cache headers, SPA fallback, redirects.
 */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { SESSION_COOKIE, SESSION_DEFAULTS } from '../src/api/plugins/session.ts';
import { webAppDeps } from '../src/api/routes/web.ts';
import { AUTH_THROTTLE_DEFAULTS } from '../src/auth-throttle.ts';
import { openTestStore } from '../src/store/testing.ts';
import { type ApiFixture, apiFixture } from './api-helpers.ts';

const dist = mkdtempSync(join(tmpdir(), 'callflow-web-dist-'));
mkdirSync(join(dist, 'assets'));
writeFileSync(
  join(dist, 'index.html'),
  '<!doctype html><title>callflow</title><div id="root"></div>',
);
writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
writeFileSync(join(dist, 'assets', 'index-abc123.css'), 'body{}');

function cookieOf(res: LightMyRequestResponse): string {
  const header = res.headers['set-cookie'];
  const value = Array.isArray(header) ? header[0] : header;
  assert.ok(value, 'expected a Set-Cookie header');
  return value;
}

/** `callflow_session=…` for a Cookie header, from a Set-Cookie header. */
const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

describe('web session and static files', () => {
  let fx: ApiFixture;
  let secret: Buffer;

  before(async () => {
    const testStore = await openTestStore('sqlite');
    secret = Buffer.alloc(32, 7);
    const web = webAppDeps({
      store: testStore.store,
      sessionSecret: secret,
      now: () => testStore.clock().getTime(),
      distDir: dist,
    });
    fx = await apiFixture(testStore, {
      authenticators: web.authenticators,
      extraRoutes: web.extraRoutes,
    });
  });

  after(async () => {
    await fx.close();
    rmSync(dist, { recursive: true, force: true });
  });

  async function signIn(key = fx.a.key, token = fx.a.token) {
    return fx.call({
      as: null,
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'x-requested-with': 'callflow-web' },
      payload: { key, token },
    });
  }

  test('signing in sets an httpOnly, SameSite=Strict cookie and returns the account', async () => {
    const res = await signIn();
    assert.equal(res.statusCode, 200);
    const body = res.json() as { account: { sid: string }; keyId: string; expiresAt: string };
    assert.equal(body.account.sid, fx.a.sid);
    assert.equal(body.keyId, fx.a.keyId);
    const cookie = cookieOf(res);
    assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[^;]+`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.match(cookie, new RegExp(`Max-Age=${SESSION_DEFAULTS.ttlMs / 1000}`));
  });

  test('the cookie authenticates API calls like Basic auth, and only for its account', async () => {
    const cookie = cookiePair(cookieOf(await signIn()));
    const account = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { cookie },
    });
    assert.equal(account.statusCode, 200);
    assert.equal((account.json() as { sid: string }).sid, fx.a.sid);
    const session = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/session',
      headers: { cookie },
    });
    assert.equal(session.statusCode, 200);
  });

  test('without a session nothing works', async () => {
    const account = await fx.call({ as: null, method: 'GET', url: '/api/v1/account' });
    assert.equal(account.statusCode, 401);
    const session = await fx.call({ as: null, method: 'GET', url: '/api/v1/session' });
    assert.equal(session.statusCode, 401);
    assert.equal((session.json() as { code: string }).code, 'UNAUTHORIZED');
  });

  test('the web app gets its 401s without a Basic challenge (no browser password dialog)', async () => {
    const api = await fx.call({ as: null, method: 'GET', url: '/api/v1/account' });
    assert.equal(api.headers['www-authenticate'], 'Basic realm="callflow"');
    const web = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { 'x-requested-with': 'callflow-web' },
    });
    assert.equal(web.statusCode, 401);
    assert.equal(web.headers['www-authenticate'], undefined);
  });

  test('signing in needs the web app header (no login CSRF from a form elsewhere)', async () => {
    const res = await fx.call({
      as: null,
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `key=${fx.a.key}&token=${encodeURIComponent(fx.a.token)}`,
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('a wrong token sets no cookie', async () => {
    const res = await signIn(fx.b.key, 'not-the-token');
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['set-cookie'], undefined);
  });

  test('a tampered cookie is refused', async () => {
    const pair = cookiePair(cookieOf(await signIn()));
    const [name, value] = pair.split('=') as [string, string];
    const [payload, mac] = value.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    claims.a = fx.b.sid;
    const forged = `${name}=${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
    const res = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { cookie: forged },
    });
    assert.equal(res.statusCode, 401);
  });

  test('a state-changing request with the cookie needs the web app header', async () => {
    const cookie = cookiePair(cookieOf(await signIn()));
    const bare = await fx.call({
      as: null,
      method: 'PATCH',
      url: '/api/v1/account',
      headers: { cookie },
      payload: { name: 'Renamed' },
    });
    assert.equal(bare.statusCode, 403);
    const fromApp = await fx.call({
      as: null,
      method: 'PATCH',
      url: '/api/v1/account',
      headers: { cookie, 'x-requested-with': 'callflow-web' },
      payload: { name: 'Renamed' },
    });
    assert.equal(fromApp.statusCode, 200);
  });

  test('signing out clears the cookie', async () => {
    const res = await fx.call({ as: null, method: 'DELETE', url: '/api/v1/session' });
    assert.equal(res.statusCode, 204);
    assert.match(cookieOf(res), /Max-Age=0/);
  });

  test('web pages redirect to sign-in without a session and serve the app with one', async () => {
    const anonymous = await fx.call({ as: null, method: 'GET', url: '/flows/abc' });
    assert.equal(anonymous.statusCode, 302);
    assert.equal(anonymous.headers.location, '/signin?next=%2Fflows%2Fabc');
    const signin = await fx.call({ as: null, method: 'GET', url: '/signin' });
    assert.equal(signin.statusCode, 200);

    const cookie = cookiePair(cookieOf(await signIn()));
    const page = await fx.call({ as: null, method: 'GET', url: '/flows/abc', headers: { cookie } });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.body, /id="root"/);
  });

  test('hashed assets are cached for a year with the right content type', async () => {
    const js = await fx.call({ as: null, method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const css = await fx.call({ as: null, method: 'GET', url: '/assets/index-abc123.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const again = await fx.call({
      as: null,
      method: 'GET',
      url: '/assets/index-abc123.js',
      headers: { 'if-none-match': String(js.headers.etag) },
    });
    assert.equal(again.statusCode, 304);
  });

  test('missing assets, API paths and escapes are 404s, not the app', async () => {
    const asset = await fx.call({ as: null, method: 'GET', url: '/assets/gone-123.js' });
    assert.equal(asset.statusCode, 404);
    const api = await fx.call({ as: null, method: 'GET', url: '/api/v1/nothing-here' });
    assert.equal(api.statusCode, 404);
    assert.equal((api.json() as { code: string }).code, 'NOT_FOUND');
    const traversal = await fx.call({ as: null, method: 'GET', url: '/..%2f..%2fpackage.json' });
    assert.equal(traversal.statusCode, 404);
  });

  test('a session ends when its key is revoked', async () => {
    const cookie = cookiePair(cookieOf(await signIn(fx.b.key, fx.b.token)));
    const beforeRevoke = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { cookie },
    });
    assert.equal(beforeRevoke.statusCode, 200);
    await fx.call({
      as: fx.b,
      method: 'POST',
      url: '/api/v1/account/keys',
      payload: { label: 'spare' },
    });
    const revoke = await fx.call({
      as: fx.b,
      method: 'DELETE',
      url: `/api/v1/account/keys/${fx.b.keyId}`,
    });
    assert.equal(revoke.statusCode, 204);
    fx.clock.advance(SESSION_DEFAULTS.keyCheckTtlMs + 1);
    const afterRevoke = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { cookie },
    });
    assert.equal(afterRevoke.statusCode, 401);
  });

  test('a session expires', async () => {
    const cookie = cookiePair(cookieOf(await signIn()));
    fx.clock.advance(SESSION_DEFAULTS.ttlMs + 1);
    const res = await fx.call({
      as: null,
      method: 'GET',
      url: '/api/v1/account',
      headers: { cookie },
    });
    assert.equal(res.statusCode, 401);
  });

  test('too many failed sign-ins from one address are refused for a while, the right token is not', async () => {
    for (let i = 0; i < AUTH_THROTTLE_DEFAULTS.maxFailures; i++)
      assert.equal((await signIn(fx.a.key, `wrong-${i}`)).statusCode, 401);
    const limited = await signIn(fx.a.key, 'wrong-again');
    assert.equal(limited.statusCode, 429);
    assert.equal((limited.json() as { code: string }).code, 'AUTH_THROTTLED');
    assert.equal((await signIn()).statusCode, 200);
  });
});

describe('web app not built', () => {
  test('pages answer 503 with how to build it', async () => {
    const testStore = await openTestStore('sqlite');
    const web = webAppDeps({
      store: testStore.store,
      sessionSecret: Buffer.alloc(32, 1),
      distDir: join(tmpdir(), 'callflow-no-such-dist'),
    });
    const fx = await apiFixture(testStore, {
      authenticators: web.authenticators,
      extraRoutes: web.extraRoutes,
    });
    try {
      const res = await fx.call({ as: null, method: 'GET', url: '/signin' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /build:web/);
    } finally {
      await fx.close();
    }
  });
});
