/**
 * Store contract: carriers, routes and admin keys managed while running — kept across a restart,
 * the routing version raised by every change, the config file written once, a routed carrier not
 * removable, and usage by carrier computed in the database.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestAccount, describeEachStore, newTestMessage } from './testing.ts';

const carrier = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  host: '127.0.0.1',
  port: 2775,
  systemId: 'acme',
  password: 'secret',
  ...more,
});

describeEachStore('store contract: carriers and routes', (current) => {
  it('keeps carrier records in the order first written, with their settings, across a restart', async () => {
    const t = current();
    const { store } = t;
    const v0 = await store.carriers.version();
    await store.carriers.put({
      config: carrier('b', { window: 20 }),
      enabled: true,
      removed: false,
    });
    const a = await store.carriers.put({
      config: carrier('a', { pricePaise: { transactional: 11 } }),
      enabled: false,
      removed: false,
    });
    assert.equal(a.enabled, false);
    assert.deepEqual(a.config.pricePaise, { transactional: 11 });
    const v1 = await store.carriers.version();
    assert.ok(v1 > v0);
    // Written again: replaced in place, the version raised.
    await store.carriers.put({
      config: carrier('b', { window: 5 }),
      enabled: false,
      removed: true,
    });
    assert.ok((await store.carriers.version()) > v1);
    assert.equal(await store.carriers.get('zz'), undefined);

    const again = await t.open();
    assert.deepEqual(
      (await again.carriers.list()).map((c) => [c.name, c.enabled, c.removed, c.config.window]),
      [
        ['b', false, true, 5],
        ['a', false, false, undefined],
      ],
    );
  });

  it('has no routes until they are set, then replaces the table at once', async () => {
    const t = current();
    const { store } = t;
    assert.equal(await store.carriers.listRoutes(), null);
    const routes = [
      { name: 'otp', match: { smsType: ['transactional' as const] }, carriers: ['a', 'b'] },
      { name: 'rest', carriers: ['b'], strategy: 'round-robin' as const },
    ];
    const v0 = await store.carriers.version();
    await store.carriers.replaceRoutes(routes);
    assert.deepEqual(await store.carriers.listRoutes(), routes);
    assert.ok((await store.carriers.version()) > v0);
    await store.carriers.replaceRoutes([]);
    // Set to none is not the same as never set: the file's routes no longer apply.
    assert.deepEqual(await (await t.open()).carriers.listRoutes(), []);
  });

  it('sums what each carrier took, its outcomes and its median time to delivery', async () => {
    const t = current();
    const { store, clock } = t;
    const account = await createTestAccount(store, { balancePaise: 10_000 });
    const submit = async (
      c: string,
      smsType: 'transactional' | 'promotional',
      segments: number,
    ) => {
      const m = newTestMessage(account.sid, { smsType, segments });
      await store.messages.insert(m);
      await store.messages.claimDue('w', 10, 30_000);
      await store.messages.debitAndMarkSending(m.sid, 'w', 10 * segments);
      const ids = Array.from({ length: segments }, (_, i) => `${m.sid.slice(0, 8)}${c}${i}`);
      await store.messages.markSubmitted(m.sid, 'w', c, ids);
      return ids;
    };
    const since = clock();
    const a1 = await submit('a', 'transactional', 1);
    const a2 = await submit('a', 'promotional', 2);
    const a3 = await submit('a', 'transactional', 1);
    await submit('b', 'transactional', 1);
    const deliver = async (c: string, ids: string[], afterMs: number, state = 'DELIVERED') => {
      for (const id of ids) {
        await store.messages.applyReceipt({
          carrier: c,
          carrierMessageId: id,
          state: state as 'DELIVERED',
          final: true,
          errorCode: null,
          receivedAt: new Date(since.getTime() + afterMs),
        });
      }
    };
    clock.advance(2000);
    await deliver('a', a1, 2000);
    clock.advance(4000);
    await deliver('a', a2, 6000);
    await deliver('a', a3, 6000, 'UNDELIVERABLE');
    const usage = await store.carriers.usage(since, new Date(clock().getTime() + 1));
    assert.deepEqual(
      usage.map((u) => ({ ...u })),
      [
        {
          carrier: 'a',
          messages: 3,
          segments: 4,
          delivered: 2,
          undelivered: 1,
          pending: 0,
          chargedPaise: 40,
          segmentsByType: { transactional: 2, service: 0, promotional: 2 },
          deliveryMedianMs: 2000,
        },
        {
          carrier: 'b',
          messages: 1,
          segments: 1,
          delivered: 0,
          undelivered: 0,
          pending: 1,
          chargedPaise: 10,
          segmentsByType: { transactional: 1, service: 0, promotional: 0 },
          deliveryMedianMs: null,
        },
      ],
    );
    assert.deepEqual(
      await store.carriers.usage(new Date(clock().getTime() + 1), new Date(clock().getTime() + 2)),
      [],
    );
  });

  it('keeps admin keys, finds only unrevoked ones', async () => {
    const { store } = current();
    await store.admins.create({ id: 'ad1', key: 'k1', tokenHash: 'h1', label: 'ops' });
    assert.equal((await store.admins.find('k1'))?.label, 'ops');
    assert.equal(await store.admins.revoke('ad1'), true);
    assert.equal(await store.admins.find('k1'), undefined);
    assert.equal((await store.admins.list()).length, 1);
  });
});
