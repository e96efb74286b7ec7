/**
 * Store contract, flows part: flows and their versions, publishing, ExoPhones and the route an
 * inbound call takes, calls and their logs. Runs against every configured store (see testing.ts).
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CallflowError } from '../errors.ts';
import { newCallSid } from '../flows/call-sid.ts';
import { createTestAccount, describeEachStore } from './testing.ts';

const isCode = (code: string) => (e: unknown) => e instanceof CallflowError && e.code === code;
const doc = (text: string) => ({
  start: 'hi',
  applets: {
    hi: { type: 'greeting', config: { text }, next: { default: 'bye' } },
    bye: { type: 'hangup' },
  },
});

describeEachStore('store contract: flows', (current) => {
  it('creates a flow with version 1, adds versions, renames, lists', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const created = await store.flows.create({
      id: 'fl1',
      accountSid: a.sid,
      name: 'Support',
      document: doc('v1'),
    });
    assert.deepEqual(created, {
      id: 'fl1',
      accountSid: a.sid,
      name: 'Support',
      latestVersion: 1,
      liveVersion: null,
      createdAt: clock(),
      updatedAt: clock(),
      publishedAt: null,
    });
    await assert.rejects(
      store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'again', document: doc('x') }),
      isCode('CONFLICT'),
    );
    clock.advance(1000);
    const v2 = await store.flows.addVersion(a.sid, 'fl1', { document: doc('v2') });
    assert.deepEqual(v2, { flowId: 'fl1', version: 2, document: doc('v2'), createdAt: clock() });
    const v3 = await store.flows.addVersion(a.sid, 'fl1', {
      name: 'Support desk',
      document: doc('v3'),
    });
    assert.equal(v3?.version, 3);
    const flow = await store.flows.get(a.sid, 'fl1');
    assert.equal(flow?.name, 'Support desk');
    assert.equal(flow?.latestVersion, 3);
    assert.deepEqual(flow?.updatedAt, clock());
    assert.deepEqual((await store.flows.getVersion(a.sid, 'fl1', 1))?.document, doc('v1'));
    assert.deepEqual(
      (await store.flows.listVersions(a.sid, 'fl1')).map((v) => v.version),
      [3, 2, 1],
    );
    assert.equal(await store.flows.getVersion(a.sid, 'fl1', 4), undefined);
    assert.equal(await store.flows.addVersion(a.sid, 'nope', { document: doc('x') }), undefined);
    await store.flows.create({ id: 'fl2', accountSid: a.sid, name: 'Sales', document: doc('s') });
    assert.deepEqual(
      (await store.flows.list(a.sid)).map((f) => f.id),
      ['fl1', 'fl2'],
    );
  });

  it("keeps each account's flows to itself", async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const b = await createTestAccount(store);
    await store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'A', document: doc('a') });
    assert.equal(await store.flows.get(b.sid, 'fl1'), undefined);
    assert.equal(await store.flows.getVersion(b.sid, 'fl1', 1), undefined);
    assert.deepEqual(await store.flows.listVersions(b.sid, 'fl1'), []);
    assert.equal(await store.flows.addVersion(b.sid, 'fl1', { document: doc('b') }), undefined);
    assert.equal(await store.flows.publish(b.sid, 'fl1', 1), undefined);
    assert.equal(await store.flows.remove(b.sid, 'fl1'), false);
    assert.deepEqual(await store.flows.list(b.sid), []);
  });

  it('publishes an existing version only', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    await store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'A', document: doc('v1') });
    await store.flows.addVersion(a.sid, 'fl1', { document: doc('v2') });
    clock.advance(5000);
    const live = await store.flows.publish(a.sid, 'fl1', 2);
    assert.equal(live?.liveVersion, 2);
    assert.deepEqual(live?.publishedAt, clock());
    assert.equal(await store.flows.publish(a.sid, 'fl1', 3), undefined);
    assert.equal(await store.flows.publish(a.sid, 'fl1', 0), undefined);
    assert.equal((await store.flows.get(a.sid, 'fl1'))?.liveVersion, 2);
    const back = await store.flows.publish(a.sid, 'fl1', 1);
    assert.equal(back?.liveVersion, 1);
  });

  it('routes a number to the live version, read at once; a new version is not live until published', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    await store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'A', document: doc('v1') });
    await store.numbers.upsert({ accountSid: a.sid, e164: '+914412345678', flowId: 'fl1' });
    assert.equal(
      await store.numbers.route(a.sid, '+914412345678'),
      undefined,
      'nothing published yet',
    );
    await store.flows.publish(a.sid, 'fl1', 1);
    const route = await store.numbers.route(a.sid, '+914412345678');
    assert.equal(route?.flowId, 'fl1');
    assert.equal(route?.flowVersion, 1);
    assert.deepEqual(route?.document, doc('v1'));
    assert.equal(route?.number.e164, '+914412345678');
    await store.flows.addVersion(a.sid, 'fl1', { document: doc('v2') });
    assert.equal((await store.numbers.route(a.sid, '+914412345678'))?.flowVersion, 1);
    await store.flows.publish(a.sid, 'fl1', 2);
    const next = await store.numbers.route(a.sid, '+914412345678');
    assert.equal(next?.flowVersion, 2);
    assert.deepEqual(next?.document, doc('v2'));
    assert.equal(await store.numbers.route(a.sid, '+914400000000'), undefined);
  });

  it('numbers: add, assign, unassign, list, remove; one account per number; the flow must exist', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const b = await createTestAccount(store);
    await store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'A', document: doc('a') });
    await store.flows.create({ id: 'flb', accountSid: b.sid, name: 'B', document: doc('b') });
    const n = await store.numbers.upsert({
      accountSid: a.sid,
      e164: '+914412345678',
      flowId: null,
    });
    assert.deepEqual(n, {
      accountSid: a.sid,
      e164: '+914412345678',
      flowId: null,
      createdAt: clock(),
      updatedAt: clock(),
    });
    clock.advance(1000);
    const assigned = await store.numbers.upsert({
      accountSid: a.sid,
      e164: '+914412345678',
      flowId: 'fl1',
    });
    assert.equal(assigned.flowId, 'fl1');
    assert.deepEqual(assigned.createdAt, n.createdAt);
    assert.deepEqual(assigned.updatedAt, clock());
    await assert.rejects(
      store.numbers.upsert({ accountSid: b.sid, e164: '+914412345678', flowId: null }),
      isCode('CONFLICT'),
    );
    await assert.rejects(
      store.numbers.upsert({ accountSid: a.sid, e164: '+914412345679', flowId: 'flb' }),
      isCode('NOT_FOUND'),
    );
    await store.numbers.upsert({ accountSid: a.sid, e164: '+914400000001', flowId: null });
    assert.deepEqual(
      (await store.numbers.list(a.sid)).map((x) => [x.e164, x.flowId]),
      [
        ['+914400000001', null],
        ['+914412345678', 'fl1'],
      ],
    );
    assert.equal(await store.numbers.get(b.sid, '+914412345678'), undefined);
    assert.equal(await store.numbers.remove(b.sid, '+914412345678'), false);
    assert.equal(await store.numbers.remove(a.sid, '+914400000001'), true);
    assert.equal(await store.numbers.get(a.sid, '+914400000001'), undefined);
  });

  it('deleting a flow removes its versions and unassigns its numbers; its calls stay', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    await store.flows.create({ id: 'fl1', accountSid: a.sid, name: 'A', document: doc('a') });
    await store.flows.publish(a.sid, 'fl1', 1);
    await store.numbers.upsert({ accountSid: a.sid, e164: '+914412345678', flowId: 'fl1' });
    await store.calls.insert({
      sid: 'c'.repeat(32),
      accountSid: a.sid,
      flowId: 'fl1',
      flowVersion: 1,
      from: '+919876543210',
      to: '+914412345678',
      startedAt: new Date('2025-06-02T06:30:00Z'),
      log: { steps: [] },
    });
    assert.equal(await store.flows.remove(a.sid, 'fl1'), true);
    assert.equal(await store.flows.get(a.sid, 'fl1'), undefined);
    assert.equal(await store.flows.getVersion(a.sid, 'fl1', 1), undefined);
    assert.equal((await store.numbers.get(a.sid, '+914412345678'))?.flowId, null);
    assert.equal(await store.numbers.route(a.sid, '+914412345678'), undefined);
    assert.equal((await store.calls.get(a.sid, 'c'.repeat(32)))?.flowId, 'fl1');
    assert.equal(await store.flows.remove(a.sid, 'fl1'), false);
  });
});

describeEachStore('store contract: calls', (current) => {
  const call = (accountSid: string, sid: string, startedAt: string, flowId = 'fl1') => ({
    sid,
    accountSid,
    flowId,
    flowVersion: 2,
    from: '+919876543210',
    to: '+914412345678',
    startedAt: new Date(startedAt),
    log: { callSid: sid, steps: [] as unknown[] },
  });

  it('records a call as it starts and as it ends, with its log', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sid = 'a'.repeat(32);
    const started = await store.calls.insert(call(a.sid, sid, '2025-06-02T06:30:00Z'));
    assert.deepEqual(started, {
      sid,
      accountSid: a.sid,
      flowId: 'fl1',
      flowVersion: 2,
      from: '+919876543210',
      to: '+914412345678',
      status: 'in-progress',
      endReason: null,
      log: { callSid: sid, steps: [] },
      startedAt: new Date('2025-06-02T06:30:00Z'),
      endedAt: null,
      origin: null,
    });
    await assert.rejects(
      store.calls.insert(call(a.sid, sid, '2025-06-02T06:30:00Z')),
      isCode('CONFLICT'),
    );
    const log = {
      callSid: sid,
      steps: [{ appletId: 'hi', exit: 'default', detail: { digits: '1' } }],
      sms: [{ sid: 'x' }],
    };
    const finished = await store.calls.finish(sid, {
      endReason: 'hangup-applet',
      endedAt: new Date('2025-06-02T06:31:00Z'),
      log,
    });
    assert.equal(finished?.status, 'completed');
    assert.equal(finished?.endReason, 'hangup-applet');
    assert.deepEqual(finished?.endedAt, new Date('2025-06-02T06:31:00Z'));
    assert.deepEqual((await store.calls.get(a.sid, sid))?.log, log);
    assert.equal(
      await store.calls.finish('f'.repeat(32), { endReason: 'x', endedAt: new Date(), log: {} }),
      undefined,
    );
    const other = await createTestAccount(store);
    assert.equal(await store.calls.get(other.sid, sid), undefined);
  });

  it('keeps CallSids of both formats: 16-character ones and the 32-hex ones of earlier calls', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const old = '0f8fad5bd9cb469fa16570867728950e';
    const sid = newCallSid(Date.parse('2025-06-02T06:31:00Z'));
    await store.calls.insert(call(a.sid, old, '2025-06-02T06:30:00Z'));
    await store.calls.insert(call(a.sid, sid, '2025-06-02T06:31:00Z'));
    assert.equal((await store.calls.get(a.sid, old))?.sid, old);
    assert.equal((await store.calls.get(a.sid, sid))?.sid, sid);
    const page = await store.calls.list(a.sid, {}, null, 10);
    assert.deepEqual(
      page.items.map((c) => c.sid),
      [sid, old],
    );
    await assert.rejects(
      store.calls.insert(call(a.sid, sid, '2025-06-02T06:32:00Z')),
      isCode('CONFLICT'),
      'a duplicate CallSid is refused',
    );
  });

  it("keeps a real call's origin, completed with its duration when it ends", async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sid = 'c'.repeat(32);
    const origin = {
      kind: 'sip' as const,
      via: 'trunk' as const,
      name: 'airtel',
      sipCallId: 'abc@10.0.0.1',
      codec: 'PCMA',
      remoteAddress: '10.0.0.1:40000',
      answeredAt: '2025-06-02T06:30:00.100Z',
    };
    const started = await store.calls.insert({
      ...call(a.sid, sid, '2025-06-02T06:30:00Z'),
      origin,
    });
    assert.deepEqual(started.origin, origin);
    const finished = await store.calls.finish(sid, {
      endReason: 'caller-hangup',
      endedAt: new Date('2025-06-02T06:31:00Z'),
      log: {},
      origin: { ...origin, durationSeconds: 59.9 },
    });
    assert.deepEqual(finished?.origin, { ...origin, durationSeconds: 59.9 });
    // A finish without an origin keeps the one recorded.
    const sid2 = 'd'.repeat(32);
    await store.calls.insert({ ...call(a.sid, sid2, '2025-06-02T06:30:00Z'), origin });
    const kept = await store.calls.finish(sid2, { endReason: 'x', endedAt: new Date(), log: {} });
    assert.deepEqual(kept?.origin, origin);
  });

  it('finds a number whichever account holds it', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    await store.numbers.upsert({ accountSid: a.sid, e164: '+918045670001', flowId: null });
    assert.equal((await store.numbers.find('+918045670001'))?.accountSid, a.sid);
    assert.equal(await store.numbers.find('+918045670002'), undefined);
  });

  it('lists newest first, filtered, in pages that do not shift', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const b = await createTestAccount(store);
    await store.calls.insert(call(a.sid, '1'.repeat(32), '2025-06-02T06:00:00Z'));
    await store.calls.insert(call(a.sid, '2'.repeat(32), '2025-06-02T07:00:00Z', 'fl2'));
    await store.calls.insert(call(a.sid, '3'.repeat(32), '2025-06-02T07:00:00Z'));
    await store.calls.insert(call(a.sid, '4'.repeat(32), '2025-06-02T08:00:00Z'));
    await store.calls.insert(call(b.sid, '5'.repeat(32), '2025-06-02T08:00:00Z'));
    await store.calls.finish('4'.repeat(32), {
      endReason: 'caller-hangup',
      endedAt: new Date('2025-06-02T08:01:00Z'),
      log: {},
    });
    const first = await store.calls.list(a.sid, {}, null, 2);
    assert.deepEqual(
      first.items.map((x) => x.sid[0]),
      ['4', '3'],
    );
    assert.ok(first.nextCursor);
    await store.calls.insert(call(a.sid, '6'.repeat(32), '2025-06-02T09:00:00Z'));
    const second = await store.calls.list(a.sid, {}, first.nextCursor, 2);
    assert.deepEqual(
      second.items.map((x) => x.sid[0]),
      ['2', '1'],
    );
    assert.equal(second.nextCursor, null);
    const byFlow = await store.calls.list(a.sid, { flowId: 'fl2' }, null, 10);
    assert.deepEqual(
      byFlow.items.map((x) => x.sid[0]),
      ['2'],
    );
    const done = await store.calls.list(a.sid, { status: 'completed' }, null, 10);
    assert.deepEqual(
      done.items.map((x) => x.sid[0]),
      ['4'],
    );
    const window = await store.calls.list(
      a.sid,
      { since: new Date('2025-06-02T07:00:00Z'), until: new Date('2025-06-02T08:00:00Z') },
      null,
      10,
    );
    assert.deepEqual(
      window.items.map((x) => x.sid[0]),
      ['3', '2'],
    );
  });
});
