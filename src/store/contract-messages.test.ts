/**
 * Store contract, part 2: the outbox row, idempotency, lists and cursors, claims and leases, the
 * debit under concurrency, requeue, fail with refund, release and counts.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CallflowError } from '../errors.ts';
import {
  createTestAccount,
  describeEachStore,
  newTestMessage,
  type TestStore,
  watchWakes,
} from './testing.ts';
import type { Message } from './types.ts';

const LEASE = 30_000;

async function queued(t: TestStore, count: number, accountSid?: string) {
  const sid = accountSid ?? (await createTestAccount(t.store)).sid;
  const ms = Array.from({ length: count }, () => newTestMessage(sid));
  await t.store.messages.insertMany(ms);
  return { accountSid: sid, sids: ms.map((m) => m.sid) };
}

describeEachStore('store contract: messages', (current) => {
  it('writes the outbox row with its queued transition', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const input = newTestMessage(a.sid, {
      origin: { kind: 'flow', callSid: 'CA1', flowId: 'FL1', appletId: 'sms1' },
      statusCallback: 'https://example.com/cb',
      customField: 'order-7',
    });
    const { message, created } = await store.messages.insert(input);
    assert.equal(created, true);
    assert.deepEqual(message, {
      ...input,
      status: 'queued',
      reasonCode: null,
      reasonDetail: null,
      pricePaise: null,
      carrier: null,
      carrierMessageIds: [],
      attempts: 0,
      nextAttemptAt: clock(),
      leaseOwner: null,
      leaseUntil: null,
      createdAt: clock(),
      updatedAt: clock(),
      submittedAt: null,
      doneAt: null,
    });
    assert.deepEqual(await store.messages.get(a.sid, input.sid), message);
    assert.deepEqual(await store.messages.getBySid(input.sid), message);
    assert.equal(await store.messages.get('ACother', input.sid), undefined);
    assert.deepEqual(await store.messages.transitions(input.sid), [
      { messageSid: input.sid, status: 'queued', at: clock(), reasonCode: null, detail: null },
    ]);
  });

  it('a new row wakes the workers, of another process too on PostgreSQL; a repeat does not', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    // On PostgreSQL another store on the same database stands for another process.
    const watcher = t.name === 'postgres' ? await t.open({ migrate: false }) : t.store;
    const wakes = watchWakes(watcher, t.name);
    await wakes.ready();
    const before = wakes.count;
    const keyed = newTestMessage(a.sid, { idempotencyKey: 'wake-1' });
    await t.store.messages.insert(keyed);
    await wakes.next();
    assert.ok(wakes.count > before, 'the insert woke the watcher');
    // The same key again writes nothing and wakes nobody.
    const settled = wakes.count;
    const again = await t.store.messages.insert({
      ...newTestMessage(a.sid),
      idempotencyKey: 'wake-1',
    });
    assert.equal(again.created, false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(wakes.count, settled, 'no wake-up for a row not written');
    wakes.off();
  });

  it('answers an insert made again with the same message as written (an answer lost at commit)', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    for (const m of [newTestMessage(a.sid), newTestMessage(a.sid, { idempotencyKey: 'lost-1' })]) {
      const first = await store.messages.insert(m);
      const again = await store.messages.insert(m);
      assert.equal(again.created, true, 'the caller never got the first answer');
      assert.deepEqual(again.message, first.message);
      assert.deepEqual(
        (await store.messages.transitions(m.sid)).map((x) => x.status),
        ['queued'],
        'written once',
      );
    }
    // The same sid with another request is still a conflict.
    const m = newTestMessage(a.sid);
    await store.messages.insert(m);
    await assert.rejects(
      store.messages.insert({ ...m, body: 'Another text.' }),
      (e) => e instanceof CallflowError && e.code === 'CONFLICT',
    );
  });

  it('returns the existing message for a reused idempotency key, per account', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const b = await createTestAccount(store);
    const first = await store.messages.insert(
      newTestMessage(a.sid, { idempotencyKey: 'k1', requestHash: 'h1' }),
    );
    const again = await store.messages.insert(
      newTestMessage(a.sid, { idempotencyKey: 'k1', requestHash: 'h2' }),
    );
    assert.equal(again.created, false);
    assert.equal(again.message.sid, first.message.sid);
    assert.equal(again.message.requestHash, 'h1', 'the caller compares hashes to detect reuse');
    const otherAccount = await store.messages.insert(
      newTestMessage(b.sid, { idempotencyKey: 'k1' }),
    );
    assert.equal(otherAccount.created, true);
    const many = await store.messages.insertMany([
      newTestMessage(a.sid, { idempotencyKey: 'k2' }),
      newTestMessage(a.sid, { idempotencyKey: 'k1' }),
      newTestMessage(a.sid),
    ]);
    assert.deepEqual(
      many.map((r) => r.created),
      [true, false, true],
    );
    assert.equal(many[1]?.message.sid, first.message.sid);
    await assert.rejects(
      store.messages.insert(newTestMessage(a.sid, { sid: first.message.sid })),
      (e) => e instanceof CallflowError && e.code === 'CONFLICT',
    );
  });

  it('lists with filters and a stable cursor (createdAt desc, sid desc)', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const other = await createTestAccount(store);
    await store.messages.insert(newTestMessage(other.sid));
    const all: Message[] = [];
    for (let i = 0; i < 23; i++) {
      // Several messages share a millisecond: the sid breaks the tie.
      if (i % 4 === 0) clock.advance(1000);
      const flow = i % 5 === 0;
      const { message } = await store.messages.insert(
        newTestMessage(a.sid, {
          to: i % 3 === 0 ? '+919800000003' : '+919800000001',
          senderId: i % 2 === 0 ? 'ACMECO' : 'ACMEIN',
          smsType: i % 7 === 0 ? 'promotional' : 'transactional',
          dltTemplateId: i % 6 === 0 ? '1107166000000000006' : '1107166000000000001',
          origin: flow
            ? { kind: 'flow', callSid: `CA${i % 2}`, flowId: 'FL1', appletId: 'a' }
            : { kind: 'api' },
        }),
      );
      all.push(message);
    }
    const expected = [...all].sort(
      (x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.sid < x.sid ? -1 : 1),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await store.messages.list(a.sid, {}, cursor, 10);
      seen.push(...page.items.map((m) => m.sid));
      cursor = page.nextCursor;
      pages++;
      // A message written meanwhile is newer than every page already read: it never shifts them.
      if (pages === 1) {
        clock.advance(1000);
        await store.messages.insert(newTestMessage(a.sid));
      }
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      expected.map((m) => m.sid),
    );

    const sids = async (filter: Parameters<typeof store.messages.list>[1]) =>
      (await store.messages.list(a.sid, filter, null, 100)).items.map((m) => m.sid).sort();
    const where = (p: (m: Message) => boolean) =>
      all
        .filter(p)
        .map((m) => m.sid)
        .sort();
    assert.deepEqual(
      await sids({ to: '+919800000003' }),
      where((m) => m.to === '+919800000003'),
    );
    assert.deepEqual(
      await sids({ from: 'ACMEIN' }),
      where((m) => m.senderId === 'ACMEIN'),
    );
    assert.deepEqual(
      await sids({ smsType: 'promotional' }),
      where((m) => m.smsType === 'promotional'),
    );
    assert.deepEqual(
      await sids({ dltTemplateId: '1107166000000000006' }),
      where((m) => m.dltTemplateId === '1107166000000000006'),
    );
    assert.deepEqual(
      await sids({ flowId: 'FL1' }),
      where((m) => m.origin.kind === 'flow'),
    );
    assert.deepEqual(
      await sids({ callSid: 'CA0', to: '+919800000003' }),
      where(
        (m) => m.origin.kind === 'flow' && m.origin.callSid === 'CA0' && m.to === '+919800000003',
      ),
    );
    const since = all[8]!.createdAt;
    const until = all[16]!.createdAt;
    assert.deepEqual(
      await sids({ since, until }),
      where((m) => m.createdAt >= since && m.createdAt < until),
    );
    assert.equal((await sids({ status: 'failed' })).length, 0);
    assert.equal((await sids({ status: 'queued' })).length, 24);
    await assert.rejects(
      store.messages.list(a.sid, {}, 'bm90IGEgY3Vyc29y', 10),
      (e) => e instanceof CallflowError && e.code === 'VALIDATION_FAILED',
    );
  });

  it('claims each due message once across two concurrent claimers', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const { sids } = await queued(t, 60);
    const byOwner = new Map<string, string[]>([
      ['w1', []],
      ['w2', []],
    ]);
    for (;;) {
      const [a, b] = await Promise.all([
        t.store.messages.claimDue('w1', 7, LEASE),
        second.messages.claimDue('w2', 7, LEASE),
      ]);
      byOwner.get('w1')!.push(...a.map((m) => m.sid));
      byOwner.get('w2')!.push(...b.map((m) => m.sid));
      for (const m of [...a, ...b]) {
        assert.equal(m.attempts, 1);
        assert.equal(m.leaseUntil?.getTime(), t.clock().getTime() + LEASE);
        assert.deepEqual(m.nextAttemptAt, m.leaseUntil);
      }
      if (a.length + b.length === 0) break;
    }
    const claimed = [...byOwner.get('w1')!, ...byOwner.get('w2')!];
    assert.equal(claimed.length, 60, 'every message claimed');
    assert.deepEqual(new Set(claimed), new Set(sids), 'and none twice');
    assert.ok(byOwner.get('w2')!.length > 0);
  });

  it('reclaims expired leases, including sending messages whose worker died', async () => {
    const { store, clock } = current();
    const { accountSid, sids } = await queued(current(), 2);
    const [s1, s2] = sids as [string, string];
    assert.equal((await store.messages.claimDue('w1', 10, 1000)).length, 2);
    assert.equal((await store.messages.debitAndMarkSending(s2, 'w1', 20)).ok, true);
    assert.deepEqual(await store.messages.claimDue('w2', 10, 1000), [], 'leased: not due');
    clock.advance(999);
    await store.messages.extendLease('w1', [s1], 5000);
    clock.advance(1);
    const reclaimed = await store.messages.claimDue('w2', 10, LEASE);
    assert.deepEqual(
      reclaimed.map((m) => m.sid),
      [s2],
      'the extended lease holds; the expired one is due',
    );
    const m = reclaimed[0]!;
    assert.equal(m.status, 'sending');
    assert.equal(m.pricePaise, 20, 'already paid: the next worker resubmits without a debit');
    assert.equal(m.attempts, 2);
    assert.equal(m.leaseOwner, 'w2');
    assert.equal(
      await store.messages.markSubmitted(s2, 'w1', 'c', ['x']),
      undefined,
      'the first worker lost its lease',
    );
    assert.equal((await store.messages.markSubmitted(s2, 'w2', 'c', ['x']))?.status, 'submitted');
    assert.equal((await store.accounts.get(accountSid))?.balancePaise, 100_000 - 20);
  });

  it('never overspends under 50 concurrent debits against a balance for 20', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const account = await createTestAccount(t.store, { balancePaise: 400 });
    const { sids } = await queued(t, 50, account.sid);
    assert.equal((await t.store.messages.claimDue('w', 50, LEASE)).length, 50);
    const results = await Promise.all(
      sids.map((sid, i) => (i % 2 ? second : t.store).messages.debitAndMarkSending(sid, 'w', 20)),
    );
    assert.equal(results.filter((r) => r.ok).length, 20);
    assert.equal(results.filter((r) => !r.ok && r.code === 'INSUFFICIENT_BALANCE').length, 30);
    assert.equal((await t.store.accounts.get(account.sid))?.balancePaise, 0);
    const ledger = await t.store.accounts.ledger(account.sid, 100);
    assert.equal(ledger.length, 20);
    assert.equal(
      ledger.reduce((sum, e) => sum + e.amountPaise, 0),
      -400,
    );
    assert.ok(ledger.every((e) => e.balanceAfterPaise >= 0));
    assert.deepEqual(
      ledger.map((e) => e.balanceAfterPaise).sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i * 20),
      'each debit saw the balance the previous one left',
    );
    const sending = await t.store.messages.list(account.sid, { status: 'sending' }, null, 100);
    assert.equal(sending.items.length, 20);
    assert.ok(sending.items.every((m) => m.pricePaise === 20));
  });

  it('refuses a debit without the lease and keeps the price across a requeue', async () => {
    const { store, clock } = current();
    const { accountSid, sids } = await queued(current(), 1);
    const sid = sids[0]!;
    await store.messages.claimDue('w1', 1, LEASE);
    assert.deepEqual(await store.messages.debitAndMarkSending(sid, 'w2', 20), {
      ok: false,
      code: 'LEASE_LOST',
    });
    assert.equal((await store.messages.debitAndMarkSending(sid, 'w1', 20)).ok, true);
    const later = new Date(clock().getTime() + 5000);
    await store.messages.requeue(sid, 'w1', later, 'CARRIER_THROTTLED', 'ESME_RTHROTTLED');
    let m = (await store.messages.getBySid(sid))!;
    assert.equal(m.status, 'queued');
    assert.equal(m.pricePaise, 20);
    assert.equal(m.reasonCode, 'CARRIER_THROTTLED');
    assert.deepEqual(m.nextAttemptAt, later);
    assert.equal(m.leaseOwner, null);
    assert.deepEqual(await store.messages.claimDue('w1', 1, LEASE), [], 'not before its time');
    clock.advance(5000);
    assert.equal((await store.messages.claimDue('w1', 1, LEASE)).length, 1);
    assert.equal(await store.messages.markSending(sid, 'w2'), false);
    assert.equal(await store.messages.markSending(sid, 'w1'), true);
    m = (await store.messages.getBySid(sid))!;
    assert.equal(m.status, 'sending');
    assert.equal(m.reasonCode, null);
    assert.equal((await store.accounts.get(accountSid))?.balancePaise, 100_000 - 20);
    assert.equal((await store.accounts.ledger(accountSid, 10)).length, 1, 'charged once');
    assert.deepEqual(
      (await store.messages.transitions(sid)).map((x) => [x.status, x.reasonCode]),
      [
        ['queued', null],
        ['sending', null],
        ['queued', 'CARRIER_THROTTLED'],
        ['sending', null],
      ],
    );
  });

  it('fails a message with a refund, once, and enqueues its status callback', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    const withCallback = newTestMessage(a.sid, { statusCallback: 'https://example.com/cb' });
    const plain = newTestMessage(a.sid);
    await store.messages.insertMany([withCallback, plain]);
    await store.messages.claimDue('w1', 2, LEASE);
    await store.messages.debitAndMarkSending(withCallback.sid, 'w1', 40);
    assert.equal(
      await store.messages.fail(withCallback.sid, 'w2', 'EXPIRED', null, { refund: true }),
      undefined,
      'not under another lease',
    );
    clock.advance(10);
    const failed = await store.messages.fail(withCallback.sid, 'w1', 'EXPIRED', 'validity over', {
      refund: true,
    });
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.reasonCode, 'EXPIRED');
    assert.equal(failed?.reasonDetail, 'validity over');
    assert.equal(failed?.pricePaise, 0);
    assert.deepEqual(failed?.doneAt, clock());
    assert.equal(failed?.leaseOwner, null);
    assert.equal((await store.accounts.get(a.sid))?.balancePaise, 100_000);
    assert.deepEqual(
      (await store.accounts.ledger(a.sid, 10)).map((e) => [e.kind, e.amountPaise, e.messageSid]),
      [
        ['refund', 40, withCallback.sid],
        ['debit', -40, withCallback.sid],
      ],
    );
    assert.equal(
      await store.messages.fail(withCallback.sid, null, 'EXPIRED', null, { refund: true }),
      undefined,
      'already final: no second refund',
    );
    assert.equal((await store.accounts.get(a.sid))?.balancePaise, 100_000);
    const jobs = await store.callbacks.list(withCallback.sid);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.url, 'https://example.com/cb');

    const plainFailed = await store.messages.fail(plain.sid, null, 'DND_BLOCKED', 'fully blocked');
    assert.equal(plainFailed?.pricePaise, null);
    assert.deepEqual(await store.callbacks.list(plain.sid), [], 'no callback URL, no job');
  });

  it('releases a lease without counting the attempt, and counts by status', async () => {
    const { store, clock } = current();
    const { sids } = await queued(current(), 3);
    const [s1, s2] = sids as [string, string, string];
    await store.messages.claimDue('w1', 2, LEASE);
    let stats = await store.messages.stats();
    assert.equal(stats.byStatus.queued, 3);
    assert.equal(stats.due, 1);
    assert.deepEqual(stats.oldestDueAt, clock());
    await store.messages.release(s1, 'w1');
    await store.messages.release(s2, 'other');
    const m = (await store.messages.getBySid(s1))!;
    assert.equal(m.leaseOwner, null);
    assert.equal(m.attempts, 0);
    assert.deepEqual(m.nextAttemptAt, clock());
    stats = await store.messages.stats();
    assert.equal(stats.due, 2);
    await store.messages.fail(s2, null, 'INVALID_NUMBER', null);
    stats = await store.messages.stats();
    assert.equal(stats.byStatus.failed, 1);
    assert.equal(stats.byStatus.queued, 2);
    assert.equal(stats.byStatus.delivered, 0);
  });
});
