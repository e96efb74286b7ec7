/**
 * Store contract, reports and streamed imports: the SMS summary computed in SQL (groups, counts,
 * cost, reasons, nearest-rank latency percentiles, local-day buckets) and DND imports that are all
 * or nothing however many batches they come in.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ReasonCode } from '../errors.ts';
import { createTestAccount, describeEachStore, newTestMessage, type TestStore } from './testing.ts';
import type { NewMessage } from './types.ts';

const HOUR = 3_600_000;
const IST = 5.5 * HOUR;

/** Inserts a message at the clock's time, then takes it to `outcome` `afterMs` later. */
async function messageAt(
  t: TestStore,
  at: Date,
  accountSid: string,
  outcome: 'delivered' | 'queued' | ReasonCode,
  opts: { afterMs?: number; price?: number; overrides?: Partial<NewMessage> } = {},
): Promise<string> {
  const { store, clock } = t;
  clock.set(at);
  const m = newTestMessage(accountSid, opts.overrides);
  await store.messages.insert(m);
  if (outcome === 'queued') return m.sid;
  clock.set(at.getTime() + (opts.afterMs ?? 1000));
  if (outcome !== 'delivered' && outcome !== 'UNDELIVERED') {
    await store.messages.fail(m.sid, null, outcome, 'test');
    return m.sid;
  }
  const claimed = await store.messages.claimDue('w', 1000, 30_000);
  assert.ok(claimed.some((c) => c.sid === m.sid));
  const debit = await store.messages.debitAndMarkSending(m.sid, 'w', opts.price ?? 20);
  assert.equal(debit.ok, true);
  await store.messages.markSubmitted(m.sid, 'w', 'sim', [`id-${m.sid}`]);
  await store.messages.applyReceipt({
    carrier: 'sim',
    carrierMessageId: `id-${m.sid}`,
    state: outcome === 'delivered' ? 'DELIVERED' : 'UNDELIVERABLE',
    final: true,
    errorCode: null,
    receivedAt: clock(),
  });
  return m.sid;
}

describeEachStore('store contract: reports', (current) => {
  it('summarizes by status with counts, segments, cost, reasons and latency percentiles', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const other = await createTestAccount(t.store);
    const base = new Date('2025-06-02T06:00:00Z');
    // Ten delivered messages, 1 s to 10 s from queued to delivered.
    for (let i = 1; i <= 10; i++) {
      await messageAt(t, new Date(base.getTime() + i * 60_000), a.sid, 'delivered', {
        afterMs: i * 1000,
        price: 20,
        overrides: { segments: i === 1 ? 2 : 1 },
      });
    }
    await messageAt(t, base, a.sid, 'DND_BLOCKED');
    await messageAt(t, base, a.sid, 'DND_BLOCKED');
    await messageAt(t, base, a.sid, 'INVALID_NUMBER');
    await messageAt(t, base, a.sid, 'UNDELIVERED', { price: 20 });
    await messageAt(t, base, a.sid, 'queued');
    await messageAt(t, base, other.sid, 'delivered');
    // Outside the range.
    await messageAt(t, new Date(base.getTime() - 2 * HOUR), a.sid, 'delivered');

    const filter = { since: base, until: new Date(base.getTime() + HOUR) };
    const [all] = await t.store.messages.summarize(a.sid, { filter, groupBy: null });
    assert.ok(all);
    assert.equal(all.messages, 15);
    assert.equal(all.segments, 16);
    assert.equal(all.costPaise, 11 * 20);
    assert.deepEqual(all.byStatus, {
      queued: 1,
      sending: 0,
      submitted: 0,
      delivered: 10,
      undelivered: 1,
      failed: 3,
    });
    assert.deepEqual(all.failedByReason, { DND_BLOCKED: 2, INVALID_NUMBER: 1, UNDELIVERED: 1 });
    // Nearest rank over 1..10 s: median rank 5, p95 rank 10.
    assert.equal(all.latencyMedianMs, 5000);
    assert.equal(all.latencyP95Ms, 10_000);

    const byStatus = await t.store.messages.summarize(a.sid, { filter, groupBy: 'status' });
    const counts = Object.fromEntries(byStatus.map((r) => [r.key, r.messages]));
    assert.deepEqual(counts, { delivered: 10, failed: 3, undelivered: 1, queued: 1 });
    const failed = byStatus.find((r) => r.key === 'failed')!;
    assert.deepEqual(failed.failedByReason, { DND_BLOCKED: 2, INVALID_NUMBER: 1 });
    assert.equal(failed.latencyMedianMs, null);

    const byReason = await t.store.messages.summarize(a.sid, { filter, groupBy: 'reason' });
    const reasons = Object.fromEntries(byReason.map((r) => [String(r.key), r.messages]));
    assert.deepEqual(reasons, { null: 11, DND_BLOCKED: 2, INVALID_NUMBER: 1, UNDELIVERED: 1 });
  });

  it('groups by local day and hour across a change of UTC offset', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    // 2025-06-01T20:00Z is 2 June 01:30 in India; 2025-06-01T17:00Z is 1 June 22:30.
    await messageAt(t, new Date('2025-06-01T17:00:00Z'), a.sid, 'delivered');
    await messageAt(t, new Date('2025-06-01T20:00:00Z'), a.sid, 'delivered');
    await messageAt(t, new Date('2025-06-01T20:10:00Z'), a.sid, 'delivered');
    const filter = {
      since: new Date('2025-06-01T00:00:00Z'),
      until: new Date('2025-06-03T00:00:00Z'),
    };
    const days = await t.store.messages.summarize(a.sid, {
      filter,
      groupBy: 'day',
      offsets: [{ fromMs: 0, offsetMs: IST }],
    });
    const dayOf = (key: string | null) =>
      new Date(Number(key) * 86_400_000).toISOString().slice(0, 10);
    assert.deepEqual(Object.fromEntries(days.map((d) => [dayOf(d.key), d.messages])), {
      '2025-06-01': 1,
      '2025-06-02': 2,
    });
    // With the offset changing at 19:00Z to UTC (a made-up zone), the later two stay on 1 June.
    const shifted = await t.store.messages.summarize(a.sid, {
      filter,
      groupBy: 'day',
      offsets: [
        { fromMs: 0, offsetMs: IST },
        { fromMs: Date.parse('2025-06-01T19:00:00Z'), offsetMs: 0 },
      ],
    });
    assert.deepEqual(Object.fromEntries(shifted.map((d) => [dayOf(d.key), d.messages])), {
      '2025-06-01': 3,
    });
    const hours = await t.store.messages.summarize(a.sid, {
      filter,
      groupBy: 'hour',
      offsets: [{ fromMs: 0, offsetMs: IST }],
    });
    const hourOf = (key: string | null) => new Date(Number(key) * HOUR).toISOString().slice(0, 13);
    assert.deepEqual(Object.fromEntries(hours.map((h) => [hourOf(h.key), h.messages])), {
      '2025-06-01T22': 1,
      '2025-06-02T01': 2,
    });
  });

  it('groups by template, sender, flow and SMS type, with the message-list filters', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const at = new Date('2025-06-02T06:00:00Z');
    const flow = { kind: 'flow' as const, callSid: 'CA1', flowId: 'FL1', appletId: 'sms' };
    await messageAt(t, at, a.sid, 'delivered', { overrides: { origin: flow } });
    await messageAt(t, at, a.sid, 'delivered', {
      overrides: { senderId: 'ACMEIN', smsType: 'service', dltTemplateId: '1107166000000000012' },
    });
    const filter = { since: at, until: new Date(at.getTime() + HOUR) };
    const keys = async (groupBy: 'template' | 'sender' | 'flow' | 'smsType') =>
      (await t.store.messages.summarize(a.sid, { filter, groupBy }))
        .map((r) => r.key)
        .sort((x, y) => String(x).localeCompare(String(y)));
    assert.deepEqual(await keys('template'), ['1107166000000000001', '1107166000000000012']);
    assert.deepEqual(await keys('sender'), ['ACMECO', 'ACMEIN']);
    assert.deepEqual(await keys('flow'), ['FL1', null]);
    assert.deepEqual(await keys('smsType'), ['service', 'transactional']);
    const onlyService = await t.store.messages.summarize(a.sid, {
      filter: { ...filter, smsType: 'service' },
      groupBy: null,
    });
    assert.equal(onlyService[0]?.messages, 1);
    const none = await t.store.messages.summarize(a.sid, {
      filter: { ...filter, flowId: 'nope' },
      groupBy: null,
    });
    assert.deepEqual(none, []);
  });

  it('imports DND batches all at once at the end, the last row of a number winning', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await t.store.dnd.upsert(a.sid, '+919800000001', [3]);
    const seenDuring: unknown[] = [];
    async function* batches() {
      yield [
        { number: '+919800000001', preferences: [0] },
        { number: '+919800000002', preferences: [1, 2] },
      ];
      seenDuring.push(await t.store.dnd.get(a.sid, '+919800000002'));
      seenDuring.push((await t.store.dnd.get(a.sid, '+919800000001'))?.preferences);
      yield [
        { number: '+919800000003', preferences: [] },
        { number: '+919800000002', preferences: [5] },
        { number: '+919800000002', preferences: [7, 6] },
      ];
    }
    assert.equal(await t.store.dnd.importMany(a.sid, batches()), 5);
    assert.deepEqual(seenDuring, [undefined, [3]], 'nothing is visible before the end');
    assert.deepEqual((await t.store.dnd.get(a.sid, '+919800000001'))?.preferences, [0]);
    assert.deepEqual((await t.store.dnd.get(a.sid, '+919800000002'))?.preferences, [6, 7]);
    assert.deepEqual((await t.store.dnd.get(a.sid, '+919800000003'))?.preferences, []);
    assert.equal(await t.store.dnd.count(a.sid), 3);
  });

  it('writes nothing when the stream fails, and keeps what was there', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await t.store.dnd.upsert(a.sid, '+919800000001', [3]);
    async function* failing() {
      yield [{ number: '+919800000001', preferences: [0] }];
      yield [{ number: '+919800000002', preferences: [1] }];
      throw new Error('a bad row on line 3');
    }
    await assert.rejects(t.store.dnd.importMany(a.sid, failing()), /bad row/);
    assert.deepEqual((await t.store.dnd.get(a.sid, '+919800000001'))?.preferences, [3]);
    assert.equal(await t.store.dnd.get(a.sid, '+919800000002'), undefined);
    // The store is usable afterwards, and a later import does not see the failed one's rows.
    async function* ok() {
      yield [{ number: '+919800000004', preferences: [2] }];
    }
    assert.equal(await t.store.dnd.importMany(a.sid, ok()), 1);
    assert.equal(await t.store.dnd.count(a.sid), 2);
  });

  it('imports consents all or nothing, a consent given again replacing a revoked one', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const at = t.clock();
    await t.store.dnd.addConsent({
      accountSid: a.sid,
      number: '+919800000001',
      entityId: '1101166000000000001',
      templateId: '1107166000000000010',
      grantedAt: at,
      expiresAt: null,
    });
    await t.store.dnd.revokeConsent(
      a.sid,
      '+919800000001',
      '1101166000000000001',
      '1107166000000000010',
    );
    const later = new Date(at.getTime() + 86_400_000);
    async function* failing() {
      yield [
        {
          number: '+919800000002',
          entityId: '1101166000000000001',
          templateId: null,
          grantedAt: at,
          expiresAt: null,
        },
      ];
      throw new Error('bad row');
    }
    await assert.rejects(t.store.dnd.importConsents(a.sid, failing()), /bad row/);
    assert.equal(
      await t.store.dnd.findConsent(
        a.sid,
        '+919800000002',
        '1101166000000000001',
        '1107166000000000010',
        at,
      ),
      undefined,
    );
    async function* batches() {
      yield [
        {
          number: '+919800000001',
          entityId: '1101166000000000001',
          templateId: '1107166000000000010',
          grantedAt: at,
          expiresAt: later,
        },
        {
          number: '+919800000002',
          entityId: '1101166000000000001',
          templateId: null,
          grantedAt: at,
          expiresAt: null,
        },
      ];
    }
    assert.equal(await t.store.dnd.importConsents(a.sid, batches()), 2);
    const again = await t.store.dnd.findConsent(
      a.sid,
      '+919800000001',
      '1101166000000000001',
      '1107166000000000010',
      at,
    );
    assert.deepEqual([again?.revokedAt, again?.expiresAt], [null, later]);
    const entityWide = await t.store.dnd.findConsent(
      a.sid,
      '+919800000002',
      '1101166000000000001',
      '1107166000000000099',
      at,
    );
    assert.equal(entityWide?.templateId, null);
  });

  it('imports 100,000 rows in seconds', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    async function* batches() {
      for (let b = 0; b < 20; b++) {
        yield Array.from({ length: 5000 }, (_, i) => ({
          number: `+9198${String(b * 5000 + i).padStart(8, '0')}`,
          preferences: [(b + i) % 8],
        }));
      }
    }
    const started = performance.now();
    assert.equal(await t.store.dnd.importMany(a.sid, batches()), 100_000);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(await t.store.dnd.count(a.sid), 100_000);
    assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s`);
  });
});
