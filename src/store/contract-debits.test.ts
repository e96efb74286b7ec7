/**
 * Store contract, part 6: the batch debit (debitManyAndMarkSending) — in-order exactness of
 * INSUFFICIENT_BALANCE, lease checks, all-or-nothing on misuse, and no overspend or double debit
 * when many batches and single debits run at once.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestAccount, describeEachStore, newTestMessage, type TestStore } from './testing.ts';

const LEASE = 30_000;

async function queued(t: TestStore, count: number, accountSid: string) {
  const ms = Array.from({ length: count }, () => newTestMessage(accountSid));
  await t.store.messages.insertMany(ms);
  return ms.map((m) => m.sid);
}

describeEachStore('store contract: batch debits', (current) => {
  it('debits in order while the balance covers each item, per account', async () => {
    const t = current();
    const { store } = t;
    const a = await createTestAccount(store, { balancePaise: 100 });
    const b = await createTestAccount(store, { balancePaise: 25 });
    const [a1, a2, a3, a4] = (await queued(t, 4, a.sid)) as [string, string, string, string];
    const [b1, b2] = (await queued(t, 2, b.sid)) as [string, string];
    assert.equal((await store.messages.claimDue('w', 10, LEASE)).length, 6);
    const results = await store.messages.debitManyAndMarkSending('w', [
      { sid: a1, pricePaise: 30 },
      { sid: b1, pricePaise: 20 },
      { sid: a2, pricePaise: 50 },
      { sid: a3, pricePaise: 40 },
      { sid: b2, pricePaise: 20 },
      { sid: a4, pricePaise: 20 },
    ]);
    assert.deepEqual(results, [
      { ok: true, balanceAfterPaise: 70 },
      { ok: true, balanceAfterPaise: 5 },
      { ok: true, balanceAfterPaise: 20 },
      { ok: false, code: 'INSUFFICIENT_BALANCE' },
      { ok: false, code: 'INSUFFICIENT_BALANCE' },
      { ok: true, balanceAfterPaise: 0 },
    ]);
    assert.equal((await store.accounts.get(a.sid))?.balancePaise, 0);
    assert.equal((await store.accounts.get(b.sid))?.balancePaise, 5);
    const ledgerA = await store.accounts.ledger(a.sid, 10);
    assert.deepEqual(
      ledgerA.map((e) => [e.messageSid, e.kind, e.amountPaise, e.balanceAfterPaise]).sort(),
      [
        [a1, 'debit', -30, 70],
        [a2, 'debit', -50, 20],
        [a4, 'debit', -20, 0],
      ].sort(),
    );
    for (const [sid, price] of [
      [a1, 30],
      [a2, 50],
      [a4, 20],
      [b1, 20],
    ] as const) {
      const m = (await store.messages.getBySid(sid))!;
      assert.equal(m.status, 'sending');
      assert.equal(m.pricePaise, price);
      assert.deepEqual(
        (await store.messages.transitions(sid)).map((x) => x.status),
        ['queued', 'sending'],
      );
    }
    for (const sid of [a3, b2]) {
      const m = (await store.messages.getBySid(sid))!;
      assert.equal(m.status, 'queued', 'an uncovered debit writes nothing');
      assert.equal(m.pricePaise, null);
      assert.equal(m.leaseOwner, 'w');
      assert.deepEqual(
        (await store.messages.transitions(sid)).map((x) => x.status),
        ['queued'],
      );
    }
  });

  it('answers LEASE_LOST for messages not queued under this lease, and [] for no items', async () => {
    const t = current();
    const { store } = t;
    const a = await createTestAccount(store, { balancePaise: 1000 });
    const [s1, s2, s3] = (await queued(t, 3, a.sid)) as [string, string, string];
    await store.messages.claimDue('w1', 2, LEASE);
    await store.messages.claimDue('w2', 1, LEASE);
    const owners = await Promise.all(
      [s1, s2, s3].map(async (sid) => [sid, (await store.messages.getBySid(sid))!.leaseOwner]),
    );
    const owned = owners.filter(([, o]) => o === 'w1').map(([sid]) => sid!);
    const other = owners.find(([, o]) => o === 'w2')![0]!;
    assert.equal(owned.length, 2);
    assert.deepEqual(await store.messages.debitManyAndMarkSending('w1', []), []);
    const results = await store.messages.debitManyAndMarkSending('w1', [
      { sid: owned[0]!, pricePaise: 20 },
      { sid: other, pricePaise: 20 },
      { sid: 'SMnotthere', pricePaise: 20 },
      { sid: owned[1]!, pricePaise: 20 },
    ]);
    assert.deepEqual(results, [
      { ok: true, balanceAfterPaise: 980 },
      { ok: false, code: 'LEASE_LOST' },
      { ok: false, code: 'LEASE_LOST' },
      { ok: true, balanceAfterPaise: 960 },
    ]);
    assert.equal((await store.messages.getBySid(other))?.pricePaise, null);
    assert.deepEqual(
      await store.messages.debitManyAndMarkSending('w2', [{ sid: owned[0]!, pricePaise: 20 }]),
      [{ ok: false, code: 'LEASE_LOST' }],
      'sending is no longer queued',
    );
    assert.equal((await store.accounts.ledger(a.sid, 10)).length, 2);
  });

  it('writes nothing when an item was already debited or appears twice', async () => {
    const t = current();
    const { store } = t;
    const a = await createTestAccount(store, { balancePaise: 1000 });
    const [s1, s2] = (await queued(t, 2, a.sid)) as [string, string];
    await store.messages.claimDue('w', 2, LEASE);
    assert.equal((await store.messages.debitAndMarkSending(s1, 'w', 20)).ok, true);
    await store.messages.requeue(s1, 'w', t.clock(), 'CARRIER_THROTTLED', 'x');
    assert.equal((await store.messages.claimDue('w', 2, LEASE)).length, 1, 'the paid one again');
    await assert.rejects(
      store.messages.debitManyAndMarkSending('w', [
        { sid: s2, pricePaise: 20 },
        { sid: s1, pricePaise: 20 },
      ]),
    );
    await assert.rejects(
      store.messages.debitManyAndMarkSending('w', [
        { sid: s2, pricePaise: 20 },
        { sid: s2, pricePaise: 20 },
      ]),
    );
    assert.equal((await store.messages.getBySid(s2))?.status, 'queued');
    assert.equal((await store.messages.getBySid(s2))?.pricePaise, null);
    assert.equal((await store.accounts.get(a.sid))?.balancePaise, 980);
    assert.equal((await store.accounts.ledger(a.sid, 10)).length, 1, 'charged once');
  });

  it('never overspends nor debits twice under concurrent batches and single debits', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const account = await createTestAccount(t.store, { balancePaise: 400 });
    const sids = await queued(t, 60, account.sid);
    assert.equal((await t.store.messages.claimDue('w', 60, LEASE)).length, 60);
    // Six batches of eight (each message in one batch) and twelve single debits, all at once,
    // from two store handles (two pools on PostgreSQL); the batches overlap in accounts' rows.
    const batches = Array.from({ length: 6 }, (_, b) => sids.slice(b * 8, b * 8 + 8));
    const singles = sids.slice(48);
    const outcomes = await Promise.all([
      ...batches.map((batch, b) =>
        (b % 2 ? second : t.store).messages.debitManyAndMarkSending(
          'w',
          batch.map((sid) => ({ sid, pricePaise: 20 })),
        ),
      ),
      ...singles.map(async (sid, i) => [
        await (i % 2 ? t.store : second).messages.debitAndMarkSending(sid, 'w', 20),
      ]),
    ]);
    const results = outcomes.flat();
    assert.equal(results.length, 60);
    assert.equal(results.filter((r) => r.ok).length, 20);
    assert.equal(results.filter((r) => !r.ok && r.code === 'INSUFFICIENT_BALANCE').length, 40);
    assert.equal((await t.store.accounts.get(account.sid))?.balancePaise, 0);
    const ledger = await t.store.accounts.ledger(account.sid, 100);
    assert.equal(ledger.length, 20);
    assert.equal(
      ledger.reduce((sum, e) => sum + e.amountPaise, 0),
      -400,
    );
    assert.deepEqual(
      ledger.map((e) => e.balanceAfterPaise).sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i * 20),
      'each debit saw the balance the previous one left',
    );
    const sending = await t.store.messages.list(account.sid, { status: 'sending' }, null, 100);
    assert.equal(sending.items.length, 20);
    assert.deepEqual(
      new Set(sending.items.map((m) => m.sid)),
      new Set(ledger.map((e) => e.messageSid)),
      'one ledger entry per debited message, none for the others',
    );
    // A second round of the same batches finds nothing left to debit and writes nothing.
    const again = await Promise.all(
      batches.map((batch) =>
        second.messages.debitManyAndMarkSending(
          'w',
          batch
            .filter((sid) => !sending.items.some((m) => m.sid === sid))
            .map((sid) => ({ sid, pricePaise: 20 })),
        ),
      ),
    );
    assert.ok(again.flat().every((r) => !r.ok && r.code === 'INSUFFICIENT_BALANCE'));
    assert.equal((await t.store.accounts.ledger(account.sid, 100)).length, 20);
  });
});
