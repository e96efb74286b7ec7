/**
 * Carriers and routes managed while running, through the admin API, on both stores, with real
 * SMPP sessions: a carrier added, disabled, enabled and removed during load (nothing lost, nothing
 * sent to a disabled carrier once its window drained), routes replaced at once, the changes kept
 * in the store over a restart, and the admin endpoints refusing an account's credentials.
 */

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { issueApiKey } from '../src/accounts.ts';
import { buildApp } from '../src/api/app.ts';
import { createAdminAuth, issueAdminKey } from '../src/api/plugins/admin.ts';
import { adminRoutes } from '../src/api/routes/carriers.ts';
import { webAppDeps } from '../src/api/routes/web.ts';
import type { SmppCarrierConfig } from '../src/carriers/smpp/config.ts';
import { loadInForce } from '../src/delivery/carrier-state.ts';
import { createSender } from '../src/delivery/send.ts';
import { storeKinds } from '../src/store/testing.ts';
import { basicAuth } from './api-helpers.ts';
import { otp, type Rig, startRig, startSmsc, until } from './routing-helpers.ts';

async function adminApp(t: TestContext, rig: Rig, file: { carriers: SmppCarrierConfig[] }) {
  const secret = Buffer.alloc(32, 7);
  const web = webAppDeps({ store: rig.ts.store, sessionSecret: secret });
  const app: FastifyInstance = await buildApp({
    store: rig.ts.store,
    sender: createSender({ store: rig.ts.store }),
    authenticators: web.authenticators,
    extraRoutes: [
      adminRoutes({
        store: rig.ts.store,
        file,
        auth: createAdminAuth({ store: rig.ts.store, secret, now: Date.now }),
        control: rig.pool,
      }),
      ...web.extraRoutes,
    ],
  });
  t.after(() => app.close());
  const { adminKey, token } = await issueAdminKey(rig.ts.store, 'ops');
  const admin = basicAuth(adminKey.key, token);
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: admin },
      ...(payload !== undefined && { payload: payload as object }),
    });
    return {
      status: res.statusCode,
      // biome-ignore lint/suspicious/noExplicitAny: the test reads JSON answers loosely
      body: res.body ? (JSON.parse(res.body) as Record<string, any>) : null,
    };
  };
  return { app, call, secret };
}

for (const kind of storeKinds()) {
  describe(`carriers managed while running [${kind}]`, () => {
    it('refuses an account API key or session on the admin endpoints', async (t) => {
      const a = await startSmsc(t, 'a');
      const file = { carriers: [a.config] };
      const rig = await startRig(t, kind, file);
      const { app, call } = await adminApp(t, rig, file);
      const { apiKey, token } = await issueApiKey(rig.ts.store, rig.account.sid, 'tenant');
      const tenant = basicAuth(apiKey.key, token);

      for (const [method, url] of [
        ['GET', '/api/v1/carriers'],
        ['POST', '/api/v1/carriers'],
        ['PATCH', '/api/v1/carriers/a'],
        ['DELETE', '/api/v1/carriers/a'],
        ['GET', '/api/v1/routes'],
        ['PUT', '/api/v1/routes'],
      ] as const) {
        const asTenant = await app.inject({
          method,
          url,
          headers: { authorization: tenant },
          payload: {},
        });
        assert.equal(asTenant.statusCode, 403, `${method} ${url}`);
        assert.equal(JSON.parse(asTenant.body).code, 'FORBIDDEN');
        const anonymous = await app.inject({ method, url, payload: {} });
        assert.equal(anonymous.statusCode, 401, `${method} ${url}`);
      }
      // A tenant's web session is refused too.
      const signIn = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'x-requested-with': 'callflow-web' },
        payload: { key: apiKey.key, token },
      });
      assert.equal(signIn.statusCode, 200);
      const cookie = String(signIn.headers['set-cookie']).split(';')[0]!;
      const withSession = await app.inject({
        method: 'GET',
        url: '/api/v1/carriers',
        headers: { cookie },
      });
      assert.equal(withSession.statusCode, 403);
      // The admin key may; the password never comes back.
      const list = await call('GET', '/api/v1/carriers');
      assert.equal(list.status, 200);
      assert.equal(list.body!.items[0].name, 'a');
      assert.equal(list.body!.items[0].settings.password, undefined);
    });

    it('adds, disables, enables and removes carriers during load without losing a message', async (t) => {
      const a = await startSmsc(t, 'a', { window: 10 });
      const b = await startSmsc(t, 'b', { window: 10 });
      const file = { carriers: [a.config] };
      const rig = await startRig(t, kind, file);
      const { call } = await adminApp(t, rig, file);
      await until(() => rig.pool.active()[0]?.status().state === 'bound', 'a bound');

      const sids: string[] = [];
      let sending = true;
      const load = (async () => {
        for (let i = 0; sending; i++) {
          sids.push((await rig.send(otp(`+9198765${String(i).padStart(5, '0')}`))).sid);
          if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const view = (name: string) => rig.pool.views().find((v) => v.name === name);

      // Added: it binds and takes messages (no routes: every carrier, failover in order).
      await until(() => a.sim.received().length >= 30, 'a to take some');
      const added = await call('POST', '/api/v1/carriers', b.config);
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal((await call('POST', '/api/v1/carriers', b.config)).status, 409);
      await until(() => view('b')?.state === 'bound', 'b bound');

      // Disabled: no new messages, unbound once its window has drained; then nothing more.
      const disabled = await call('PATCH', '/api/v1/carriers/a', { enabled: false });
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body!.enabled, false);
      await until(() => view('a') && !view('a')!.running, 'a drained and unbound');
      const atAWhenDrained = a.sim.received().length;
      await until(() => b.sim.received().length >= 60, 'b to take the load');
      assert.equal(a.sim.received().length, atAWhenDrained, 'nothing sent to a disabled carrier');

      // Enabled again, then b removed: b drains and is unbound, a takes everything.
      assert.equal((await call('PATCH', '/api/v1/carriers/a', { enabled: true })).status, 200);
      await until(() => view('a')?.state === 'bound', 'a bound again');
      assert.equal((await call('DELETE', '/api/v1/carriers/b')).status, 204);
      assert.equal((await call('DELETE', '/api/v1/carriers/b')).status, 404);
      await until(() => !rig.pool.all().some((c) => c.name === 'b'), 'b unbound');
      const atBWhenGone = b.sim.received().length;
      await until(() => a.sim.received().length >= atAWhenDrained + 30, 'a to take the load again');
      sending = false;
      await load;

      const done = await rig.settle(sids);
      assert.deepEqual(
        done.filter((m) => m.status !== 'delivered').map((m) => [m.status, m.reasonCode]),
        [],
        'nothing lost',
      );
      assert.equal(b.sim.received().length, atBWhenGone, 'nothing sent to a removed carrier');
      // Each message reached the SMSC of the carrier it records.
      const at = { a: new Set(a.destinations()), b: new Set(b.destinations()) };
      for (const m of done)
        assert.ok(at[m.carrier as 'a' | 'b'].has(m.to), `${m.sid} ${m.carrier}`);

      // Kept over a restart: the file still lists only a; b is gone, a enabled.
      const again = await rig.ts.open();
      const state = await loadInForce(again, file);
      assert.deepEqual(
        state.carriers.map((c) => [c.config.name, c.enabled, c.source]),
        [['a', true, 'live']],
      );
    });

    it('replaces routes at once, checks them, and keeps a routed carrier', async (t) => {
      const a = await startSmsc(t, 'a');
      const b = await startSmsc(t, 'b');
      const file = { carriers: [a.config, b.config] };
      const rig = await startRig(t, kind, file);
      const { call } = await adminApp(t, rig, file);
      await until(() => rig.pool.active().every((c) => c.status().state === 'bound'), 'binds');

      const bad = await call('PUT', '/api/v1/routes', {
        items: [{ name: 'x', carriers: ['nope'] }],
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body!.code, 'VALIDATION_FAILED');
      const put = await call('PUT', '/api/v1/routes', {
        items: [{ name: 'otp', match: { smsType: ['transactional'] }, carriers: ['b'] }],
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal((await call('DELETE', '/api/v1/carriers/b')).status, 409);
      const posted = await call('POST', '/api/v1/routes', {
        name: 'first',
        carriers: ['a'],
        position: 1,
      });
      assert.equal(posted.status, 201);
      assert.deepEqual(
        (await call('GET', '/api/v1/routes')).body!.items.map((r: { name: string }) => r.name),
        ['first', 'otp'],
      );
      // The table in force is the new one: everything goes to a.
      const sids = [];
      for (let i = 0; i < 10; i++) sids.push((await rig.send(otp())).sid);
      const done = await rig.settle(sids);
      assert.deepEqual(
        done.map((m) => m.carrier),
        sids.map(() => 'a'),
      );
      assert.equal(b.sim.received().length, 0);

      assert.equal((await call('DELETE', '/api/v1/routes/first')).status, 204);
      const patched = await call('PATCH', '/api/v1/routes/otp', {
        strategy: 'weighted',
        carriers: ['a', 'b'],
        weights: [0, 1],
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      const more = [];
      for (let i = 0; i < 10; i++) more.push((await rig.send(otp())).sid);
      assert.deepEqual(
        (await rig.settle(more)).map((m) => m.carrier),
        more.map(() => 'b'),
      );
    });
  });
}
