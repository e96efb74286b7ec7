/**
 * The delivery worker against both stores, with FakeCarrier, a test double of the Carrier
 * interface (the real SMPP path is tested in src/carriers and test/): submits, refusals, DND,
 * the promotional window, billing, retries, expiry, rejections, receipts, window limits, drain.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type {
  Carrier,
  CarrierStatus,
  CarrierSubmit,
  ReceiptHandler,
  ReceiptState,
  SubmitOutcome,
} from '../carriers/types.ts';
import {
  createTestAccount,
  describeEachStore,
  seedTestRegistry,
  TEST_ENTITY_ID,
  TEST_LONG_TEMPLATE,
  TEST_LONG_TEMPLATE_ID,
  TEST_PROMO_TEMPLATE_ID,
  TEST_TEMPLATE_ID,
  type TestStore,
} from '../store/testing.ts';
import type { Message, Store } from '../store/types.ts';
import type { DeliveryConfig, PromotionalConfig } from './config.ts';
import { createSender, type SmsRequest } from './send.ts';
import { createDeliveryWorker } from './worker.ts';

/** Test double: records submits, answers as told, delivers receipts when asked. */
class FakeCarrier implements Carrier {
  readonly name: string;
  window: number;
  inFlight = 0;
  maxInFlight = 0;
  bound = true;
  submits: CarrierSubmit[] = [];
  answer: (msg: CarrierSubmit) => SubmitOutcome | Promise<SubmitOutcome> = (msg) => ({
    ok: true,
    carrier: this.name,
    // The end of the SmsSid: its start is a timestamp, shared by messages sent together.
    carrierMessageIds: msg.parts.map((_, i) => `${msg.messageId.slice(-8)}-${i}`),
  });
  #handler: ReceiptHandler | null = null;

  constructor(name = 'fake', window = 100) {
    this.name = name;
    this.window = window;
  }
  async start() {}
  async stop() {}
  status(): CarrierStatus {
    return {
      name: this.name,
      state: this.bound ? 'bound' : 'connecting',
      inFlight: this.inFlight,
      queued: 0,
      window: this.window,
      submitted: this.submits.length,
      throttled: 0,
    };
  }
  availableWindow() {
    return this.bound ? Math.max(0, this.window - this.inFlight) : 0;
  }
  onReceipt(handler: ReceiptHandler) {
    this.#handler = handler;
  }
  async submit(msg: CarrierSubmit): Promise<SubmitOutcome> {
    this.submits.push(msg);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(msg);
    } finally {
      this.inFlight--;
    }
  }
  receipt(carrierMessageId: string, state: ReceiptState, errorCode?: string, at = new Date()) {
    return this.#handler!({
      carrier: this.name,
      carrierMessageId,
      state,
      final: true,
      errorCode,
      receivedAt: at,
    });
  }
}

async function setup(
  t: TestStore,
  opts: {
    balancePaise?: number;
    config?: Partial<DeliveryConfig>;
    promotional?: Partial<PromotionalConfig>;
    store?: Store;
    carrier?: FakeCarrier;
  } = {},
) {
  const store = opts.store ?? t.store;
  const account = await createTestAccount(t.store, { balancePaise: opts.balancePaise ?? 100_000 });
  await seedTestRegistry(t.store, account.sid);
  const carrier = opts.carrier ?? new FakeCarrier();
  const worker = createDeliveryWorker({
    store,
    carriers: [carrier],
    clock: t.clock,
    config: { registryCacheMs: 0, retryJitter: 0, pollMs: 20, ...opts.config },
    ...(opts.promotional !== undefined && { promotional: opts.promotional }),
  });
  const sender = createSender({
    store: t.store,
    clock: t.clock,
    outbound: { allowPrivateAddresses: true },
  });
  const send = async (overrides: Partial<SmsRequest> = {}): Promise<Message> => {
    const result = await sender.sendSms(
      account.sid,
      {
        to: '+919876543210',
        senderId: 'ACMECO',
        body: 'Your OTP is 123456.',
        dltTemplateId: TEST_TEMPLATE_ID,
        dltEntityId: TEST_ENTITY_ID,
        ...overrides,
      },
      { kind: 'api' },
    );
    assert.ok(result.ok, JSON.stringify(result));
    return result.message;
  };
  const get = async (sid: string) => (await t.store.messages.getBySid(sid))!;
  const balance = async () => (await t.store.accounts.get(account.sid))!.balancePaise;
  return { account, carrier, worker, send, get, balance };
}

/** Two segments, on TEST_LONG_TEMPLATE_ID. */
const long = (order = 'A-1001') => ({
  dltTemplateId: TEST_LONG_TEMPLATE_ID,
  body: TEST_LONG_TEMPLATE.replace('{#var#}', order),
});
const promo = {
  senderId: '123456',
  dltTemplateId: TEST_PROMO_TEMPLATE_ID,
  smsType: 'promotional',
  body: 'Big sale at Acme today!',
} as const;

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeEachStore('delivery worker', (current) => {
  it('submits a message, records its parts, and delivers it on receipts', async () => {
    const t = current();
    const { carrier, worker, send, get, balance } = await setup(t);
    const m = await send({ ...long(), statusCallback: 'http://127.0.0.1:1/cb' });
    assert.equal(m.segments, 2);
    assert.equal(await worker.runOnce(), 1);
    assert.equal(carrier.submits.length, 1);
    const submit = carrier.submits[0]!;
    assert.equal(submit.messageId, m.sid);
    assert.equal(submit.to, '+919876543210');
    assert.equal(submit.senderId, 'ACMECO');
    assert.equal(submit.encoding, 'GSM-7');
    assert.equal(submit.parts.join(''), m.body);
    assert.equal(submit.parts.length, 2);
    assert.equal(submit.dltEntityId, TEST_ENTITY_ID);
    assert.equal(submit.dltTemplateId, TEST_LONG_TEMPLATE_ID);
    assert.equal(submit.validitySeconds, 86_400);
    let after = await get(m.sid);
    assert.equal(after.status, 'submitted');
    assert.equal(after.pricePaise, 40);
    assert.equal(await balance(), 100_000 - 40);
    const ids = after.carrierMessageIds;
    await carrier.receipt(ids[0]!, 'DELIVERED');
    assert.equal((await get(m.sid)).status, 'submitted');
    await carrier.receipt(ids[1]!, 'DELIVERED');
    after = await get(m.sid);
    assert.equal(after.status, 'delivered');
    assert.equal((await t.store.callbacks.list(m.sid)).length, 1);
    assert.deepEqual(
      (await t.store.messages.transitions(m.sid)).map((x) => x.status),
      ['queued', 'sending', 'submitted', 'delivered'],
    );
  });

  it('maps receipt states to final statuses', async () => {
    const t = current();
    const { carrier, worker, send, get } = await setup(t);
    const cases = [
      ['UNDELIVERABLE', 'undelivered', 'UNDELIVERED'],
      ['EXPIRED', 'undelivered', 'DELIVERY_EXPIRED'],
      ['REJECTED', 'failed', 'DELIVERY_REJECTED'],
    ] as const;
    const sent = [];
    for (const _ of cases) sent.push(await send());
    await worker.runOnce();
    for (const [i, [state, status, code]] of cases.entries()) {
      const m = await get(sent[i]!.sid);
      await carrier.receipt(m.carrierMessageIds[0]!, state, '001');
      const after = await get(m.sid);
      assert.equal(after.status, status, state);
      assert.equal(after.reasonCode, code, state);
    }
  });

  it('fails a refused message with its reason code, without charging it or calling the carrier', async () => {
    const t = current();
    const { carrier, worker, send, get, balance } = await setup(t);
    const m = await send({ dltTemplateId: '1107166000000000999' });
    await worker.runOnce();
    const after = await get(m.sid);
    assert.equal(after.status, 'failed');
    assert.equal(after.reasonCode, 'DLT_TEMPLATE_NOT_FOUND');
    assert.equal(after.pricePaise, null);
    assert.equal(carrier.submits.length, 0);
    assert.equal(await balance(), 100_000);
  });

  it('sends transactional to a fully blocked DND number and fails promotional with DND_BLOCKED', async () => {
    const t = current();
    const { worker, send, get, account } = await setup(t);
    await t.store.dnd.upsert(account.sid, '+919876543210', [0]);
    const otp = await send({ to: '9876543210' });
    const sale = await send(promo);
    await worker.runOnce();
    assert.equal((await get(otp.sid)).status, 'submitted');
    const refused = await get(sale.sid);
    assert.equal(refused.status, 'failed');
    assert.equal(refused.reasonCode, 'DND_BLOCKED');
  });

  it('holds a promotional message until the window opens, or fails it when configured', async () => {
    const t = current();
    t.clock.set('2025-06-02T16:00:00.000Z'); // 21:30 IST
    const { carrier, worker, send, get, balance } = await setup(t);
    const waiting = await send(promo);
    await worker.runOnce();
    let m = await get(waiting.sid);
    assert.equal(m.status, 'queued');
    assert.equal(m.reasonCode, 'OUTSIDE_PROMO_WINDOW');
    assert.deepEqual(m.nextAttemptAt, new Date('2025-06-03T04:30:00.000Z'));
    assert.equal(m.pricePaise, null, 'not charged while it waits');
    t.clock.set('2025-06-03T04:29:59.000Z');
    assert.equal(await worker.runOnce(), 0);
    t.clock.set('2025-06-03T04:30:00.000Z');
    assert.equal(await worker.runOnce(), 1);
    m = await get(waiting.sid);
    assert.equal(m.status, 'submitted');
    assert.equal(m.reasonCode, null);
    assert.equal(carrier.submits.length, 1);
    assert.equal(await balance(), 100_000 - 25);

    t.clock.set('2025-06-03T16:00:00.000Z');
    const shortLived = await send({ ...promo, validitySeconds: 3600 });
    await worker.runOnce();
    m = await get(shortLived.sid);
    assert.equal(m.status, 'failed', 'its validity ends before the window opens');
    assert.equal(m.reasonCode, 'OUTSIDE_PROMO_WINDOW');

    const failing = createDeliveryWorker({
      store: t.store,
      carriers: [carrier],
      clock: t.clock,
      promotional: { outsideWindow: 'fail' },
    });
    const refused = await send(promo);
    await failing.runOnce();
    assert.equal((await get(refused.sid)).reasonCode, 'OUTSIDE_PROMO_WINDOW');
    assert.equal((await get(refused.sid)).status, 'failed');
  });

  it('charges segments × rate exactly and fails INSUFFICIENT_BALANCE when the balance runs out', async () => {
    const t = current();
    const { worker, send, get, balance, account } = await setup(t, { balancePaise: 100 });
    const ms = [await send(long()), await send(long()), await send(long())];
    await worker.runOnce();
    const statuses = await Promise.all(
      ms.map(async (m) => [(await get(m.sid)).status, (await get(m.sid)).reasonCode]),
    );
    assert.deepEqual(statuses.filter(([s]) => s === 'submitted').length, 2);
    assert.deepEqual(statuses.filter(([, c]) => c === 'INSUFFICIENT_BALANCE').length, 1);
    assert.equal(await balance(), 20);
    const ledger = await t.store.accounts.ledger(account.sid, 10);
    assert.deepEqual(
      ledger.map((e) => e.amountPaise),
      [-40, -40],
    );
  });

  it('retries transient carrier errors with exponential backoff, then fails EXPIRED with a refund', async () => {
    const t = current();
    const carrier = new FakeCarrier();
    carrier.answer = () => ({
      ok: false,
      transient: true,
      code: 'CARRIER_THROTTLED',
      commandStatus: 0x58,
      detail: 'ESME_RTHROTTLED',
    });
    const { worker, send, get, balance, account } = await setup(t, {
      carrier,
      config: { retryBaseMs: 1000, retryMaxMs: 4000 },
    });
    const m = await send({ validitySeconds: 10 });
    const delays: number[] = [];
    for (;;) {
      const before = t.clock().getTime();
      await worker.runOnce();
      const after = await get(m.sid);
      if (after.status !== 'queued') break;
      assert.equal(after.reasonCode, 'CARRIER_THROTTLED');
      assert.equal(after.pricePaise, 20, 'paid once, kept across retries');
      delays.push(after.nextAttemptAt.getTime() - before);
      t.clock.set(after.nextAttemptAt);
    }
    assert.deepEqual(delays, [1000, 2000, 4000], 'doubling, capped at retryMaxMs');
    const failed = await get(m.sid);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.reasonCode, 'EXPIRED');
    assert.match(failed.reasonDetail ?? '', /CARRIER_THROTTLED/);
    assert.equal(failed.pricePaise, 0);
    assert.equal(carrier.submits.length, 4);
    assert.equal(await balance(), 100_000);
    assert.deepEqual(
      (await t.store.accounts.ledger(account.sid, 10)).map((e) => [e.kind, e.amountPaise]),
      [
        ['refund', 20],
        ['debit', -20],
      ],
    );
  });

  it('fails a message that is past its validity when claimed, refunding what it paid', async () => {
    const t = current();
    const { carrier, worker, send, get } = await setup(t);
    const m = await send({ validitySeconds: 60 });
    t.clock.advance(60_000);
    await worker.runOnce();
    assert.equal((await get(m.sid)).reasonCode, 'EXPIRED');
    assert.equal(carrier.submits.length, 0);
  });

  it('fails CARRIER_REJECTED with the command status, refunded (nothing was sent)', async () => {
    const t = current();
    const carrier = new FakeCarrier();
    carrier.answer = () => ({
      ok: false,
      transient: false,
      code: 'CARRIER_REJECTED',
      commandStatus: 0x0b,
      detail: 'ESME_RINVDSTADR',
    });
    const { worker, send, get, balance } = await setup(t, { carrier });
    const m = await send();
    await worker.runOnce();
    const after = await get(m.sid);
    assert.equal(after.status, 'failed');
    assert.equal(after.reasonCode, 'CARRIER_REJECTED');
    assert.equal(after.reasonDetail, 'command_status 0x0000000b: ESME_RINVDSTADR');
    assert.equal(await balance(), 100_000);
  });

  it('resubmits a message reclaimed in sending without a second debit', async () => {
    const t = current();
    const { carrier, worker, send, get, balance, account } = await setup(t, {
      config: { leaseMs: 5000 },
    });
    const m = await send();
    // A worker that died after its debit, before it recorded the submit.
    await t.store.messages.claimDue('dead-worker', 10, 5000);
    assert.equal((await t.store.messages.debitAndMarkSending(m.sid, 'dead-worker', 20)).ok, true);
    assert.equal(await worker.runOnce(), 0, 'leased');
    t.clock.advance(5000);
    assert.equal(await worker.runOnce(), 1);
    assert.equal((await get(m.sid)).status, 'submitted');
    assert.equal(carrier.submits.length, 1);
    assert.equal(await balance(), 100_000 - 20);
    assert.equal((await t.store.accounts.ledger(account.sid, 10)).length, 1);
  });

  it('never has more submits in flight than the carrier window', async () => {
    const t = current();
    const carrier = new FakeCarrier('fake', 4);
    const base = carrier.answer;
    carrier.answer = async (msg) => {
      await new Promise((resolve) => setTimeout(resolve, 40));
      return base(msg);
    };
    const { worker, send } = await setup(t, { carrier });
    for (let i = 0; i < 30; i++) await send();
    await worker.start();
    try {
      await until(
        async () => (await t.store.messages.stats()).byStatus.submitted === 30,
        '30 submitted',
      );
    } finally {
      await worker.stop();
    }
    assert.equal(carrier.submits.length, 30);
    assert.ok(carrier.maxInFlight <= 4, `max in flight ${carrier.maxInFlight}`);
    assert.ok(carrier.maxInFlight >= 2, 'and it does use the window');
  });

  it('ends a message whose final receipt never came (RECEIPT_TIMEOUT); a late receipt still settles it', async () => {
    const t = current();
    const { account, carrier, worker, send, get } = await setup(t, {
      config: { receiptTimeoutSeconds: 60 },
    });
    const started = t.clock();
    const answered = await send({ statusCallback: 'http://127.0.0.1:1/a' });
    const silent = await send({ statusCallback: 'http://127.0.0.1:1/b' });
    const partly = await send(long());
    assert.equal(await worker.runOnce(), 3);
    await carrier.receipt((await get(answered.sid)).carrierMessageIds[0]!, 'DELIVERED');
    // One part of two answered: the message still waits for the other.
    await carrier.receipt((await get(partly.sid)).carrierMessageIds[0]!, 'DELIVERED');

    t.clock.advance(60_000);
    assert.equal(await worker.endAwaitingReceipts(), 0, 'not past the timeout yet');
    t.clock.advance(1);
    assert.equal(await worker.endAwaitingReceipts(), 2);
    assert.equal(await worker.endAwaitingReceipts(), 0, 'each message ends once');
    assert.equal((await get(answered.sid)).status, 'delivered');
    for (const sid of [silent.sid, partly.sid]) {
      const m = await get(sid);
      assert.equal(m.status, 'undelivered');
      assert.equal(m.reasonCode, 'RECEIPT_TIMEOUT');
      assert.match(m.reasonDetail ?? '', /No final delivery receipt within 60 s/);
      assert.ok(m.doneAt !== null);
    }
    assert.equal(worker.stats().failed.RECEIPT_TIMEOUT, 2);
    // The status callback is queued like any other final status.
    const [job] = await t.store.callbacks.list(silent.sid);
    assert.equal(job?.status, 'pending');
    // Reports count it: undelivered, by its reason.
    const [summary] = await t.store.messages.summarize(account.sid, {
      filter: { since: started, until: new Date(t.clock().getTime() + 1) },
      groupBy: null,
    });
    assert.equal(summary?.byStatus.undelivered, 2);
    assert.equal(summary?.byStatus.submitted, 0);
    assert.equal(summary?.failedByReason.RECEIPT_TIMEOUT, 2);

    // The receipt comes after all: the message takes what it says, and the callback goes again.
    await t.store.callbacks.markDelivered(job!.id);
    await carrier.receipt((await get(silent.sid)).carrierMessageIds[0]!, 'DELIVERED');
    const late = await get(silent.sid);
    assert.equal(late.status, 'delivered');
    assert.equal(late.reasonCode, null);
    const [again] = await t.store.callbacks.list(silent.sid);
    assert.equal(again?.status, 'pending');
    assert.equal(again?.attempts, 0);
    assert.deepEqual(
      (await t.store.messages.transitions(silent.sid)).map((x) => [x.status, x.reasonCode]),
      [
        ['queued', null],
        ['sending', null],
        ['submitted', null],
        ['undelivered', 'RECEIPT_TIMEOUT'],
        ['delivered', null],
      ],
    );
    // A final receipt for the other part settles the long message as the parts say.
    await carrier.receipt((await get(partly.sid)).carrierMessageIds[1]!, 'UNDELIVERABLE');
    assert.equal((await get(partly.sid)).reasonCode, 'UNDELIVERED');
    // A repeated receipt changes nothing more.
    await carrier.receipt((await get(silent.sid)).carrierMessageIds[0]!, 'UNDELIVERABLE');
    assert.equal((await get(silent.sid)).status, 'delivered');
  });

  it('a running worker ends messages past the receipt timeout by itself', async () => {
    const t = current();
    const { worker, send, get } = await setup(t, { config: { receiptTimeoutSeconds: 2 } });
    const m = await send();
    assert.equal(await worker.runOnce(), 1);
    assert.equal((await get(m.sid)).status, 'submitted');
    t.clock.advance(2_001);
    await worker.start();
    try {
      await until(async () => (await get(m.sid)).status === 'undelivered', 'RECEIPT_TIMEOUT');
    } finally {
      await worker.stop();
    }
    assert.equal((await get(m.sid)).reasonCode, 'RECEIPT_TIMEOUT');
  });

  it('purges receipts that matched no submitted part once they are older than configured', async () => {
    const t = current();
    const { worker, carrier } = await setup(t, {
      config: { unmatchedReceiptHours: 60_000 / 3_600_000 },
    });
    await worker.runOnce(); // registers the receipt handler
    await carrier.receipt('nobody-1', 'DELIVERED', undefined, t.clock());
    assert.equal(await worker.purgeUnmatchedReceipts(), 0, 'too young');
    t.clock.advance(61_000);
    await carrier.receipt('nobody-2', 'DELIVERED', undefined, t.clock());
    assert.equal(await worker.purgeUnmatchedReceipts(), 1, 'only the old one');
    t.clock.advance(61_000);
    const keeper = createDeliveryWorker({
      store: t.store,
      carriers: [],
      clock: t.clock,
      config: { unmatchedReceiptHours: 0 },
    });
    assert.equal(await keeper.purgeUnmatchedReceipts(), 0, '0 keeps them');
    assert.equal(await worker.purgeUnmatchedReceipts(), 1);
  });

  it('claims ahead of the window, checked and debited, but submits only what the window allows', async () => {
    const t = current();
    const peakSending = async (claimAhead: number) => {
      const carrier = new FakeCarrier('fake', 4);
      const base = carrier.answer;
      carrier.answer = async (msg) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return base(msg);
      };
      const { worker, send, get } = await setup(t, { carrier, config: { claimAhead } });
      const sids: string[] = [];
      for (let i = 0; i < 24; i++) sids.push((await send()).sid);
      let peak = 0;
      await worker.start();
      try {
        await until(async () => {
          const statuses = await Promise.all(sids.map(async (sid) => (await get(sid)).status));
          peak = Math.max(peak, statuses.filter((s) => s === 'sending').length);
          return statuses.every((s) => s === 'submitted');
        }, '24 submitted');
      } finally {
        await worker.stop();
      }
      assert.ok(carrier.maxInFlight <= 4, `max in flight ${carrier.maxInFlight}`);
      return peak;
    };
    // Debited and waiting for the window: up to the window plus what is claimed ahead.
    const ahead = await peakSending(4);
    assert.ok(ahead > 4 && ahead <= 8, `with claimAhead 4, at most 8 sending at once: ${ahead}`);
    const exact = await peakSending(0);
    assert.ok(exact <= 4, `with claimAhead 0, at most the window: ${exact}`);
  });

  it('keeps the parts of messages a broken carrier accepted without message IDs apart', async () => {
    const t = current();
    const carrier = new FakeCarrier();
    carrier.answer = (msg) => ({
      ok: true,
      carrier: carrier.name,
      carrierMessageIds: msg.parts.map(() => ''),
    });
    const { worker, send } = await setup(t, { carrier });
    const [m1, m2] = [await send(), await send()];
    assert.equal(await worker.runOnce(), 2);
    for (const m of [m1, m2]) {
      const parts = await t.store.messages.parts(m.sid);
      assert.deepEqual(
        parts.map((p) => p.carrierMessageId),
        [`no-id:${m.sid}:0`],
        'each message keeps its own part',
      );
      assert.equal((await t.store.messages.getBySid(m.sid))?.status, 'submitted');
    }
  });

  it('claims nothing while no carrier is bound, and delivers once one is', async () => {
    const t = current();
    const carrier = new FakeCarrier('fake', 4);
    carrier.bound = false;
    const { worker, send, get } = await setup(t, { carrier });
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) sids.push((await send()).sid);
    await worker.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      for (const sid of sids) {
        const m = await get(sid);
        assert.equal(m.status, 'queued');
        assert.equal(m.attempts, 0, 'not claimed while the carrier is down');
      }
      carrier.bound = true;
      await until(
        async () => (await t.store.messages.stats()).byStatus.submitted === 3,
        '3 submitted',
      );
    } finally {
      await worker.stop();
    }
    assert.equal(worker.stats().retried, 0);
  });

  it('a message that waits too long for a busy carrier goes back without spending an attempt', async () => {
    const t = current();
    const carrier = new FakeCarrier('fake', 1);
    const base = carrier.answer;
    carrier.answer = async (msg) => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      return base(msg);
    };
    const { worker, send, get } = await setup(t, {
      carrier,
      config: { claimAhead: 4, windowWaitMs: 20 },
    });
    const sids: string[] = [];
    for (let i = 0; i < 4; i++) sids.push((await send()).sid);
    await worker.start();
    try {
      await until(
        async () => (await t.store.messages.stats()).byStatus.submitted === 4,
        '4 submitted',
      );
    } finally {
      await worker.stop();
    }
    assert.equal(worker.stats().retried, 0, 'no retry with backoff: the carrier is up');
    for (const sid of sids) {
      const m = await get(sid);
      assert.equal(m.attempts, 1, `${sid} was submitted on its first counted attempt`);
      assert.equal(m.reasonCode, null);
    }
    assert.equal(carrier.submits.length, 4, 'each submitted once');
  });

  it('wakes on a new message, and on stop releases a message it has not yet submitted', async () => {
    const t = current();
    // A store whose account look-up (the last check) waits at a gate once it is closed.
    let gated = false;
    let open: () => void = () => {};
    let reached: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const store: Store = {
      ...t.store,
      accounts: {
        ...t.store.accounts,
        async get(sid) {
          if (gated) {
            reached();
            await gate;
          }
          return t.store.accounts.get(sid);
        },
      },
    };
    const { worker, send, get } = await setup(t, { store, config: { pollMs: 60_000 } });
    await worker.start();
    try {
      const first = await send();
      await until(
        async () => (await get(first.sid)).status === 'submitted',
        'the notified message to go out',
      );
      gated = true;
      const second = await send();
      await atGate;
      const stopped = worker.stop();
      open();
      await stopped;
      const released = await get(second.sid);
      assert.equal(released.status, 'queued');
      assert.equal(released.leaseOwner, null, 'released for the next worker');
      assert.deepEqual(released.nextAttemptAt, t.clock());
      assert.equal(released.attempts, 0, 'the interrupted claim does not count');
      assert.equal(released.pricePaise, null);
    } finally {
      open();
      await worker.stop();
    }
  });

  it('on stop waits for a submit in flight, but only up to drainMs', async () => {
    const t = current();
    const carrier = new FakeCarrier();
    carrier.answer = () => new Promise(() => {});
    const { worker, send, get } = await setup(t, { carrier, config: { drainMs: 200 } });
    await worker.start();
    const m = await send();
    await until(async () => carrier.submits.length === 1, 'the submit');
    const started = Date.now();
    await worker.stop();
    const waited = Date.now() - started;
    assert.ok(waited >= 190 && waited < 2000, `waited ${waited} ms`);
    const after = await get(m.sid);
    assert.equal(after.status, 'sending', 'its lease will expire and another worker resubmits it');
    assert.equal(after.leaseOwner, worker.id);
  });

  it('two workers on separate connections never overspend and submit each message once', async () => {
    const t = current();
    const second = await t.open({ migrate: false });
    const c1 = new FakeCarrier('fake', 8);
    const c2 = new FakeCarrier('fake', 8);
    const { worker, send, balance } = await setup(t, { balancePaise: 400, carrier: c1 });
    const other = createDeliveryWorker({
      store: second,
      carriers: [c2],
      clock: t.clock,
      config: { registryCacheMs: 0, pollMs: 20 },
    });
    for (let i = 0; i < 50; i++) await send();
    await Promise.all([worker.start(), other.start()]);
    try {
      await until(async () => {
        const s = await t.store.messages.stats();
        return s.byStatus.queued + s.byStatus.sending === 0;
      }, 'every message to be settled');
    } finally {
      await Promise.all([worker.stop(), other.stop()]);
    }
    const stats = await t.store.messages.stats();
    assert.equal(stats.byStatus.submitted, 20);
    assert.equal(stats.byStatus.failed, 30);
    assert.equal(await balance(), 0);
    const submitted = [...c1.submits, ...c2.submits].map((s) => s.messageId);
    assert.equal(submitted.length, 20);
    assert.equal(new Set(submitted).size, 20);
  });
});
