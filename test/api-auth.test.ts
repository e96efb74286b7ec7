import assert from 'node:assert/strict';
import { it } from 'node:test';
import { hashToken } from '../src/accounts.ts';
import { CallflowError } from '../src/errors.ts';
import { basicAuth, describeApi, json, seedTenant } from './api-helpers.ts';

function assertUnauthorized(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}) {
  assert.equal(res.statusCode, 401, res.body);
  assert.equal(res.headers['www-authenticate'], 'Basic realm="callflow"');
  const body = JSON.parse(res.body);
  assert.equal(body.code, 'UNAUTHORIZED');
  assert.equal(typeof body.message, 'string');
}

describeApi('authentication', (fx) => {
  it('refuses a request without credentials', async () => {
    assertUnauthorized(await fx().call({ method: 'GET', url: '/api/v1/account', as: null }));
    assertUnauthorized(
      await fx().call({ method: 'POST', url: '/api/v1/sms', payload: {}, as: null }),
    );
  });

  it('refuses a wrong token, an unknown key, malformed and non-Basic credentials', async () => {
    const { a } = fx();
    for (const authorization of [
      basicAuth(a.key, `${a.token}x`),
      basicAuth('0'.repeat(32), a.token),
      basicAuth(a.key, ''),
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Bearer abc',
    ]) {
      const res = await fx().app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: { authorization },
      });
      assertUnauthorized(res);
    }
  });

  it("accepts the key and token and acts on the key's account", async () => {
    const res = await fx().call({ method: 'GET', url: '/api/v1/account' });
    assert.equal(res.statusCode, 200);
    assert.equal(json(res).sid, fx().a.sid);
  });

  it('stores only the hash of a token', async () => {
    const { a, store } = fx();
    const [key] = await store.accounts.listApiKeys(a.sid);
    assert.equal(key!.tokenHash, hashToken(a.token));
    assert.notEqual(key!.tokenHash, a.token);
  });

  it('stops a key revoked through the API at once; the new key works at once', async () => {
    const t = await seedTenant(fx().store);
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/account/keys',
      payload: {},
      as: t,
    });
    assert.equal(created.statusCode, 201);
    const fresh = json<{ id: string; key: string; token: string }>(created);
    const freshAuth = basicAuth(fresh.key, fresh.token);
    const ok = await fx().app.inject({
      method: 'GET',
      url: '/api/v1/account',
      headers: { authorization: freshAuth },
    });
    assert.equal(ok.statusCode, 200);

    // The old key has been used (so it is cached); revoking it here still stops it at once.
    assert.equal(
      (await fx().call({ method: 'GET', url: '/api/v1/account', as: t })).statusCode,
      200,
    );
    const revoked = await fx().app.inject({
      method: 'DELETE',
      url: `/api/v1/account/keys/${t.keyId}`,
      headers: { authorization: freshAuth },
    });
    assert.equal(revoked.statusCode, 204);
    assertUnauthorized(await fx().call({ method: 'GET', url: '/api/v1/account', as: t }));
  });

  it('stops a key revoked elsewhere (CLI, another process) within the cache TTL', async () => {
    const t = await seedTenant(fx().store);
    assert.equal(
      (await fx().call({ method: 'GET', url: '/api/v1/account', as: t })).statusCode,
      200,
    );
    assert.equal(await fx().store.accounts.revokeApiKey(t.sid, t.keyId), true);
    // Still trusted from the cache for up to the TTL (5 s) ...
    assert.equal(
      (await fx().call({ method: 'GET', url: '/api/v1/account', as: t })).statusCode,
      200,
    );
    fx().clock.advance(5_001);
    // ... and refused after it.
    assertUnauthorized(await fx().call({ method: 'GET', url: '/api/v1/account', as: t }));
  });

  it('leaves /healthz, /readyz and the API description public', async () => {
    for (const url of ['/healthz', '/readyz', '/api/openapi.json']) {
      const res = await fx().app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
    }
  });
});

describeApi(
  'extra authenticators',
  (fx) => {
    it('lets another authenticator (a session cookie) set request.account', async () => {
      const res = await fx().app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: { cookie: `session=${fx().a.sid}` },
      });
      assert.equal(res.statusCode, 200);
      assert.equal(json(res).sid, fx().a.sid);
      const bad = await fx().app.inject({
        method: 'GET',
        url: '/api/v1/account',
        headers: { cookie: 'session=forged' },
      });
      assert.equal(bad.statusCode, 401);
    });
  },
  {
    authenticators: [
      async (request) => {
        const m = /session=([A-Za-z0-9]+)/.exec(request.headers.cookie ?? '');
        if (!m) return null;
        if (!m[1]!.startsWith('AC')) throw new CallflowError('UNAUTHORIZED', 'Session expired.');
        return { sid: m[1]!, method: 'session', keyId: null };
      },
    ],
  },
);
