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
  it('keeps carriers in the order added, with their settings, across a restart', async () => {
    const t = current();
    const { store } = t;
    const v0 = await store.carriers.version();
    await store.carriers.create(carrier('b', { window: 20 }), true);
    await store.carriers.create(carrier('a', { pricePaise: { transactional: 11 } }), false);
    await assert.rejects(store.carriers.create(carrier('a'), true), { code: 'CONFLICT' });
    assert.ok((await store.carriers.version()) > v0);
    const updated = await store.carriers.update('b', { enabled: false });
    assert.equal(updated?.enabled, false);
    assert.equal(updated?.config.window, 20);
    assert.equal(await store.carriers.update('zz', { enabled: true }), undefined);
    // The name stays what it was, whatever the new settings say.
    await store.carriers.update('a', { config: carrier('x', { window: 5 }), enabled: true });

    const again = await t.open();
    const list = await again.carriers.list();
    assert.deepEqual(
      list.map((c) => [c.name, c.enabled, c.config.window]),
      [
        ['b', false, 20],
        ['a', true, 5],
      ],
    );
    assert.equal(list[1]!.config.name, 'a');
  });

  it('replaces the routing table at once, refuses unknown carriers and removing a routed one', async () => {
    const { store } = current();
    await store.carriers.create(carrier('a'), true);
    await store.carriers.create(carrier('b'), true);
    const routes = [
      { name: 'otp', match: { smsType: ['transactional' as const] }, carriers: ['a', 'b'] },
      { name: 'rest', carriers: ['b'], strategy: 'round-robin' as const },
    ];
    await store.carriers.replaceRoutes(routes);
    assert.deepEqual(await store.carriers.listRoutes(), routes);
    await assert.rejects(store.carriers.replaceRoutes([{ name: 'x', carriers: ['nope'] }]), {
      code: 'VALIDATION_FAILED',
    });
    assert.deepEqual(await store.carriers.listRoutes(), routes);
    await assert.rejects(store.carriers.remove('a'), { code: 'CONFLICT' });
    await store.carriers.replaceRoutes([routes[1]!]);
    assert.equal(await store.carriers.remove('a'), true);
    assert.equal(await store.carriers.remove('a'), false);
    assert.deepEqual(
      (await store.carriers.list()).map((c) => c.name),
      ['b'],
    );
  });

  it('writes the config file only on the first start', async () => {
    const t = current();
    const routes = [{ name: 'all', carriers: ['a'] }];
    assert.equal(await t.store.carriers.seed([carrier('a')], routes), true);
    await t.store.carriers.update('a', { enabled: false });
    const again = await t.open();
    assert.equal(await again.carriers.seed([carrier('a'), carrier('b')], []), false);
    assert.deepEqual(
      (await again.carriers.list()).map((c) => [c.name, c.enabled]),
      [['a', false]],
    );
    assert.deepEqual(await again.carriers.listRoutes(), routes);
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
