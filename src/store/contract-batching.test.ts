/**
 * Store contract, part 7: many calls at once. Both adapters write the calls that arrive together
 * in one transaction (SQLite's group commit, PostgreSQL's batches); every caller must still get
 * exactly the answer it would get alone, and the rows must end as if the calls ran one by one.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CallflowError } from '../errors.ts';
import {
  createTestAccount,
  describeEachStore,
  newTestMessage,
  type TestStore,
  testReceipt,
} from './testing.ts';
import type { Message, ReceiptInput } from './types.ts';

const LEASE = 30_000;

type Sending = { sid: string; ids: string[] };

/** Messages with these part counts, claimed by `w` and debited: ready for markSubmitted. */
async function sending(t: TestStore, segments: number[], callback = true): Promise<Sending[]> {
  const a = await createTestAccount(t.store, { balancePaise: 10_000_000 });
  const ms = segments.map((n) =>
    newTestMessage(a.sid, {
      segments: n,
      statusCallback: callback ? 'https://example.com/cb' : null,
    }),
  );
  await t.store.messages.insertMany(ms);
  const claimed = await t.store.messages.claimDue('w', ms.length, LEASE);
  assert.equal(claimed.length, ms.length);
  const debits = await t.store.messages.debitManyAndMarkSending(
    'w',
    ms.map((m) => ({ sid: m.sid, pricePaise: 20 * m.segments })),
  );
  assert.ok(debits.every((d) => d.ok));
  return ms.map((m) => ({
    sid: m.sid,
    ids: Array.from({ length: m.segments }, (_, k) => `${m.sid}-${k}`),
  }));
}

const receiptFor = (t: TestStore, id: string, state: ReceiptInput['state'] = 'DELIVERED') =>
  testReceipt(t, id, state);

async function timeline(t: TestStore, sid: string) {
  return (await t.store.messages.transitions(sid)).map((x) => x.status);
}

describeEachStore('store contract: many calls at once', (current) => {
  it('answers each of many inserts made at once on its own: new, idempotent, taken, unknown account', async () => {
    const t = current();
    const { store } = t;
    const a = await createTestAccount(store);
    const earlier = await store.messages.insert(
      newTestMessage(a.sid, { idempotencyKey: 'old', requestHash: 'h0' }),
    );
    const fresh = Array.from({ length: 40 }, () => newTestMessage(a.sid));
    const calls: Promise<{ message: Message; created: boolean }>[] = [];
    for (const m of fresh) calls.push(store.messages.insert(m));
    const reused = store.messages.insert(newTestMessage(a.sid, { idempotencyKey: 'old' }));
    const pair = [
      newTestMessage(a.sid, { idempotencyKey: 'new', requestHash: 'h1' }),
      newTestMessage(a.sid, { idempotencyKey: 'new', requestHash: 'h2' }),
    ];
    const firstOfPair = store.messages.insert(pair[0]!);
    const secondOfPair = store.messages.insert(pair[1]!);
    const taken = store.messages.insert(newTestMessage(a.sid, { sid: earlier.message.sid }));
    const unknown = store.messages.insert(newTestMessage('ACnobody'));
    const settled = await Promise.allSettled([
      ...calls,
      reused,
      firstOfPair,
      secondOfPair,
      taken,
      unknown,
    ]);

    const results = await Promise.all(calls);
    assert.ok(results.every((r) => r.created));
    for (const [i, r] of results.entries()) {
      assert.equal(r.message.sid, fresh[i]!.sid);
      assert.deepEqual(await store.messages.getBySid(r.message.sid), r.message);
      assert.deepEqual(await timeline(t, r.message.sid), ['queued']);
    }
    assert.deepEqual(
      [(await reused).created, (await reused).message.sid],
      [false, earlier.message.sid],
    );
    // The same key twice at once: one is written, the other gets it back, whichever came first.
    const answers = [await firstOfPair, await secondOfPair];
    const written = answers.findIndex((r) => r.created);
    assert.ok(written >= 0);
    const other = answers[1 - written]!;
    assert.equal(other.created, false);
    assert.equal(other.message.sid, pair[written]!.sid);
    assert.equal(other.message.requestHash, pair[written]!.requestHash);

    const [takenOutcome, unknownOutcome] = settled.slice(-2);
    assert.equal(takenOutcome?.status, 'rejected');
    assert.ok(
      takenOutcome.status === 'rejected' &&
        takenOutcome.reason instanceof CallflowError &&
        takenOutcome.reason.code === 'CONFLICT',
    );
    assert.ok(
      unknownOutcome?.status === 'rejected' &&
        unknownOutcome.reason instanceof CallflowError &&
        unknownOutcome.reason.code === 'NOT_FOUND',
    );
    const stats = await store.messages.stats();
    assert.equal(stats.byStatus.queued, 1 + 40 + 1);
  });

  it('fails only the insert that the database refuses when it comes with others', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const good = Array.from({ length: 10 }, () => newTestMessage(a.sid));
    // A CHECK constraint refuses it: on PostgreSQL the batch's one statement fails as a whole.
    const bad = newTestMessage(a.sid, { segments: 0 });
    const outcomes = await Promise.allSettled([
      ...good.slice(0, 5).map((m) => store.messages.insert(m)),
      store.messages.insert(bad),
      ...good.slice(5).map((m) => store.messages.insert(m)),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      [...Array(5).fill('fulfilled'), 'rejected', ...Array(5).fill('fulfilled')],
    );
    for (const m of good) assert.equal((await store.messages.getBySid(m.sid))?.status, 'queued');
    assert.equal(await store.messages.getBySid(bad.sid), undefined);
  });

  it('records many submits and their receipts at once, in any order, each message ending once', async () => {
    const t = current();
    const msgs = await sending(t, [1, 2, 3, 1, 2, 1, 1, 4, 1, 2, 1, 3, 1, 1, 2, 1, 1, 1, 2, 1]);
    const second = await t.open({ migrate: false });
    const calls: Promise<unknown>[] = [];
    const submits: Promise<Message | undefined>[] = [];
    for (const [i, m] of msgs.entries()) {
      const receipts = m.ids.map((id, k) =>
        // Half the receipts come through another store (another process on PostgreSQL).
        ((i + k) % 2 ? second : t.store).messages.applyReceipt(receiptFor(t, id)),
      );
      const submit = t.store.messages.markSubmitted(m.sid, 'w', 'sim', m.ids);
      submits.push(submit);
      // Some receipts before their submit, some after, some between.
      if (i % 3 === 0) calls.push(...receipts, submit);
      else if (i % 3 === 1) calls.push(submit, ...receipts);
      else calls.push(receipts[0]!, submit, ...receipts.slice(1));
    }
    await Promise.all(calls);
    for (const s of await Promise.all(submits)) assert.ok(s, 'every submit was under its lease');
    for (const m of msgs) {
      const after = await t.store.messages.getBySid(m.sid);
      assert.equal(after?.status, 'delivered', m.sid);
      assert.deepEqual(after?.carrierMessageIds, m.ids);
      assert.deepEqual(await timeline(t, m.sid), ['queued', 'sending', 'submitted', 'delivered']);
      assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
      const parts = await t.store.messages.parts(m.sid);
      assert.deepEqual(
        parts.map((p) => [p.seq, p.carrierMessageId, p.state]),
        m.ids.map((id, k) => [k, id, 'DELIVERED']),
      );
    }
  });

  it('answers receipts made at once as if one by one: applied once, ended by exactly one', async () => {
    const t = current();
    const msgs = await sending(t, [2, 1, 1, 3]);
    for (const m of msgs) await t.store.messages.markSubmitted(m.sid, 'w', 'sim', m.ids);
    const [two, one, bad, three] = msgs as [Sending, Sending, Sending, Sending];
    const apply = (id: string, state?: ReceiptInput['state']) =>
      t.store.messages.applyReceipt(receiptFor(t, id, state));
    const results = await Promise.all([
      apply(two.ids[0]!, 'ENROUTE'),
      apply(two.ids[0]!),
      apply(two.ids[1]!),
      apply(one.ids[0]!),
      apply(one.ids[0]!, 'UNDELIVERABLE'),
      apply(bad.ids[0]!, 'REJECTED'),
      ...three.ids.map((id) => apply(id)),
      apply('nobody-knows-this-id'),
    ]);
    const byMessage = (sid: string) => results.filter((r) => r.message?.sid === sid);

    // Each receipt for a part that was not final applied. Of two receipts for the same part
    // made at once either may come first: ENROUTE applies only before DELIVERED, and of two
    // final ones only the first applies.
    assert.deepEqual(
      [results[1], results[2], results[5], results[6], results[7], results[8]].map(
        (r) => r?.applied,
      ),
      [true, true, true, true, true, true],
    );
    assert.equal(results[3]!.applied !== results[4]!.applied, true, 'one final receipt applied');
    assert.deepEqual(results.at(-1), { applied: false }, 'kept for a submit to come');
    const oneStatus = results[3]!.applied ? 'delivered' : 'undelivered';
    for (const [m, status] of [
      [two, 'delivered'],
      [one, oneStatus],
      [bad, 'failed'],
      [three, 'delivered'],
    ] as const) {
      const answers = byMessage(m.sid);
      const ended = answers.filter((r) => r.applied && r.message?.status === status);
      assert.equal(ended.length, 1, `${m.sid}: one receipt ended it`);
      assert.ok(
        answers
          .filter((r) => r.applied && r !== ended[0])
          .every((r) => r.message?.status === 'submitted'),
        `${m.sid}: the others saw it before it ended`,
      );
      assert.ok(
        answers.filter((r) => !r.applied).every((r) => r.message?.status === status),
        `${m.sid}: a receipt that came too late saw it ended`,
      );
      assert.equal((await t.store.messages.getBySid(m.sid))?.status, status);
      assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
      assert.equal((await timeline(t, m.sid)).length, 4);
    }
    assert.equal(
      (await t.store.messages.parts(one.sid))[0]?.state,
      results[3]!.applied ? 'DELIVERED' : 'UNDELIVERABLE',
      'the part kept the receipt that applied',
    );
    assert.equal((await t.store.messages.parts(two.sid))[0]?.state, 'DELIVERED');
    assert.equal((await t.store.messages.getBySid(bad.sid))?.reasonCode, 'DELIVERY_REJECTED');
  });

  it('checks each submit of a batch against its own lease', async () => {
    const t = current();
    const msgs = await sending(t, [1, 1, 1, 1], false);
    const [mine, stolen, twice, queued] = msgs as [Sending, Sending, Sending, Sending];
    // Back to the queue: not `sending` any more, so no submit can be recorded for it.
    await t.store.messages.requeue(queued.sid, 'w', t.clock(), 'CARRIER_UNAVAILABLE', 'test');
    const [a, b, c1, c2, d] = await Promise.all([
      t.store.messages.markSubmitted(mine.sid, 'w', 'sim', mine.ids),
      t.store.messages.markSubmitted(stolen.sid, 'other', 'sim', stolen.ids),
      t.store.messages.markSubmitted(twice.sid, 'w', 'sim', twice.ids),
      t.store.messages.markSubmitted(twice.sid, 'w', 'sim', twice.ids),
      t.store.messages.markSubmitted(queued.sid, 'w', 'sim', queued.ids),
    ]);
    assert.equal(a?.status, 'submitted');
    assert.equal(a?.leaseOwner, null);
    assert.equal(b, undefined);
    assert.equal((await t.store.messages.getBySid(stolen.sid))?.status, 'sending');
    assert.deepEqual(await t.store.messages.parts(stolen.sid), []);
    assert.deepEqual(
      [c1?.status, c2?.status].sort(),
      ['submitted', undefined],
      'recorded once, by either',
    );
    assert.deepEqual(await timeline(t, twice.sid), ['queued', 'sending', 'submitted']);
    assert.equal(d, undefined);
    assert.equal((await t.store.messages.getBySid(queued.sid))?.status, 'queued');
  });

  it('uses an early receipt kept under two IDs once when two submits made at once take both', async () => {
    const t = current();
    const msgs = await sending(t, [1, 1]);
    const [m2, m3] = msgs as [Sending, Sending];
    assert.deepEqual(
      await t.store.messages.applyReceipt({
        ...receiptFor(t, '1a', 'UNDELIVERABLE'),
        alternateIds: ['26'],
      }),
      { applied: false },
    );
    const [after2, after3] = await Promise.all([
      t.store.messages.markSubmitted(m2.sid, 'w', 'sim', ['26']),
      t.store.messages.markSubmitted(m3.sid, 'w', 'sim', ['1a']),
    ]);
    assert.deepEqual(
      [after2?.status, after3?.status].sort(),
      ['submitted', 'undelivered'],
      'the receipt was used once',
    );
    const parts = [
      ...(await t.store.messages.parts(m2.sid)),
      ...(await t.store.messages.parts(m3.sid)),
    ];
    assert.deepEqual(parts.map((p) => p.state).sort(), ['UNDELIVERABLE', 'submitted']);
  });
});
