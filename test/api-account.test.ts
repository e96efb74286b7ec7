import assert from 'node:assert/strict';
import { it } from 'node:test';
import { basicAuth, describeApi, json, seedTenant } from './api-helpers.ts';

describeApi('account API', (fx) => {
  it('shows the account with its balance in paise and rupees', async () => {
    const res = await fx().call({ method: 'GET', url: '/api/v1/account' });
    assert.equal(res.statusCode, 200);
    const acc = json(res);
    assert.equal(acc.sid, fx().a.sid);
    assert.equal(acc.timeZone, 'Asia/Kolkata');
    assert.equal(acc.balancePaise, 100_000);
    assert.equal(acc.balance, '1000.00');
    assert.deepEqual(acc.rates, { transactional: 25, service: 25, promotional: 20 });
    assert.deepEqual(acc.sms, { splitGraphemes: false }, 'how the server counts segments');
    assert.equal('webhookSecret' in acc, false, 'the secret is shown only when rotated');
  });

  it('changes the name, time zone and rates, and refuses an unknown zone', async () => {
    const t = await seedTenant(fx().store);
    const res = await fx().call({
      method: 'PATCH',
      url: '/api/v1/account',
      payload: { name: 'Acme Mumbai', timeZone: 'Asia/Dubai', rates: { promotional: 18 } },
      as: t,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(json(res).name, 'Acme Mumbai');
    assert.equal(json(res).timeZone, 'Asia/Dubai');
    assert.deepEqual(json(res).rates, { transactional: 25, service: 25, promotional: 18 });

    const bad = await fx().call({
      method: 'PATCH',
      url: '/api/v1/account',
      payload: { timeZone: 'Mars/Olympus' },
      as: t,
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad).code, 'VALIDATION_FAILED');
    const negative = await fx().call({
      method: 'PATCH',
      url: '/api/v1/account',
      payload: { rates: { service: -1 } },
      as: t,
    });
    assert.equal(json(negative).code, 'VALIDATION_FAILED');
  });

  it('lists ledger entries with signed amounts', async () => {
    const t = await seedTenant(fx().store);
    await fx().store.accounts.topup(t.sid, 5_000, 'welcome credit');
    const res = await fx().call({ method: 'GET', url: '/api/v1/account/ledger?limit=10', as: t });
    assert.equal(res.statusCode, 200);
    const items = json<{ items: Record<string, unknown>[] }>(res).items;
    const topup = items.find((e) => e.note === 'welcome credit');
    assert.ok(topup, JSON.stringify(items));
    assert.equal(topup.kind, 'topup');
    assert.equal(topup.amountPaise, 5_000);
    assert.equal(topup.amount, '50.00');
    assert.equal(topup.balanceAfterPaise, 105_000);
  });

  it('creates, lists and revokes API keys, but never the last one', async () => {
    const t = await seedTenant(fx().store);
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/account/keys',
      payload: { label: 'crm' },
      as: t,
    });
    assert.equal(created.statusCode, 201);
    const k = json<{ id: string; key: string; token: string; label: string }>(created);
    assert.equal(k.label, 'crm');

    const noBody = await fx().call({ method: 'POST', url: '/api/v1/account/keys', as: t });
    assert.equal(noBody.statusCode, 201, noBody.body);

    const list = json<{ items: Record<string, unknown>[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/account/keys', as: t }),
    );
    assert.equal(list.items.length, 3);
    assert.ok(list.items.every((i) => !('token' in i) && !('tokenHash' in i)));

    const other = await fx().call({
      method: 'DELETE',
      url: `/api/v1/account/keys/${k.id}`,
      as: fx().b,
    });
    assert.equal(other.statusCode, 404, "another account's key");

    assert.equal(
      (await fx().call({ method: 'DELETE', url: `/api/v1/account/keys/${k.id}`, as: t }))
        .statusCode,
      204,
    );
    const noBodyId = json<{ id: string }>(noBody).id;
    assert.equal(
      (await fx().call({ method: 'DELETE', url: `/api/v1/account/keys/${noBodyId}`, as: t }))
        .statusCode,
      204,
    );
    const last = await fx().call({
      method: 'DELETE',
      url: `/api/v1/account/keys/${t.keyId}`,
      as: t,
    });
    assert.equal(last.statusCode, 409);
    assert.equal(json(last).code, 'CONFLICT');

    const after = json<{ items: { id: string; revokedAt: string | null }[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/account/keys', as: t }),
    );
    assert.equal(after.items.find((i) => i.id === k.id)?.revokedAt, fx().clock().toISOString());
    const revokedCall = await fx().app.inject({
      method: 'GET',
      url: '/api/v1/account',
      headers: { authorization: basicAuth(k.key, k.token) },
    });
    assert.equal(revokedCall.statusCode, 401);
  });

  it('rotates the webhook secret and returns it once', async () => {
    const t = await seedTenant(fx().store);
    const res = await fx().call({ method: 'POST', url: '/api/v1/account/webhook-secret', as: t });
    assert.equal(res.statusCode, 200, res.body);
    const secret = String(json(res).webhookSecret);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal((await fx().store.accounts.get(t.sid))?.webhookSecret, secret);
  });
});
