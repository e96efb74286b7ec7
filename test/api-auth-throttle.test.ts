/**
 * Failed authentications throttled per source address on every HTTP surface (Basic auth on the
 * API and the Exotel-compatible routes, the web sign-in): past the limit an address's wrong
 * credentials get 429 AUTH_THROTTLED with Retry-After, its correct ones are still accepted, other
 * addresses are untouched, and /metrics counts the refusals.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { webAppDeps } from '../src/api/routes/web.ts';
import { createAuthThrottle } from '../src/auth-throttle.ts';
import { createMetrics, reportAuthRefusal } from '../src/metrics.ts';
import { openTestStore } from '../src/store/testing.ts';
import { type ApiFixture, apiFixture, basicAuth } from './api-helpers.ts';

const LIMIT = 5;
const PENALTY_MS = 150;
const ATTACKER = '203.0.113.50';
const ELSEWHERE = '198.51.100.20';

describe('failed authentications are throttled per address', () => {
  const dist = mkdtempSync(join(tmpdir(), 'callflow-throttle-dist-'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>callflow</title>');
  let fx: ApiFixture;
  const logged: object[] = [];

  before(async () => {
    const ts = await openTestStore('sqlite');
    const now = () => ts.clock().getTime();
    const metrics = createMetrics({ store: ts.store, clock: ts.clock });
    const authThrottle = createAuthThrottle({
      config: { maxFailures: LIMIT, windowSeconds: 60, penaltyDelayMs: PENALTY_MS },
      now,
      onRefused: reportAuthRefusal({ metrics, log: { warn: (d) => logged.push(d) } }),
    });
    const web = webAppDeps({
      store: ts.store,
      sessionSecret: Buffer.alloc(32, 7),
      now,
      distDir: dist,
      authThrottle,
    });
    fx = await apiFixture(ts, {
      metrics,
      authThrottle,
      authenticators: web.authenticators,
      extraRoutes: web.extraRoutes,
    });
  });
  after(async () => {
    await fx.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const from = (address: string, opts: InjectOptions) =>
    fx.app.inject({ ...opts, remoteAddress: address });
  const wrongBasic = (n: number) => basicAuth(fx.a.key, `wrong-token-${n}`);

  test('Basic auth: wrong credentials past the limit get 429, correct ones still 200', async () => {
    const list = (address: string, authorization?: string) =>
      from(address, {
        method: 'GET',
        url: '/api/v1/sms',
        headers: authorization === undefined ? {} : { authorization },
      });
    for (let i = 0; i < LIMIT; i++) {
      const res = await list(ATTACKER, wrongBasic(i));
      assert.equal(res.statusCode, 401, res.body);
    }
    const started = Date.now();
    const refused = await list(ATTACKER, wrongBasic(99));
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.json().code, 'AUTH_THROTTLED');
    assert.equal(refused.headers['retry-after'], String(60 / LIMIT));
    assert.ok(Date.now() - started >= PENALTY_MS - 5, 'a refused failure is held');
    // No credentials at all is the challenge, as ever: clients that authenticate only after a
    // challenge send such a request first each time.
    const challenge = await list(ATTACKER);
    assert.equal(challenge.statusCode, 401);
    assert.match(String(challenge.headers['www-authenticate']), /^Basic/);
    // A colleague behind the same address, with the right key and token.
    const ok = await list(ATTACKER, fx.a.auth);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal((await list(ATTACKER, fx.b.auth)).statusCode, 200);
    // Another address fails as usual.
    assert.equal((await list(ELSEWHERE, wrongBasic(1))).statusCode, 401);
    // The Exotel-compatible routes share the throttle.
    const exotel = (authorization: string) =>
      from(ATTACKER, {
        method: 'GET',
        url: `/v1/Accounts/${fx.a.sid}/SMS/Messages/${'0'.repeat(32)}.json`,
        headers: { authorization },
      });
    const exotelRefused = await exotel(wrongBasic(100));
    assert.equal(exotelRefused.statusCode, 429, exotelRefused.body);
    assert.equal(exotelRefused.json().RestException.ReasonCode, 'AUTH_THROTTLED');
    assert.equal((await exotel(fx.a.auth)).statusCode, 404);
    // Once a failure has leaked away (60 s / 5), a wrong credential is a plain 401 again.
    fx.clock.advance(12_001);
    assert.equal((await list(ATTACKER, wrongBasic(101))).statusCode, 401);
    assert.equal((await list(ATTACKER, wrongBasic(102))).statusCode, 429);
  });

  test('web sign-in: a correct key and token sign in even after many failures there', async () => {
    const signIn = (address: string, token: string) =>
      from(address, {
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'x-requested-with': 'callflow-web' },
        payload: { key: fx.b.key, token },
      });
    const other = '192.0.2.77';
    for (let i = 0; i < LIMIT; i++)
      assert.equal((await signIn(other, `wrong-${i}`)).statusCode, 401);
    const refused = await signIn(other, 'wrong-again');
    assert.equal(refused.statusCode, 429, refused.body);
    assert.equal(refused.json().code, 'AUTH_THROTTLED');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    const ok = await signIn(other, fx.b.token);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.match(String(ok.headers['set-cookie']), /callflow_session=/);
  });

  test('refusals are counted in /metrics by surface and logged once per run', async () => {
    const res = await fx.call({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    const count = (surface: string) =>
      Number(
        new RegExp(`^callflow_auth_throttled_total\\{surface="${surface}"\\} (\\d+)$`, 'm').exec(
          res.body,
        )?.[1] ?? 0,
      );
    assert.equal(count('api'), 2);
    assert.equal(count('exotel'), 1);
    assert.equal(count('web'), 1);
    assert.deepEqual(
      logged.map((d) => (d as { address: string }).address),
      [ATTACKER, '192.0.2.77'],
    );
  });
});
