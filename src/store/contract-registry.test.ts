/**
 * Store contract, part 1: accounts, API keys, balance and ledger, the DLT registry, DND and
 * consent, migrations and notifications. Runs against every configured store (see testing.ts).
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CallflowError } from '../errors.ts';
import {
  createTestAccount,
  describeEachStore,
  TEST_ENTITY_ID,
  TEST_RATES,
  TEST_TEMPLATE_ID,
  watchWakes,
} from './testing.ts';

const isCode = (code: string) => (e: unknown) => e instanceof CallflowError && e.code === code;

describeEachStore('store contract: accounts', (current) => {
  it('creates, reads, lists and updates accounts', async () => {
    const { store, clock } = current();
    const a = await store.accounts.create({
      sid: 'AC1',
      name: 'Acme',
      balancePaise: 500,
      rates: TEST_RATES,
      webhookSecret: 's1',
    });
    assert.deepEqual(a, {
      sid: 'AC1',
      name: 'Acme',
      timeZone: 'Asia/Kolkata',
      balancePaise: 500,
      rates: TEST_RATES,
      webhookSecret: 's1',
      voice: null,
      createdAt: clock(),
    });
    assert.deepEqual(await store.accounts.get('AC1'), a);
    assert.equal(await store.accounts.get('nope'), undefined);
    await assert.rejects(
      store.accounts.create({
        sid: 'AC1',
        name: 'x',
        balancePaise: 0,
        rates: TEST_RATES,
        webhookSecret: 'x',
      }),
      isCode('CONFLICT'),
    );
    const updated = await store.accounts.update('AC1', {
      name: 'Acme Ltd',
      rates: { transactional: 1, service: 2, promotional: 3 },
    });
    assert.equal(updated?.name, 'Acme Ltd');
    assert.deepEqual(updated?.rates, { transactional: 1, service: 2, promotional: 3 });
    assert.equal(updated?.webhookSecret, 's1');
    assert.equal(updated?.voice, null);
    const voiced = await store.accounts.update('AC1', { voice: 'hi' });
    assert.equal(voiced?.voice, 'hi');
    assert.equal(voiced?.name, 'Acme Ltd');
    assert.equal(await store.accounts.update('nope', { name: 'x' }), undefined);
    assert.deepEqual(
      (await store.accounts.list()).map((x) => x.sid),
      ['AC1'],
    );
  });

  it('tops up and removes balance with ledger entries, never below zero', async () => {
    const { store } = current();
    const a = await createTestAccount(store, { balancePaise: 100 });
    const up = await store.accounts.topup(a.sid, 250, 'invoice 7');
    assert.equal(up.kind, 'topup');
    assert.equal(up.amountPaise, 250);
    assert.equal(up.balanceAfterPaise, 350);
    assert.equal(up.note, 'invoice 7');
    const down = await store.accounts.topup(a.sid, -300, null);
    assert.equal(down.balanceAfterPaise, 50);
    await assert.rejects(store.accounts.topup(a.sid, -51, null), isCode('INSUFFICIENT_BALANCE'));
    await assert.rejects(store.accounts.topup('nope', 1, null), isCode('NOT_FOUND'));
    assert.equal((await store.accounts.get(a.sid))?.balancePaise, 50);
    const ledger = await store.accounts.ledger(a.sid, 10);
    assert.deepEqual(
      ledger.map((e) => [e.kind, e.amountPaise, e.balanceAfterPaise]),
      [
        ['topup', -300, 50],
        ['topup', 250, 350],
      ],
    );
    assert.equal((await store.accounts.ledger(a.sid, 1)).length, 1);
  });

  it('creates, finds, lists and revokes API keys', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const key = await store.accounts.createApiKey({
      id: 'k1',
      accountSid: a.sid,
      key: 'pk_live_1',
      tokenHash: 'hash',
      label: 'ci',
    });
    assert.equal(key.revokedAt, null);
    assert.deepEqual(await store.accounts.findApiKey('pk_live_1'), key);
    await assert.rejects(
      store.accounts.createApiKey({
        id: 'k2',
        accountSid: a.sid,
        key: 'pk_live_1',
        tokenHash: 'h',
        label: '',
      }),
      isCode('CONFLICT'),
    );
    assert.equal((await store.accounts.listApiKeys(a.sid)).length, 1);
    assert.equal(await store.accounts.revokeApiKey(a.sid, 'k1'), true);
    assert.equal(await store.accounts.revokeApiKey(a.sid, 'k1'), false);
    assert.equal(await store.accounts.findApiKey('pk_live_1'), undefined);
    assert.notEqual((await store.accounts.listApiKeys(a.sid))[0]?.revokedAt, null);
  });
});

describeEachStore('store contract: DLT registry', (current) => {
  it('upserts and reads entities, headers (case-sensitive) and templates', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const e = await store.dlt.upsertEntity({
      accountSid: a.sid,
      entityId: TEST_ENTITY_ID,
      name: 'Acme',
      status: 'active',
      tmChain: ['1302157243747322354'],
    });
    assert.deepEqual(e.tmChain, ['1302157243747322354']);
    clock.advance(1000);
    const e2 = await store.dlt.upsertEntity({ ...e, status: 'inactive', tmChain: [] });
    assert.equal(e2.status, 'inactive');
    assert.deepEqual(e2.createdAt, e.createdAt);
    assert.equal(e2.updatedAt.getTime(), e.createdAt.getTime() + 1000);
    assert.equal((await store.dlt.listEntities(a.sid)).length, 1);

    await store.dlt.upsertHeader({
      accountSid: a.sid,
      entityId: TEST_ENTITY_ID,
      senderId: 'ACMECO',
      smsType: 'transactional',
      status: 'active',
    });
    assert.equal((await store.dlt.getHeader(a.sid, TEST_ENTITY_ID, 'ACMECO'))?.status, 'active');
    assert.equal(await store.dlt.getHeader(a.sid, TEST_ENTITY_ID, 'acmeco'), undefined);
    assert.equal((await store.dlt.listHeaders(a.sid)).length, 1);
    assert.equal((await store.dlt.listHeaders(a.sid, '1101166000000000999')).length, 0);

    const t = await store.dlt.upsertTemplate({
      accountSid: a.sid,
      templateId: TEST_TEMPLATE_ID,
      entityId: TEST_ENTITY_ID,
      name: 'otp',
      content: 'Your OTP is {#numeric#}.',
      category: 'promotional',
      status: 'approved',
      senderIds: ['ACMECO', 'ACMEIN'],
      ncprCategory: 3,
    });
    assert.equal(t.ncprCategory, 3);
    assert.deepEqual(await store.dlt.getTemplate(a.sid, TEST_TEMPLATE_ID), t);
    const count = await store.dlt.upsertTemplates([
      {
        ...t,
        templateId: '1107166000000000002',
        senderIds: ['OTHERS'],
        ncprCategory: null,
        status: 'pending',
      },
      { ...t, templateId: '1107166000000000003', entityId: '1101166000000000002' },
    ]);
    assert.equal(count, 2);
    const ids = async (filter: Parameters<typeof store.dlt.listTemplates>[1]) =>
      (await store.dlt.listTemplates(a.sid, filter)).map((x) => x.templateId);
    assert.deepEqual(await ids({}), [
      TEST_TEMPLATE_ID,
      '1107166000000000002',
      '1107166000000000003',
    ]);
    assert.deepEqual(await ids({ senderId: 'ACMEIN' }), [TEST_TEMPLATE_ID, '1107166000000000003']);
    assert.deepEqual(await ids({ entityId: TEST_ENTITY_ID, status: 'pending' }), [
      '1107166000000000002',
    ]);
    assert.equal((await store.dlt.getTemplate(a.sid, '1107166000000000002'))?.ncprCategory, null);
  });

  it('keeps a whitelist of URLs and callback numbers per entity', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const w = {
      accountSid: a.sid,
      entityId: TEST_ENTITY_ID,
      kind: 'url' as const,
      value: 'https://acme.in',
    };
    await store.dlt.addWhitelist(w);
    await store.dlt.addWhitelist(w);
    await store.dlt.addWhitelist({ ...w, kind: 'cbn', value: '+918000000000' });
    assert.deepEqual(
      (await store.dlt.listWhitelist(a.sid, TEST_ENTITY_ID)).map((x) => [x.kind, x.value]),
      [
        ['cbn', '+918000000000'],
        ['url', 'https://acme.in'],
      ],
    );
    assert.equal(
      await store.dlt.removeWhitelist(a.sid, TEST_ENTITY_ID, 'url', 'https://acme.in'),
      true,
    );
    assert.equal(
      await store.dlt.removeWhitelist(a.sid, TEST_ENTITY_ID, 'url', 'https://acme.in'),
      false,
    );
    assert.equal((await store.dlt.listWhitelist(a.sid, TEST_ENTITY_ID)).length, 1);
  });

  it('upserts a template batch all or nothing', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const t = {
      accountSid: a.sid,
      templateId: TEST_TEMPLATE_ID,
      entityId: TEST_ENTITY_ID,
      name: 'otp',
      content: 'x',
      category: 'transactional' as const,
      status: 'approved' as const,
      senderIds: [],
    };
    await assert.rejects(
      store.dlt.upsertTemplates([
        t,
        { ...t, templateId: '1107166000000000002', status: 'bogus' as 'approved' },
      ]),
    );
    assert.deepEqual(await store.dlt.listTemplates(a.sid), []);
  });
});

describeEachStore('store contract: DND and consent', (current) => {
  it('upserts, reads, counts and removes DND preferences', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const r = await store.dnd.upsert(a.sid, '+919800000001', [3, 1, 3]);
    assert.deepEqual(r.preferences, [1, 3]);
    assert.equal(
      await store.dnd.upsertMany(a.sid, [
        { number: '+919800000001', preferences: [0] },
        { number: '+919800000002', preferences: [] },
        { number: '+919800000003', preferences: [7] },
      ]),
      3,
    );
    assert.deepEqual((await store.dnd.get(a.sid, '+919800000001'))?.preferences, [0]);
    assert.deepEqual((await store.dnd.get(a.sid, '+919800000002'))?.preferences, []);
    assert.equal(await store.dnd.count(a.sid), 3);
    await assert.rejects(
      store.dnd.upsert(a.sid, '+919800000009', [8]),
      isCode('VALIDATION_FAILED'),
    );
    assert.equal(await store.dnd.remove(a.sid, '+919800000003'), true);
    assert.equal(await store.dnd.remove(a.sid, '+919800000003'), false);
    assert.equal(await store.dnd.get(a.sid, '+919800000003'), undefined);
  });

  it('finds a valid consent for the template or the whole entity, honouring expiry and revocation', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const n = '+919800000001';
    const now = clock();
    const find = (at: Date, templateId = TEST_TEMPLATE_ID) =>
      store.dnd.findConsent(a.sid, n, TEST_ENTITY_ID, templateId, at);
    assert.equal(await find(now), undefined);
    await store.dnd.addConsent({
      accountSid: a.sid,
      number: n,
      entityId: TEST_ENTITY_ID,
      templateId: null,
      grantedAt: now,
      expiresAt: null,
    });
    assert.equal((await find(now))?.templateId, null);
    assert.equal(await find(new Date(now.getTime() - 1)), undefined, 'not before it was granted');
    await store.dnd.addConsent({
      accountSid: a.sid,
      number: n,
      entityId: TEST_ENTITY_ID,
      templateId: TEST_TEMPLATE_ID,
      grantedAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
    });
    assert.equal((await find(now))?.templateId, TEST_TEMPLATE_ID, 'the specific consent first');
    assert.equal(
      (await find(new Date(now.getTime() + 60_000)))?.templateId,
      null,
      'specific one expired',
    );
    assert.equal(await store.dnd.revokeConsent(a.sid, n, TEST_ENTITY_ID, null), true);
    assert.equal(await store.dnd.revokeConsent(a.sid, n, TEST_ENTITY_ID, null), false);
    assert.equal(await find(new Date(now.getTime() + 60_000)), undefined);
    assert.equal(await find(now, '1107166000000000009'), undefined);
  });
});

describeEachStore('store contract: migrations and notifications', (current) => {
  it('migrates once and refuses a database migrated by a newer callflow', async () => {
    const t = current();
    const again = await t.store.migrate();
    assert.equal(again.from, again.to, 'nothing left to apply');
    assert.ok(again.to >= 1);
    await t.sql(
      `INSERT INTO schema_migrations (version, name, applied_at)
       VALUES (${again.to + 1}, 'future', ${t.name === 'postgres' ? 'now()' : '0'})`,
    );
    await assert.rejects(t.open(), isCode('STORE_TOO_NEW'));
    await assert.rejects(t.store.migrate(), isCode('STORE_TOO_NEW'));
  });

  it('wakes listeners in this process and in another store on the same database', async () => {
    const t = current();
    let local = 0;
    const offLocal = t.store.onNotify('callbacks', () => local++);
    await t.store.notify('callbacks');
    assert.ok(local >= 1, 'a listener in this process is called at once');
    offLocal();
    const before = local;
    await t.store.notify('callbacks');
    assert.equal(local, before, 'an unsubscribed listener is not called');

    // Another store on the same database stands for another process.
    const other = await t.open({ migrate: false });
    const wakes = watchWakes(other, t.name);
    await wakes.ready();
    await (t.name === 'postgres' ? t.store : other).notify('messages');
    await wakes.next();
    wakes.off();
  });

  it('a notify resolves after the next wake-up it asked for, even under a steady stream of them', async () => {
    const t = current();
    let streaming = true;
    const failures: unknown[] = [];
    const stream = (async () => {
      while (streaming) {
        t.store.notify('messages').catch((error) => failures.push(error));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const first = t.store.notify('messages').then(() => 'resolved');
    const outcome = await Promise.race([
      first,
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2000).unref()),
    ]);
    streaming = false;
    await stream;
    await t.store.notify('messages');
    assert.equal(outcome, 'resolved');
    assert.deepEqual(failures, []);
  });
});
