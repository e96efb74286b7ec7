/**
 * The SMPP client against the carrier simulator over a real loopback session: binding,
 * what goes on the wire (addresses, encodings, UDH, DLT TLVs) and how command_status
 * answers map to outcomes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import smpp from 'smpp';
import { eventually, sms, startCarrier, startSimulator } from './carrier-helpers.ts';

const ENTITY = '1101166000000000001';
const TEMPLATE = '1107166000000000001';
const TM_CHAIN = ['1302157243747322354', '1202159246020248247'];

test('binds as a transceiver with the right credentials', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  assert.equal(carrier.status().state, 'bound');
  assert.equal(carrier.availableWindow(), 10);
  assert.equal(sim.stats().binds, 1);
});

test('a refused bind is retried with back-off and reported, never thrown', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port, { password: 'wrong' });
  assert.notEqual(carrier.status().state, 'bound');
  assert.match(carrier.status().lastError ?? '', /ESME_RINVPASWD \(0x0E\)/);
  await eventually(() => sim.stats().bindFailures >= 3, 3000, 'bind retries');
  assert.equal(carrier.availableWindow(), 0);
  const outcome = await carrier.submit(sms());
  assert.equal(outcome.ok === false && outcome.code, 'CARRIER_UNAVAILABLE');
  assert.equal(sim.stats().submits, 0);
});

test('an unknown system_id is refused with ESME_RINVSYSID', async (t) => {
  const { port } = await startSimulator(t);
  const carrier = await startCarrier(t, port, { systemId: 'someone' });
  assert.match(carrier.status().lastError ?? '', /ESME_RINVSYSID/);
});

test('a carrier that is down: start() resolves, the client keeps trying', async (t) => {
  const { sim, port } = await startSimulator(t);
  await sim.stop();
  const carrier = await startCarrier(t, port);
  assert.equal(carrier.status().state === 'bound', false);
  assert.match(carrier.status().lastError ?? '', /ECONNREFUSED/);
});

test('GSM-7, one part: data_coding 0, unpacked septets, no UDH, DLT addressing', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const text = 'Pay €5 [ref: {A1}] ~ @home_^|\\ now';
  const outcome = await carrier.submit(sms({ parts: [text], validitySeconds: 3600 }));
  assert.equal(outcome.ok, true);
  const [record] = sim.received();
  assert.ok(record);
  assert.equal(record.dataCoding, 0);
  assert.equal(record.esmClass, 0);
  assert.equal(record.udh, null);
  assert.equal(record.registeredDelivery, 1);
  assert.equal(record.validityPeriod, '000000010000000R');
  assert.deepEqual([record.sourceTon, record.sourceNpi, record.sourceAddr], [5, 0, 'ACMECO']);
  assert.deepEqual(
    [record.destTon, record.destNpi, record.destinationAddr],
    [1, 1, '919876543210'],
  );
  const payload = Buffer.from(record.payload, 'hex');
  assert.equal(payload.length, [...text].length + 9, 'nine extension characters cost 2 septets');
  assert.equal(payload.subarray(4, 6).toString('hex'), '1b65', '€ is ESC 0x65');
  assert.ok(payload.includes(0x00), '@ is septet 0x00');
  assert.equal(smpp.gsmCoder.decode(payload, 0), text);
  assert.equal(record.text, text);
  assert.deepEqual(outcome.ok && outcome.carrierMessageIds, [record.messageId]);
});

test('GSM-7, three parts: UDH 05 00 03 ref 3 seq, esm_class 0x40, one ID per part', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const parts = [`${'A'.repeat(147)}[]€`, `${'B'.repeat(151)}~`, 'end {ok}'];
  const outcome = await carrier.submit(sms({ parts }));
  assert.equal(outcome.ok, true);
  const records = sim.received();
  assert.equal(records.length, 3);
  const reference = records[0]!.concat!.reference;
  for (const [i, record] of records.entries()) {
    assert.equal(record.esmClass, 0x40);
    assert.equal(record.dataCoding, 0);
    assert.deepEqual(record.concat, { reference, total: 3, seq: i + 1 });
    assert.equal(record.udh, `050003${reference.toString(16).padStart(2, '0')}030${i + 1}`);
    assert.equal(smpp.gsmCoder.decode(Buffer.from(record.payload, 'hex'), 0), parts[i]);
  }
  assert.ok(Buffer.from(records[0]!.payload, 'hex').length <= 153);
  assert.deepEqual(
    outcome.ok && outcome.carrierMessageIds,
    records.map((r) => r.messageId),
  );
  assert.equal(new Set(records.map((r) => r.messageId)).size, 3);
  // The next long message gets another reference.
  await carrier.submit(sms({ parts: ['x', 'y'] }));
  assert.notEqual(sim.received()[3]!.concat!.reference, reference);
});

test('UCS-2: Devanagari and emoji as UTF-16BE with data_coding 8', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const single = 'नमस्ते, आपका OTP 4821 है 😀';
  const outcome = await carrier.submit(sms({ encoding: 'UCS-2', parts: [single] }));
  assert.equal(outcome.ok, true);
  const parts = [`${'क'.repeat(65)}😀`, 'ख'.repeat(10)];
  assert.equal((await carrier.submit(sms({ encoding: 'UCS-2', parts }))).ok, true);
  const [one, first, second] = sim.received();
  assert.equal(one!.dataCoding, 8);
  assert.equal(one!.payload, Buffer.from(single, 'utf16le').swap16().toString('hex'));
  assert.equal(one!.text, single);
  assert.equal(first!.text, parts[0]);
  assert.equal(second!.text, parts[1]);
  assert.equal(Buffer.from(first!.payload, 'hex').length, 134);
  assert.equal(first!.esmClass, 0x40);
});

test('a numeric header goes as TON 0 / NPI 1', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  await carrier.submit(sms({ senderId: '567890' }));
  const [record] = sim.received();
  assert.deepEqual([record!.sourceTon, record!.sourceNpi, record!.sourceAddr], [0, 1, '567890']);
});

test('DLT TLVs with the default tags: octet strings and the PE-TM chain hash', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port, { tmChain: TM_CHAIN });
  await carrier.submit(sms({ dltEntityId: ENTITY, dltTemplateId: TEMPLATE }));
  const [record] = sim.received();
  const expectedHash = createHash('sha256')
    .update('1101166000000000001,1302157243747322354,1202159246020248247')
    .digest('hex');
  assert.deepEqual(record!.tlvs, {
    '1400': Buffer.from(ENTITY).toString('hex'),
    '1401': Buffer.from(TEMPLATE).toString('hex'),
    '1402': Buffer.from(expectedHash).toString('hex'),
  });
  assert.deepEqual(record!.dlt, { entityId: ENTITY, templateId: TEMPLATE, tmChain: expectedHash });
});

test('DLT TLVs with custom tags as C-strings; a null tag is not sent', async (t) => {
  const tags = { entityId: 0x3000, templateId: 0x3001, tmChain: 0x3002 };
  const { sim, port } = await startSimulator(t, { tlvTags: tags });
  const carrier = await startCarrier(t, port, {
    tmChain: TM_CHAIN,
    tlv: { ...tags, tmChain: null, stringType: 'cstring' },
  });
  await carrier.submit(sms({ dltEntityId: ENTITY, dltTemplateId: TEMPLATE }));
  const [record] = sim.received();
  assert.deepEqual(record!.tlvs, {
    '3000': `${Buffer.from(ENTITY).toString('hex')}00`,
    '3001': `${Buffer.from(TEMPLATE).toString('hex')}00`,
  });
  assert.deepEqual(record!.dlt, { entityId: ENTITY, templateId: TEMPLATE });
});

test('a carrier that requires the DLT TLVs refuses a submit without them: 0xC3, permanent', async (t) => {
  const { port } = await startSimulator(t, { requireTlvs: { entityId: true, templateId: true } });
  const carrier = await startCarrier(t, port);
  const refused = await carrier.submit(sms({ dltEntityId: ENTITY }));
  assert.deepEqual(
    refused.ok === false && [refused.transient, refused.code, refused.commandStatus],
    [false, 'CARRIER_REJECTED', 0xc3],
  );
  assert.match(refused.ok === false ? refused.detail : '', /SM0001 part 1\/1: ESME_RMISSINGTLV/);
  const accepted = await carrier.submit(sms({ dltEntityId: ENTITY, dltTemplateId: TEMPLATE }));
  assert.equal(accepted.ok, true);
});

test('a permanent error maps to CARRIER_REJECTED with its command_status', async (t) => {
  const { port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  const outcome = await carrier.submit(sms({ to: '+919876540003' }));
  assert.deepEqual(
    outcome.ok === false && [outcome.transient, outcome.code, outcome.commandStatus],
    [false, 'CARRIER_REJECTED', 0x0b],
  );
});

test('ESME_RTHROTTLED maps to CARRIER_THROTTLED and pauses the window', async (t) => {
  const { port } = await startSimulator(t, { maxSubmitsPerSecond: 2 });
  const carrier = await startCarrier(t, port, { throttlePauseMs: 300 });
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, (_, i) => carrier.submit(sms({ messageId: `SM${i}` }))),
  );
  assert.equal(outcomes.filter((o) => o.ok).length, 2);
  for (const outcome of outcomes.filter((o) => !o.ok)) {
    assert.deepEqual(
      outcome.ok === false && [outcome.transient, outcome.code, outcome.commandStatus],
      [true, 'CARRIER_THROTTLED', 0x58],
    );
  }
  assert.equal(carrier.status().throttled, 3);
  assert.equal(carrier.availableWindow(), 0, 'no new submits while the throttle pause runs');
  await eventually(() => carrier.availableWindow() === 10, 2000, 'the pause to end');
});

test('no submit_sm_resp in time: CARRIER_TIMEOUT, the slot is freed, the bind stays up', async (t) => {
  const { port } = await startSimulator(t);
  const carrier = await startCarrier(t, port, { responseTimeoutMs: 300 });
  const outcome = await carrier.submit(sms({ to: '+919876540005' }));
  assert.deepEqual(outcome.ok === false && [outcome.transient, outcome.code], [
    true,
    'CARRIER_TIMEOUT',
  ]);
  assert.equal(carrier.status().inFlight, 0);
  assert.equal(carrier.status().state, 'bound');
  assert.equal((await carrier.submit(sms())).ok, true);
});

test('a response that arrives after its timeout is ignored harmlessly', async (t) => {
  const { sim, port } = await startSimulator(t, {
    rules: [{ suffix: '7777', responseDelayMs: 600 }],
  });
  const carrier = await startCarrier(t, port, { responseTimeoutMs: 300 });
  const late = await carrier.submit(sms({ to: '+919876547777' }));
  assert.equal(late.ok === false && late.code, 'CARRIER_TIMEOUT');
  await eventually(() => sim.received()[0]?.commandStatus === 0, 2000, 'the late answer');
  const next = await carrier.submit(sms());
  assert.equal(next.ok, true);
  assert.deepEqual(
    [carrier.status().state, carrier.status().inFlight, carrier.status().submitted],
    ['bound', 0, 1],
  );
});
