/**
 * The SMPP client against a carrier that misbehaves, PDU by PDU, over loopback: odd or missing
 * submit_sm_resp, malformed receipts, unknown commands, outbind, unbind mid-window and an
 * enquire_link flood. Whatever the carrier does, every submit settles once with a
 * SubmitOutcome, the window comes back to full, a receipt is acknowledged only once stored,
 * the client binds again after a drop, and nothing escapes to the process.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import smpp, { type PDU, type Session } from 'smpp';
import type { DeliveryReceipt, SmppCarrier, SubmitOutcome } from '../src/carriers/index.ts';
import { eventually, sms, startCarrier, startSmppServer } from './carrier-helpers.ts';

const RESPONSE_TIMEOUT_MS = 300;
const WINDOW = 4;
/** Timer and scheduling slack on a shared 2-core machine. */
const SLACK_MS = 400;

const SUBMIT_SM_RESP = 0x80000004;
const GENERIC_NACK = 0x80000000;
const ESME_RINVCMDID = 0x03;
const ESME_RX_T_APPN = 0x64;
const ESME_RX_P_APPN = 0x65;

const escaped: unknown[] = [];
const onEscape = (error: unknown) => escaped.push(error);
before(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
after(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  assert.deepEqual(escaped, [], 'nothing reached the process');
});

/** Writes a PDU byte for byte, bypassing what `smpp` would normalise. */
function writeRaw(
  session: Session,
  commandId: number,
  status: number,
  seq: number,
  body: Buffer = Buffer.alloc(0),
): void {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(16 + body.length, 0);
  head.writeUInt32BE(commandId, 4);
  head.writeUInt32BE(status >>> 0, 8);
  head.writeUInt32BE(seq, 12);
  session.socket.write(Buffer.concat([head, body]));
}

function submitResp(session: Session, seq: number, messageId: Buffer | string, status = 0): void {
  const id = typeof messageId === 'string' ? Buffer.from(messageId, 'latin1') : messageId;
  writeRaw(session, SUBMIT_SM_RESP, status, seq, Buffer.concat([id, Buffer.from([0])]));
}

/** The text of a submit_sm the client sent: each test names its case in it. */
function textOf(pdu: PDU): string {
  const value = pdu.short_message as { message?: unknown } | Buffer;
  const message = Buffer.isBuffer(value) ? value : value.message;
  return Buffer.isBuffer(message) ? message.toString('latin1') : String(message);
}

interface Script {
  onBound?(session: Session, bind: number): void;
  onSubmit?(session: Session, pdu: PDU): void;
}

/** A carrier that binds anyone, answers unbind and enquire_link, and leaves the rest to `script`. */
async function hostileCarrier(t: Parameters<typeof startSmppServer>[0], script: Script) {
  const state = { binds: 0, sessions: [] as Session[] };
  const port = await startSmppServer(t, (session) => {
    state.sessions.push(session);
    session.on('bind_transceiver', (pdu: PDU) => {
      state.binds++;
      session.send(pdu.response({ system_id: 'HOSTILE' }));
      script.onBound?.(session, state.binds);
    });
    session.on('submit_sm', (pdu: PDU) => script.onSubmit?.(session, pdu));
    session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
    session.on('unbind', (pdu: PDU) => session.send(pdu.response()));
  });
  return { port, state };
}

function assertOutcome(outcome: unknown, what: string): asserts outcome is SubmitOutcome {
  const o = outcome as SubmitOutcome;
  assert.equal(typeof o, 'object', what);
  if (o.ok) {
    assert.ok(Array.isArray(o.carrierMessageIds), what);
    for (const id of o.carrierMessageIds) assert.equal(typeof id, 'string', what);
    return;
  }
  const transient = ['CARRIER_THROTTLED', 'CARRIER_UNAVAILABLE', 'CARRIER_TIMEOUT'];
  assert.equal(o.transient, transient.includes(o.code), `${what}: ${o.code}`);
  if (!o.transient) assert.equal(o.code, 'CARRIER_REJECTED', what);
  assert.equal(typeof o.detail, 'string', what);
}

/** Submits and fails unless it settles (never rejects) within the response timeout plus slack. */
async function settled(carrier: SmppCarrier, text: string): Promise<SubmitOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${text}: no outcome within the response timeout`)),
      RESPONSE_TIMEOUT_MS + SLACK_MS,
    );
  });
  try {
    const outcome = await Promise.race([
      carrier.submit(sms({ messageId: text, parts: [text] })),
      deadline,
    ]);
    assertOutcome(outcome, text);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

async function assertWindowFull(carrier: SmppCarrier): Promise<void> {
  await eventually(
    () => carrier.status().inFlight === 0 && carrier.status().queued === 0,
    RESPONSE_TIMEOUT_MS + SLACK_MS,
    'nothing outstanding',
  );
  assert.equal(carrier.availableWindow(), WINDOW, 'the window is back to full');
}

function hostileConfig() {
  return {
    window: WINDOW,
    responseTimeoutMs: RESPONSE_TIMEOUT_MS,
    segmentsPerSecond: 10_000,
    reconnect: { minMs: 20, maxMs: 50 },
  };
}

test('every odd submit_sm answer settles once with a SubmitOutcome', async (t) => {
  const late: Promise<void>[] = [];
  const { port } = await hostileCarrier(t, {
    onSubmit(session, pdu) {
      const seq = pdu.sequence_number;
      switch (textOf(pdu)) {
        case 'wrong-seq':
          return submitResp(session, seq + 1000, 'w1');
        case 'duplicate':
          submitResp(session, seq, 'D1');
          return submitResp(session, seq, 'D2');
        case 'duplicate-refusal':
          submitResp(session, seq, 'D3');
          return submitResp(session, seq, '', 0x58);
        case 'empty-id':
          return submitResp(session, seq, '');
        case 'long-id':
          return submitResp(session, seq, `00${'ABCDEF0123'.repeat(6)}999`);
        case 'non-ascii-id':
          return submitResp(session, seq, Buffer.from('idé✓', 'utf8'));
        case 'nul-id':
          return submitResp(session, seq, Buffer.from('AB\0CD\0EF', 'latin1'));
        case 'status-ff':
          return submitResp(session, seq, '', 0xff);
        case 'status-ffffffff':
          return submitResp(session, seq, '', 0xffffffff);
        case 'generic-nack':
          return writeRaw(session, GENERIC_NACK, ESME_RINVCMDID, seq);
        case 'generic-nack-rok':
          return writeRaw(session, GENERIC_NACK, 0, seq);
        case 'never-sent':
          submitResp(session, 0x7000_0000, 'ghost');
          writeRaw(session, GENERIC_NACK, ESME_RINVCMDID, 0);
          return submitResp(session, seq, 'REAL1');
        case 'late':
          late.push(sleep(RESPONSE_TIMEOUT_MS + 100).then(() => submitResp(session, seq, 'LATE1')));
          return;
        case 'silent':
          return;
        default:
          return submitResp(session, seq, 'OK1');
      }
    },
  });
  const carrier = await startCarrier(t, port, hostileConfig());
  const cases = [
    'wrong-seq',
    'duplicate',
    'duplicate-refusal',
    'empty-id',
    'long-id',
    'non-ascii-id',
    'nul-id',
    'status-ff',
    'status-ffffffff',
    'generic-nack',
    'generic-nack-rok',
    'never-sent',
    'late',
    'silent',
    'plain',
  ];
  const outcomes = await Promise.all(cases.map((text) => settled(carrier, text)));
  const by = Object.fromEntries(cases.map((text, i) => [text, outcomes[i]!]));
  const failure = (o: SubmitOutcome) => !o.ok && [o.transient, o.code, o.commandStatus];
  const ids = (o: SubmitOutcome) => o.ok && o.carrierMessageIds;

  assert.deepEqual(failure(by['wrong-seq']!), [true, 'CARRIER_TIMEOUT', undefined]);
  assert.deepEqual(ids(by.duplicate!), ['d1'], 'the first answer wins');
  assert.deepEqual(ids(by['duplicate-refusal']!), ['d3'], 'a second answer cannot undo it');
  assert.deepEqual(ids(by['empty-id']!), [''], 'accepted: a retry would send the SMS twice');
  assert.deepEqual(ids(by['long-id']!), [`${'abcdef0123'.repeat(6)}999`]);
  assert.equal(by['non-ascii-id']!.ok, true);
  assert.deepEqual(ids(by['nul-id']!), ['ab'], 'a C string ends at its NUL');
  assert.deepEqual(failure(by['status-ff']!), [false, 'CARRIER_REJECTED', 0xff]);
  assert.deepEqual(failure(by['status-ffffffff']!), [false, 'CARRIER_REJECTED', 0xffffffff]);
  assert.deepEqual(failure(by['generic-nack']!), [false, 'CARRIER_REJECTED', ESME_RINVCMDID]);
  assert.equal(by['generic-nack-rok']!.ok, false, 'a generic_nack never accepts a part');
  assert.deepEqual(ids(by['never-sent']!), ['real1']);
  assert.deepEqual(failure(by.late!), [true, 'CARRIER_TIMEOUT', undefined]);
  assert.deepEqual(failure(by.silent!), [true, 'CARRIER_TIMEOUT', undefined]);
  assert.deepEqual(ids(by.plain!), ['ok1']);

  await Promise.all(late);
  await sleep(50);
  const accepted = outcomes.filter((o) => o.ok).length;
  assert.equal(
    carrier.status().submitted,
    accepted,
    'stray, late and duplicate answers count no part',
  );
  assert.equal(carrier.status().throttled, 0, 'a refusal for a settled part pauses nothing');
  assert.equal(carrier.status().state, 'bound');
  await assertWindowFull(carrier);
});

test('receipts of every shape reach the handler, and are answered only once stored', async (t) => {
  const answers: { text: string; status: number; stored: number; refused: number }[] = [];
  const seen: DeliveryReceipt[] = [];
  let stored = 0;
  let refused = 0;
  const receipt = (text: string, fields: Record<string, unknown>) => ({
    text,
    pdu: {
      source_addr: '919876543210',
      destination_addr: 'ACMECO',
      esm_class: 0x04,
      data_coding: 0,
      ...fields,
    },
  });
  const long = 'id:2550 sub:001 dlvrd:001 stat:DELIVRD err:000 text:';
  const receipts = [
    receipt('missing-id', { short_message: Buffer.from('sub:001 dlvrd:001 stat:DELIVRD err:000') }),
    receipt('garbage', { short_message: Buffer.from([0xff, 0x00, 0x1b, 0x7f, 0x41]) }),
    receipt('tlv-only', { receipted_message_id: 'A1B2', message_state: 2 }),
    receipt('conflict', {
      receipted_message_id: 'tlv1',
      short_message: Buffer.from('id:text1 stat:UNDELIV err:001'),
    }),
    receipt('unknown-stat', { short_message: Buffer.from('id:77 stat:WHATEVER err:000') }),
    receipt('255-octets', { short_message: Buffer.from(long.padEnd(255, 'x')) }),
    receipt('payload', { message_payload: Buffer.from('id:mp1 stat:EXPIRED err:027') }),
    receipt('ucs2', {
      data_coding: 8,
      short_message: Buffer.from('id:ucs1 stat:UNDELIV err:001', 'utf16le').swap16(),
    }),
    receipt('never-submitted', { short_message: Buffer.from('id:deadbeef stat:DELIVRD') }),
    receipt('handler-refuses', { short_message: Buffer.from('id:refuse1 stat:DELIVRD') }),
    ...Array.from({ length: 100 }, () =>
      receipt('duplicate', { short_message: Buffer.from('id:dup1 stat:DELIVRD err:000') }),
    ),
  ];
  const { port, state } = await hostileCarrier(t, {});
  const carrier = await startCarrier(t, port, hostileConfig());
  carrier.onReceipt(async (r) => {
    // Answering before this resolves would show as an answer counted ahead of its storage.
    await sleep(2);
    if (r.carrierMessageId === 'refuse1') {
      refused++;
      throw new Error('store unavailable');
    }
    seen.push(r);
    stored++;
  });
  const session = state.sessions.at(-1)!;
  for (const { text, pdu } of receipts) {
    session.deliver_sm(pdu, (resp) =>
      answers.push({ text, status: resp.command_status, stored, refused }),
    );
  }
  await eventually(() => answers.length === receipts.length, 5000, 'every deliver_sm answered');

  const status = (text: string) => answers.filter((a) => a.text === text).map((a) => a.status);
  assert.deepEqual(status('missing-id'), [ESME_RX_P_APPN], 'unreadable: refused, never resent');
  assert.deepEqual(status('garbage'), [ESME_RX_P_APPN]);
  assert.deepEqual(status('handler-refuses'), [ESME_RX_T_APPN]);
  assert.equal(status('duplicate').filter((s) => s === 0).length, 100);
  for (const text of ['tlv-only', 'conflict', 'unknown-stat', '255-octets', 'payload', 'ucs2']) {
    assert.deepEqual(status(text), [0], text);
  }
  for (const answer of answers) {
    if (answer.status === 0) assert.ok(answer.stored > 0, `${answer.text} acknowledged unstored`);
  }
  assert.ok(
    answers.filter((a) => a.status === 0).every((a, i) => a.stored >= i + 1),
    'the n-th acknowledgement comes after the n-th stored receipt',
  );
  assert.equal(answers.find((a) => a.status === ESME_RX_T_APPN)!.refused, 1);

  const one = (id: string) => seen.find((r) => r.carrierMessageId === id);
  assert.deepEqual([one('a1b2')?.state, one('a1b2')?.final], ['DELIVERED', true]);
  assert.equal(one('text1'), undefined, 'the TLV wins over the text');
  assert.equal(one('tlv1')?.state, 'UNDELIVERABLE');
  assert.equal(one('77')?.state, 'UNKNOWN');
  assert.equal(one('2550')?.raw?.length, 255);
  assert.deepEqual([one('mp1')?.state, one('mp1')?.errorCode], ['EXPIRED', '027']);
  assert.deepEqual([one('ucs1')?.state, one('ucs1')?.errorCode], ['UNDELIVERABLE', '001']);
  assert.equal(one('deadbeef')?.state, 'DELIVERED', 'matching is the store’s job');
  assert.equal(seen.filter((r) => r.carrierMessageId === 'dup1').length, 100);
  assert.equal(stored, seen.length);
  assert.equal(carrier.status().state, 'bound');
  await assertWindowFull(carrier);
});

test('a drop before deliver_sm_resp: nothing acknowledged, resent after the rebind', async (t) => {
  const acks: { bind: number; status: number }[] = [];
  let handlerStarted = () => {};
  const started = new Promise<void>((resolve) => {
    handlerStarted = resolve;
  });
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const sendReceipt = (session: Session, bind: number) => {
    const pdu = { esm_class: 0x04, short_message: Buffer.from('id:drop1 stat:DELIVRD err:000') };
    session.deliver_sm(pdu, (resp) => acks.push({ bind, status: resp.command_status }));
  };
  const { port, state } = await hostileCarrier(t, {
    onBound(session, bind) {
      if (bind > 1) sendReceipt(session, bind);
    },
  });
  const carrier = await startCarrier(t, port, hostileConfig());
  let calls = 0;
  carrier.onReceipt(async () => {
    calls++;
    if (calls === 1) {
      handlerStarted();
      await gate;
    }
  });
  const first = state.sessions[0]!;
  sendReceipt(first, 1);
  await started;
  first.destroy();
  await eventually(() => state.binds === 2, 2000, 'a rebind');
  assert.equal(await carrier.waitUntilBound(1000), true);
  await eventually(() => acks.length === 1, 2000, 'the acknowledgement of the resent receipt');
  release();
  await sleep(50);
  assert.deepEqual(acks, [{ bind: 2, status: 0 }]);
  assert.equal(calls, 2);
  assert.equal((await settled(carrier, 'after-drop')).ok, false, 'this carrier answers nothing');
  await assertWindowFull(carrier);
});

test('unknown commands, outbind and 1,000 enquire_links leave the bind up', async (t) => {
  const nacks: PDU[] = [];
  const enquireResps: number[] = [];
  const { port, state } = await hostileCarrier(t, {
    onBound(session) {
      session.on('generic_nack', (pdu: PDU) => nacks.push(pdu));
      session.on('enquire_link_resp', (pdu: PDU) => enquireResps.push(pdu.sequence_number));
      writeRaw(session, 0x00000099, 0, 77, Buffer.from('junk'));
      writeRaw(session, 0x80000099, 0, 78);
      session.send(new smpp.PDU('outbind', { system_id: 'HOSTILE', password: 'x' }));
      for (let i = 0; i < 1000; i++) session.enquire_link({});
    },
    onSubmit(session, pdu) {
      submitResp(session, pdu.sequence_number, 'E1');
    },
  });
  const carrier = await startCarrier(t, port, hostileConfig());
  await eventually(() => enquireResps.length === 1000, 5000, '1,000 enquire_link_resp');
  assert.equal(new Set(enquireResps).size, 1000, 'one answer per enquire_link');
  assert.deepEqual(
    nacks.filter((n) => n.sequence_number === 77).map((n) => n.command_status),
    [ESME_RINVCMDID],
    'an unknown request is answered generic_nack',
  );
  assert.deepEqual([carrier.status().state, state.binds], ['bound', 1]);
  assert.equal((await settled(carrier, 'after-flood')).ok, true);
  await assertWindowFull(carrier);
});

test('an unbind in the middle of a window: parts fail at once, the client binds again', async (t) => {
  let pending = 0;
  const { port, state } = await hostileCarrier(t, {
    onSubmit(session, pdu) {
      if (state.binds > 1) return submitResp(session, pdu.sequence_number, 'AFTER1');
      if (++pending === WINDOW) session.unbind({});
    },
  });
  const carrier = await startCarrier(t, port, hostileConfig());
  const began = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: WINDOW + 2 }, (_, i) => settled(carrier, `window-${i}`)),
  );
  for (const outcome of outcomes) {
    assert.deepEqual(!outcome.ok && [outcome.transient, outcome.code], [
      true,
      'CARRIER_UNAVAILABLE',
    ]);
  }
  assert.ok(
    performance.now() - began < RESPONSE_TIMEOUT_MS,
    'settled by the unbind, not by timeouts',
  );
  assert.equal(await carrier.waitUntilBound(2000), true);
  assert.equal(state.binds, 2);
  assert.equal((await settled(carrier, 'after-unbind')).ok, true);
  await assertWindowFull(carrier);
});

test('an unbind after which the carrier keeps the socket half-open: the client still rebinds', async (t) => {
  const { port, state } = await hostileCarrier(t, {});
  const carrier = await startCarrier(t, port, { ...hostileConfig(), enquireLinkSeconds: 60 });
  const first = state.sessions[0]!;
  // The carrier neither closes nor answers the client's FIN.
  first.socket.allowHalfOpen = true;
  first.unbind({});
  await eventually(() => carrier.status().state !== 'bound', SLACK_MS, 'the unbind to be seen');
  assert.equal(carrier.availableWindow(), 0, 'no part is taken for a bind that is over');
  const outcome = await settled(carrier, 'while-unbound');
  assert.equal(!outcome.ok && outcome.code, 'CARRIER_UNAVAILABLE');
  // Within the 2 s the client gives the carrier to close, not the enquire_link period.
  await eventually(() => state.binds === 2, 2000 + SLACK_MS, 'a rebind');
  assert.equal(await carrier.waitUntilBound(1000), true);
});

test('bind_transceiver_resp and unbind in one segment: the client does not stay bound', async (t) => {
  let binds = 0;
  const port = await startSmppServer(t, (session) => {
    session.on('bind_transceiver', (pdu: PDU) => {
      binds++;
      const resp = pdu.response({ system_id: 'HOSTILE' });
      if (binds > 1) return session.send(resp);
      session.socket.allowHalfOpen = true;
      const unbind = new smpp.PDU('unbind', { sequence_number: 1 });
      session.socket.write(Buffer.concat([resp.toBuffer(), unbind.toBuffer()]));
    });
  });
  const carrier = await startCarrier(t, port, { ...hostileConfig(), enquireLinkSeconds: 60 });
  await eventually(() => binds === 2, SLACK_MS, 'a rebind without waiting for the close timer');
  assert.equal(await carrier.waitUntilBound(1000), true);
});
