/**
 * Store contract, part 3: delivery receipts (multi-part, early, alternate IDs, idempotent) and
 * the status-callback outbox.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  createTestAccount,
  describeEachStore,
  newTestMessage,
  type TestStore,
  testReceipt,
} from './testing.ts';
import type { ReceiptInput } from './types.ts';

const LEASE = 30_000;

/** A message claimed, debited and marked submitted with these carrier IDs. */
async function submitted(t: TestStore, ids: string[], callback = true) {
  const a = await createTestAccount(t.store);
  const m = newTestMessage(a.sid, {
    segments: ids.length,
    statusCallback: callback ? 'https://example.com/cb' : null,
  });
  await t.store.messages.insert(m);
  await t.store.messages.claimDue('w', 1, LEASE);
  await t.store.messages.debitAndMarkSending(m.sid, 'w', 20 * ids.length);
  const after = await t.store.messages.markSubmitted(m.sid, 'w', 'sim', ids);
  assert.equal(after?.status, 'submitted');
  return after!;
}

const receipt = (
  t: TestStore,
  id: string,
  state: ReceiptInput['state'],
  more: Partial<ReceiptInput> = {},
) => t.store.messages.applyReceipt(testReceipt(t, id, state, more));

describeEachStore('store contract: receipts', (current) => {
  it('delivers a multi-part message only when every part is delivered', async () => {
    const t = current();
    const m = await submitted(t, ['a1', 'a2', 'a3']);
    assert.deepEqual(m.carrierMessageIds, ['a1', 'a2', 'a3']);
    assert.equal(m.carrier, 'sim');
    assert.deepEqual(
      (await t.store.messages.parts(m.sid)).map((p) => [p.seq, p.carrierMessageId, p.state]),
      [
        [0, 'a1', 'submitted'],
        [1, 'a2', 'submitted'],
        [2, 'a3', 'submitted'],
      ],
    );
    assert.equal((await receipt(t, 'a2', 'ENROUTE')).message?.status, 'submitted');
    assert.equal((await receipt(t, 'a1', 'DELIVERED')).message?.status, 'submitted');
    assert.equal((await receipt(t, 'a2', 'DELIVERED')).message?.status, 'submitted');
    t.clock.advance(1500);
    const last = await receipt(t, 'a3', 'DELIVERED');
    assert.equal(last.applied, true);
    assert.equal(last.message?.status, 'delivered');
    assert.equal(last.message?.reasonCode, null);
    assert.deepEqual(last.message?.doneAt, t.clock());
    assert.deepEqual(
      (await t.store.messages.transitions(m.sid)).map((x) => x.status),
      ['queued', 'sending', 'submitted', 'delivered'],
    );
    assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
  });

  it('reports the worst part: undelivered, expired, rejected', async () => {
    const t = current();
    const cases = [
      ['UNDELIVERABLE', 'undelivered', 'UNDELIVERED'],
      ['DELETED', 'undelivered', 'UNDELIVERED'],
      ['UNKNOWN', 'undelivered', 'UNDELIVERED'],
      ['EXPIRED', 'undelivered', 'DELIVERY_EXPIRED'],
      ['REJECTED', 'failed', 'DELIVERY_REJECTED'],
    ] as const;
    for (const [state, status, code] of cases) {
      const m = await submitted(t, [`${state}-1`, `${state}-2`]);
      await receipt(t, `${state}-1`, 'DELIVERED');
      const r = await receipt(t, `${state}-2`, state, { errorCode: '001' });
      assert.equal(r.message?.sid, m.sid);
      assert.equal(r.message?.status, status, state);
      assert.equal(r.message?.reasonCode, code, state);
      assert.equal(r.message?.reasonDetail, `part 2: ${state} err:001`);
    }
    const m = await submitted(t, ['w-1', 'w-2']);
    await receipt(t, 'w-1', 'UNDELIVERABLE');
    const worst = await receipt(t, 'w-2', 'EXPIRED');
    assert.equal(
      worst.message?.reasonCode,
      'DELIVERY_EXPIRED',
      `${m.sid}: expired outranks undeliverable`,
    );
  });

  it('keeps a receipt that arrives before its submit and applies it when the part is recorded', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const m = newTestMessage(a.sid);
    await t.store.messages.insert(m);
    await t.store.messages.claimDue('w', 1, LEASE);
    await t.store.messages.debitAndMarkSending(m.sid, 'w', 20);
    const early = await receipt(t, 'e1', 'DELIVERED');
    assert.deepEqual(early, { applied: false });
    const after = await t.store.messages.markSubmitted(m.sid, 'w', 'sim', ['e1']);
    assert.equal(after?.status, 'delivered');
    assert.deepEqual(
      (await t.store.messages.transitions(m.sid)).map((x) => x.status),
      ['queued', 'sending', 'submitted', 'delivered'],
    );
  });

  it('matches a receipt by its alternate IDs, before or after the submit is recorded', async () => {
    const t = current();
    // Recorded first: the receipt's hex ID misses, its decimal alternate finds the part.
    const m1 = await submitted(t, ['255']);
    const r1 = await receipt(t, 'ff', 'DELIVERED', { alternateIds: ['255'] });
    assert.equal(r1.message?.sid, m1.sid);
    assert.equal(r1.message?.status, 'delivered');

    // Receipt first: kept under both forms; the submit records one, and the other form is dropped.
    const a = await createTestAccount(t.store);
    const m2 = newTestMessage(a.sid);
    const m3 = newTestMessage(a.sid);
    await t.store.messages.insertMany([m2, m3]);
    await t.store.messages.claimDue('w', 2, LEASE);
    await t.store.messages.debitAndMarkSending(m2.sid, 'w', 20);
    await t.store.messages.debitAndMarkSending(m3.sid, 'w', 20);
    assert.deepEqual(await receipt(t, '1a', 'UNDELIVERABLE', { alternateIds: ['26'] }), {
      applied: false,
    });
    assert.equal(
      (await t.store.messages.markSubmitted(m2.sid, 'w', 'sim', ['26']))?.status,
      'undelivered',
    );
    assert.equal(
      (await t.store.messages.markSubmitted(m3.sid, 'w', 'sim', ['1a']))?.status,
      'submitted',
      'the receipt was used once',
    );
  });

  it('ends messages still awaiting receipts past a cutoff, oldest first, and a late receipt settles them', async () => {
    const t = current();
    const oldest = await submitted(t, ['rt1']);
    t.clock.advance(1000);
    const older = await submitted(t, ['rt2', 'rt3']);
    const answered = await submitted(t, ['rt4']);
    await receipt(t, 'rt4', 'DELIVERED');
    t.clock.advance(1000);
    const cutoff = t.clock();
    const young = await submitted(t, ['rt5']);
    const detail = 'No final delivery receipt within 60 s of the submit.';

    const first = await t.store.messages.endAwaitingReceipts(cutoff, 1, detail);
    assert.deepEqual(
      first.map((m) => [m.sid, m.status, m.reasonCode, m.reasonDetail]),
      [[oldest.sid, 'undelivered', 'RECEIPT_TIMEOUT', detail]],
    );
    const rest = await t.store.messages.endAwaitingReceipts(cutoff, 10, detail);
    assert.deepEqual(
      rest.map((m) => m.sid),
      [older.sid],
    );
    assert.deepEqual(await t.store.messages.endAwaitingReceipts(cutoff, 10, detail), []);
    assert.equal((await t.store.messages.getBySid(answered.sid))?.status, 'delivered');
    assert.equal((await t.store.messages.getBySid(young.sid))?.status, 'submitted');
    const [job] = await t.store.callbacks.list(older.sid);
    assert.equal(job?.status, 'pending');
    await t.store.callbacks.markDelivered(job!.id);

    // Late receipts: the message settles as its parts say once all are final.
    assert.equal((await receipt(t, 'rt2', 'DELIVERED')).message?.status, 'undelivered');
    const late = await receipt(t, 'rt3', 'EXPIRED');
    assert.equal(late.applied, true);
    assert.equal(late.message?.status, 'undelivered');
    assert.equal(late.message?.reasonCode, 'DELIVERY_EXPIRED');
    const jobs = await t.store.callbacks.list(older.sid);
    assert.deepEqual(
      jobs.map((j) => [j.status, j.attempts]),
      [['pending', 0]],
      'one job, armed again',
    );
    assert.deepEqual(
      (await t.store.messages.transitions(older.sid)).slice(-2).map((x) => x.reasonCode),
      ['RECEIPT_TIMEOUT', 'DELIVERY_EXPIRED'],
    );
    // Settled by its receipt, it is no longer awaiting one: a repeat changes nothing.
    assert.equal((await receipt(t, 'rt3', 'DELIVERED')).applied, false);
    assert.equal((await t.store.messages.getBySid(older.sid))?.reasonCode, 'DELIVERY_EXPIRED');
  });

  it('purges old receipts that matched no part, in slices, and nothing else', async () => {
    const t = current();
    const linked = await submitted(t, ['linked1']);
    const start = t.clock();
    assert.deepEqual(await receipt(t, 'orphan1', 'DELIVERED'), { applied: false });
    // Kept under two forms of its ID: two rows.
    assert.deepEqual(await receipt(t, 'orphan2', 'UNDELIVERABLE', { alternateIds: ['99'] }), {
      applied: false,
    });
    t.clock.advance(3_600_000);
    assert.deepEqual(await receipt(t, 'fresh1', 'DELIVERED'), { applied: false });
    const cutoff = new Date(start.getTime() + 1000);
    assert.equal(await t.store.messages.purgeUnmatchedReceipts(cutoff, 2), 2);
    assert.equal(await t.store.messages.purgeUnmatchedReceipts(cutoff, 10), 1);
    assert.equal(await t.store.messages.purgeUnmatchedReceipts(cutoff, 10), 0);
    // The recorded part, as old, stays.
    assert.deepEqual(
      (await t.store.messages.parts(linked.sid)).map((p) => p.carrierMessageId),
      ['linked1'],
    );
    // The fresh receipt is still applied when its submit is recorded; a purged one is not.
    const a = await createTestAccount(t.store);
    const [m1, m2] = [newTestMessage(a.sid), newTestMessage(a.sid)];
    await t.store.messages.insertMany([m1, m2]);
    await t.store.messages.claimDue('w', 2, LEASE);
    await t.store.messages.debitAndMarkSending(m1.sid, 'w', 20);
    await t.store.messages.debitAndMarkSending(m2.sid, 'w', 20);
    assert.equal(
      (await t.store.messages.markSubmitted(m1.sid, 'w', 'sim', ['fresh1']))?.status,
      'delivered',
    );
    assert.equal(
      (await t.store.messages.markSubmitted(m2.sid, 'w', 'sim', ['orphan1']))?.status,
      'submitted',
    );
  });

  it('applies a receipt once', async () => {
    const t = current();
    const m = await submitted(t, ['d1']);
    assert.equal((await receipt(t, 'd1', 'DELIVERED')).applied, true);
    const dup = await receipt(t, 'd1', 'DELIVERED');
    assert.equal(dup.applied, false);
    assert.equal(dup.message?.status, 'delivered');
    const late = await receipt(t, 'd1', 'UNDELIVERABLE');
    assert.equal(late.applied, false, 'a final part does not change');
    assert.equal(late.message?.status, 'delivered');
    assert.equal((await t.store.messages.transitions(m.sid)).length, 4);
    assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
    assert.equal((await t.store.messages.parts(m.sid))[0]?.state, 'DELIVERED');
  });
  it('settles once when the submit and the receipts of every part race', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const a = await createTestAccount(t.store);
    for (let round = 0; round < 4; round++) {
      const m = newTestMessage(a.sid, { segments: 4, statusCallback: 'https://example.com/cb' });
      await t.store.messages.insert(m);
      await t.store.messages.claimDue('w', 1, LEASE);
      await t.store.messages.debitAndMarkSending(m.sid, 'w', 80);
      const ids = [0, 1, 2, 3].map((i) => `r${round}-${i}`);
      await Promise.all([
        t.store.messages.markSubmitted(m.sid, 'w', 'sim', ids),
        ...ids.map((id, i) =>
          (i % 2 ? second : t.store).messages.applyReceipt({
            carrier: 'sim',
            carrierMessageId: id,
            state: 'DELIVERED',
            final: true,
            errorCode: null,
            receivedAt: t.clock(),
          }),
        ),
      ]);
      assert.equal((await t.store.messages.getBySid(m.sid))?.status, 'delivered', `round ${round}`);
      const statuses = (await t.store.messages.transitions(m.sid)).map((x) => x.status);
      assert.deepEqual(statuses, ['queued', 'sending', 'submitted', 'delivered']);
      assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
    }
  });
});

describeEachStore('store contract: status callbacks', (current) => {
  it('claims due jobs with their message, leases, retries, gives up and delivers', async () => {
    const t = current();
    const m1 = await submitted(t, ['c1']);
    const m2 = await submitted(t, ['c2']);
    await submitted(t, ['c3'], false);
    await receipt(t, 'c1', 'DELIVERED');
    await receipt(t, 'c2', 'UNDELIVERABLE');
    await receipt(t, 'c3', 'DELIVERED');
    assert.deepEqual(await t.store.callbacks.stats(), { pending: 2, failed: 0 });

    const claimed = await t.store.callbacks.claimDue('d1', 10, 10_000);
    assert.deepEqual(claimed.map((j) => j.messageSid).sort(), [m1.sid, m2.sid].sort());
    const job1 = claimed.find((j) => j.messageSid === m1.sid)!;
    assert.equal(job1.message.status, 'delivered');
    assert.equal(job1.attempts, 1);
    assert.equal(job1.format, 'json');
    assert.deepEqual(await t.store.callbacks.claimDue('d2', 10, 10_000), [], 'leased');

    await t.store.callbacks.markDelivered(job1.id);
    const job2 = claimed.find((j) => j.messageSid === m2.sid)!;
    await t.store.callbacks.retry(job2.id, new Date(t.clock().getTime() + 5000), 'HTTP 500');
    t.clock.advance(4999);
    assert.deepEqual(await t.store.callbacks.claimDue('d2', 10, 10_000), []);
    t.clock.advance(1);
    const again = await t.store.callbacks.claimDue('d2', 10, 10_000);
    assert.equal(again.length, 1);
    assert.equal(again[0]?.attempts, 2);
    assert.equal(again[0]?.lastError, 'HTTP 500');
    assert.equal(again[0]?.message.reasonCode, 'UNDELIVERED');

    // Its dispatcher dies: the lease runs out and another takes the job.
    t.clock.advance(10_000);
    const reclaimed = await t.store.callbacks.claimDue('d3', 10, 10_000);
    assert.equal(reclaimed[0]?.attempts, 3);
    await t.store.callbacks.giveUp(job2.id, 'HTTP 500 after 3 attempts');
    assert.deepEqual(await t.store.callbacks.stats(), { pending: 0, failed: 1 });
    assert.equal((await t.store.callbacks.list(m1.sid))[0]?.status, 'delivered');
    const [failed] = await t.store.callbacks.list(m2.sid);
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.lastError, 'HTTP 500 after 3 attempts');
    t.clock.advance(60_000);
    assert.deepEqual(await t.store.callbacks.claimDue('d3', 10, 10_000), []);
  });

  it('gives each job to one of two concurrent dispatchers', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const a = await createTestAccount(t.store);
    const ms = Array.from({ length: 30 }, () =>
      newTestMessage(a.sid, { statusCallback: 'https://example.com/cb' }),
    );
    await t.store.messages.insertMany(ms);
    for (const m of ms) await t.store.messages.fail(m.sid, null, 'INVALID_NUMBER', null);
    const seen: string[] = [];
    for (;;) {
      const [x, y] = await Promise.all([
        t.store.callbacks.claimDue('d1', 4, 10_000),
        second.callbacks.claimDue('d2', 4, 10_000),
      ]);
      seen.push(...x.map((j) => j.id), ...y.map((j) => j.id));
      if (x.length + y.length === 0) break;
    }
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
  });
});
