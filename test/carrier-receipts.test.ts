/**
 * Delivery receipts over a real SMPP session: parsing of each outcome, deliver_sm_resp held
 * back until the handler has stored the receipt, re-sent receipts, decimal vs hex IDs, receipts
 * that wait for a reconnect, and MO messages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PDU } from 'smpp';
import type { DeliveryReceipt } from '../src/carriers/index.ts';
import {
  eventually,
  sms,
  startCarrier,
  startSimulator,
  startSmppServer,
} from './carrier-helpers.ts';

test('delivered, undelivered, expired and rejected receipts, matched to their parts', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const receipts: DeliveryReceipt[] = [];
  carrier.onReceipt(async (receipt) => {
    receipts.push(receipt);
  });
  const expected = [
    ['+919876543210', 'DELIVERED', '000'],
    ['+919876540000', 'UNDELIVERABLE', '001'],
    ['+919876540001', 'EXPIRED', '027'],
    ['+919876540002', 'REJECTED', '069'],
  ] as const;
  const ids: string[] = [];
  for (const [to] of expected) {
    const outcome = await carrier.submit(sms({ to }));
    assert.ok(outcome.ok);
    ids.push(outcome.carrierMessageIds[0]!);
  }
  await eventually(() => receipts.length === 4, 2000, 'four receipts');
  for (const [i, [, state, errorCode]] of expected.entries()) {
    const receipt = receipts.find((r) => r.carrierMessageId === ids[i]);
    assert.ok(receipt, `receipt for ${ids[i]}`);
    assert.deepEqual(
      [receipt.state, receipt.final, receipt.errorCode, receipt.carrier],
      [state, true, errorCode, 'sim'],
    );
    assert.match(receipt.submitDate ?? '', /^\d{10}$/);
    assert.match(receipt.raw ?? '', new RegExp(`^id:${ids[i]} sub:001`));
    assert.ok(receipt.receivedAt instanceof Date);
  }
  await eventually(() => sim.stats().receiptsAcked === 4, 2000, 'four acknowledgements');
});

test('one receipt per part of a long message', async (t) => {
  const { port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const seen = new Set<string>();
  carrier.onReceipt(async (receipt) => {
    seen.add(receipt.carrierMessageId);
  });
  const outcome = await carrier.submit(sms({ parts: ['one', 'two', 'three'] }));
  assert.ok(outcome.ok);
  await eventually(() => seen.size === 3, 2000, 'three receipts');
  assert.deepEqual([...seen].sort(), [...outcome.carrierMessageIds].sort());
});

test('deliver_sm_resp is withheld until the handler has stored the receipt', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  let release = () => {};
  const stored = new Promise<void>((resolve) => {
    release = resolve;
  });
  let called = 0;
  carrier.onReceipt(async () => {
    called++;
    await stored;
  });
  assert.ok((await carrier.submit(sms())).ok);
  await eventually(() => called === 1, 2000, 'the handler');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(sim.receipts()[0]?.responses, [], 'no answer while the handler runs');
  assert.equal(sim.receipts()[0]?.ackedAt, undefined);
  release();
  await eventually(() => sim.receipts()[0]?.ackedAt, 2000, 'the acknowledgement');
  assert.deepEqual(sim.receipts()[0]?.responses, [0]);
});

test('a handler that fails gets ESME_RX_T_APPN answered, and the carrier sends again', async (t) => {
  const { sim, port } = await startSimulator(t, { receiptRetryMs: 50 });
  const carrier = await startCarrier(t, port);
  const stored: DeliveryReceipt[] = [];
  let calls = 0;
  carrier.onReceipt(async (receipt) => {
    calls++;
    if (calls === 1) throw new Error('store unavailable');
    stored.push(receipt);
  });
  assert.ok((await carrier.submit(sms())).ok);
  await eventually(() => stored.length === 1, 2000, 'the stored receipt');
  await eventually(() => sim.receipts()[0]?.ackedAt, 2000, 'the acknowledgement');
  assert.deepEqual(sim.receipts()[0]?.responses, [0x64, 0]);
  assert.equal(sim.receipts()[0]?.attempts, 2);
});

test('without a handler, receipts are refused (re-sent later), never acknowledged unstored', async (t) => {
  const { sim, port } = await startSimulator(t, { receiptRetryMs: 5000 });
  const carrier = await startCarrier(t, port);
  assert.ok((await carrier.submit(sms())).ok);
  await eventually(() => sim.receipts()[0]?.responses.length === 1, 2000, 'an answer');
  assert.deepEqual(sim.receipts()[0]?.responses, [0x64]);
});

test('decimal, zero-padded receipt IDs map back to the hex submit IDs', async (t) => {
  const { port } = await startSimulator(t, {
    receiptIdFormat: 'decimal',
    receiptIdWidth: 20,
    receiptedMessageIdTlv: false,
  });
  for (const receiptIdFormat of ['auto', 'hex-submit-decimal-receipt'] as const) {
    const carrier = await startCarrier(t, port, { name: receiptIdFormat, receiptIdFormat });
    const receipts: DeliveryReceipt[] = [];
    carrier.onReceipt(async (receipt) => {
      receipts.push(receipt);
    });
    const outcome = await carrier.submit(sms());
    assert.ok(outcome.ok);
    const [id] = outcome.carrierMessageIds;
    assert.match(id!, /[a-f]/, 'the simulator answers hex IDs');
    await eventually(() => receipts.length === 1, 2000, 'the receipt');
    assert.match(receipts[0]!.raw!, /^id:0{8,}\d+ /, 'the receipt carries a padded decimal ID');
    assert.equal(receipts[0]!.carrierMessageId, id, receiptIdFormat);
    assert.equal(receipts[0]!.alternateIds, undefined);
    await carrier.stop();
  }
});

test("'same' leaves a decimal receipt ID as it is (the store cannot match it)", async (t) => {
  const { port } = await startSimulator(t, { receiptIdFormat: 'decimal' });
  const carrier = await startCarrier(t, port, { receiptIdFormat: 'same' });
  const receipts: DeliveryReceipt[] = [];
  carrier.onReceipt(async (receipt) => {
    receipts.push(receipt);
  });
  const outcome = await carrier.submit(sms());
  assert.ok(outcome.ok);
  await eventually(() => receipts.length === 1, 2000, 'the receipt');
  assert.equal(
    receipts[0]!.carrierMessageId,
    BigInt(`0x${outcome.carrierMessageIds[0]}`).toString(),
  );
});

test('a receipt due while the client is disconnected arrives after it reconnects', async (t) => {
  const { sim, port } = await startSimulator(t, { receiptDelayMs: 100 });
  const carrier = await startCarrier(t, port);
  const receipts: DeliveryReceipt[] = [];
  carrier.onReceipt(async (receipt) => {
    receipts.push(receipt);
  });
  const outcome = await carrier.submit(sms());
  assert.ok(outcome.ok);
  sim.dropConnections();
  await eventually(() => receipts.length === 1, 3000, 'the receipt');
  assert.equal(receipts[0]!.carrierMessageId, outcome.carrierMessageIds[0]);
  assert.equal(sim.stats().binds, 2);
});

test('an MO deliver_sm is acknowledged and not taken for a receipt', async (t) => {
  const answered: PDU[] = [];
  const port = await startSmppServer(t, (session) => {
    session.on('bind_transceiver', (pdu: PDU) => {
      session.send(pdu.response({ system_id: 'TEST' }));
      const mo = {
        source_addr: '919876543210',
        destination_addr: 'ACMECO',
        esm_class: 0,
        data_coding: 0,
        short_message: Buffer.from('id:1 stat:DELIVRD hello'),
      };
      session.deliver_sm(mo, (resp) => answered.push(resp));
    });
    session.on('unbind', (pdu: PDU) => session.send(pdu.response()));
  });
  const carrier = await startCarrier(t, port);
  let receipts = 0;
  carrier.onReceipt(async () => {
    receipts++;
  });
  await eventually(() => answered.length === 1, 2000, 'the deliver_sm_resp');
  assert.equal(answered[0]!.command_status, 0);
  assert.equal(receipts, 0);
});
