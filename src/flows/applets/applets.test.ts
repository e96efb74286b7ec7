import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CallflowError } from '../../errors.ts';
import type { CallerScript } from '../../telephony/script.ts';
import { APPLETS } from '../registry.ts';
import { simulateCall } from '../simulate.ts';
import type { FetchGuarded, FlowApplet, FlowDocument, FlowSmsRequest, SendSms } from '../types.ts';
import { exotelTime, fieldsOf } from './passthru.ts';

const CALLER = '+919876543210';
const EXOPHONE = '+914412345678';
const START = '2024-01-15T05:00:00.000Z';
const SMS = {
  senderId: 'ACMECO',
  dltTemplateId: '1107166000000000001',
  dltEntityId: '1101166000000000001',
};

function outbox() {
  const sent: FlowSmsRequest[] = [];
  const sendSms: SendSms = (request) => {
    sent.push(request);
    const sid = `sms${sent.length}`;
    return { ok: true, sid, stored: Promise.resolve({ ok: true, message: { sid } }) };
  };
  return { sent, sendSms };
}

/** Loopback is allowed here, as a deployment with callbacks.allowPrivateAddresses would. */
const loopbackFetch: FetchGuarded = (url, init) => fetch(url, init);

/** One applet under test, each exit leading to its own hangup so the log shows the exit taken. */
function single(
  applet: FlowApplet,
  exits: string[],
  extra: Record<string, FlowApplet> = {},
): FlowDocument {
  const applets: Record<string, FlowApplet> = { ...extra, it: { ...applet, next: {} } };
  exits.forEach((exit, i) => {
    applets.it!.next![exit] = `end${i}`;
    applets[`end${i}`] = { type: 'hangup' };
  });
  return { start: Object.keys(extra)[0] ?? 'it', applets };
}

function run(
  flow: FlowDocument,
  script: Partial<CallerScript> = {},
  opts: { sendSms?: SendSms; fetchGuarded?: FetchGuarded } = {},
) {
  return simulateCall({
    flow,
    script: { from: CALLER, to: EXOPHONE, startAt: START, ...script },
    sendSms: opts.sendSms ?? outbox().sendSms,
    fetchGuarded: opts.fetchGuarded ?? loopbackFetch,
    flowId: 'flow1',
  });
}

const stepOf = async (flow: FlowDocument, script: Partial<CallerScript> = {}, opts = {}) => {
  const r = run(flow, script, opts);
  const log = await r.done;
  return { step: log.steps.find((s) => s.appletId === 'it')!, log, events: r.call.events };
};

describe('the registry', () => {
  test('lists each applet type once, with a title, a version and an object schema', () => {
    const types = APPLETS.map((a) => a.type);
    assert.deepEqual(types, ['greeting', 'ivr', 'connect', 'passthru', 'sms', 'hangup']);
    for (const a of APPLETS) {
      assert.equal(a.version, 1);
      assert.ok(a.title.length > 0 && a.description.length > 0);
      assert.equal(typeof a.configSchema, 'object');
    }
  });

  test('each applet declares whether it needs the caller on the line', () => {
    assert.deepEqual(Object.fromEntries(APPLETS.map((a) => [a.type, a.needsCaller])), {
      greeting: true,
      ivr: true,
      connect: true,
      passthru: false,
      sms: false,
      hangup: true,
    });
  });
});

describe('greeting', () => {
  test('says its text, or plays its audio, then takes default', async () => {
    const said = await stepOf(
      single({ type: 'greeting', config: { text: 'Welcome to Acme' } }, ['default']),
    );
    assert.equal(said.step.exit, 'default');
    assert.deepEqual(said.events[0], { atMs: 0, kind: 'say', detail: { text: 'Welcome to Acme' } });
    const played = await stepOf(
      single({ type: 'greeting', config: { audioUrl: 'https://cdn.example.com/hi.mp3' } }, [
        'default',
      ]),
      {
        audioSeconds: 7,
      },
    );
    assert.equal(played.step.durationMs, 7000);
    assert.equal(played.events[0]!.kind, 'play');
  });
});

describe('ivr', () => {
  const menu = (extra: object = {}) =>
    single(
      {
        type: 'ivr',
        config: {
          mode: 'menu',
          prompt: { text: 'Sales 1, support 2' },
          options: [{ digit: '1' }, { digit: '2', label: 'Support' }],
          ...extra,
        },
      },
      ['1', '2', 'timeout', 'invalid'],
    );

  test('menu exits are its keys, then timeout and invalid', () => {
    const ivr = APPLETS[1];
    assert.deepEqual(
      ivr.exits({ mode: 'menu', prompt: { text: 'x' }, options: [{ digit: '3' }, { digit: '#' }] }),
      ['3', '#', 'timeout', 'invalid'],
    );
    assert.deepEqual(ivr.exits({ mode: 'gather', prompt: { text: 'x' } }), ['default', 'timeout']);
  });

  test('menu: the key pressed chooses the exit and is kept as Digits', async () => {
    const { step } = await stepOf(menu(), { digits: '2' });
    assert.equal(step.exit, '2');
    assert.deepEqual(step.detail, { attempts: 1, digits: '2' });
  });

  test('menu: an invalid key replays the prompt; a valid one on the retry wins', async () => {
    const { step, events } = await stepOf(menu(), { digits: '91' });
    assert.equal(step.exit, '1');
    assert.equal(step.detail!.attempts, 2);
    assert.equal(events.filter((e) => e.kind === 'say').length, 2);
  });

  test('menu: silence through every retry takes timeout; a wrong key last takes invalid', async () => {
    const silent = await stepOf(menu({ retries: 1, timeoutSeconds: 4 }));
    assert.equal(silent.step.exit, 'timeout');
    // Two rounds of a 2-second prompt and a 4-second wait.
    assert.equal(silent.step.durationMs, 12_000);
    const wrong = await stepOf(menu({ retries: 0 }), { digits: '7' });
    assert.equal(wrong.step.exit, 'invalid');
  });

  test('gather: digits up to the finish key, kept as Digits', async () => {
    const gather = single(
      { type: 'ivr', config: { mode: 'gather', prompt: { text: 'Enter your PIN' }, maxDigits: 6 } },
      ['default', 'timeout'],
    );
    const byKey = await stepOf(gather, { digits: '4321#' });
    assert.equal(byKey.step.exit, 'default');
    assert.deepEqual(byKey.step.detail, { attempts: 1, digits: '4321', endedBy: 'finish-key' });
    const byMax = await stepOf(gather, { digits: '12345678' });
    assert.deepEqual(byMax.step.detail, { attempts: 1, digits: '123456', endedBy: 'max-digits' });
    const byTimeout = await stepOf(gather, { digits: [{ at: 1, keys: '55' }] });
    assert.deepEqual(byTimeout.step.detail, { attempts: 1, digits: '55', endedBy: 'timeout' });
    const none = await stepOf(gather);
    assert.equal(none.step.exit, 'timeout');
    assert.equal(none.step.detail!.attempts, 3);
  });
});

describe('connect', () => {
  const connect = (config: object) =>
    single(
      {
        type: 'connect',
        config: { numbers: ['+919800000001', '+919800000002'], ringSeconds: 20, ...config },
      },
      ['completed', 'no-answer', 'busy', 'failed'],
    );

  test('completed after the conversation, logging who answered and how long they talked', async () => {
    const { step } = await stepOf(connect({}), {
      agents: {
        '+919800000001': { behaviour: 'no-answer' },
        '+919800000002': { behaviour: 'answer', answerAfterSeconds: 5, talkSeconds: 42 },
      },
    });
    assert.equal(step.exit, 'completed');
    assert.equal(step.detail!.answeredBy, '+919800000002');
    assert.equal(step.detail!.talkSeconds, 42);
    assert.equal(step.durationMs, (20 + 5 + 42) * 1000);
  });

  test('no-answer, busy and failed exits', async () => {
    for (const [behaviour, exit] of [
      ['no-answer', 'no-answer'],
      ['busy', 'busy'],
      ['fail', 'failed'],
    ] as const) {
      const { step } = await stepOf(connect({ mode: 'simultaneous' }), {
        defaultAgent: { behaviour },
      });
      assert.equal(step.exit, exit, behaviour);
      assert.equal(step.detail!.answeredBy, null);
    }
  });
});

describe('connect: the caller hangs up', () => {
  const connect = () =>
    single({ type: 'connect', config: { numbers: ['+919800000001'], ringSeconds: 20 } }, [
      'completed',
      'no-answer',
      'busy',
      'failed',
    ]);

  test('during the conversation: completed, with the talk time up to the hang-up', async () => {
    const { step, log } = await stepOf(connect(), {
      hangupAfterSeconds: 40,
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 5, talkSeconds: 120 },
    });
    assert.equal(step.exit, 'completed');
    assert.equal(step.detail!.answeredBy, '+919800000001');
    assert.equal(step.detail!.talkSeconds, 35);
    assert.equal(step.detail!.callerHungUp, true);
    assert.equal(step.detail!.interrupted, undefined);
    assert.equal(step.durationMs, 40_000);
    // The hangup applet needs the caller: the call ends before it.
    assert.deepEqual(
      log.steps.map((s) => s.appletId),
      ['it'],
    );
    assert.equal(log.endReason, 'caller-hangup');
  });

  test('while the agent rings: no-answer, logged as the caller hanging up', async () => {
    const { step } = await stepOf(connect(), {
      hangupAfterSeconds: 8,
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 15 },
    });
    assert.equal(step.exit, 'no-answer');
    assert.equal(step.detail!.callerHungUp, true);
    assert.equal(step.detail!.answeredBy, null);
    assert.deepEqual(step.detail!.attempts, [
      { number: '+919800000001', outcome: 'canceled', ringSeconds: 8 },
    ]);
  });
});

describe('passthru', () => {
  let server: Server;
  let base: string;
  const requests: {
    method: string;
    url: URL;
    body: string;
    headers: IncomingMessage['headers'];
  }[] = [];
  let respond: (url: URL) => { status: number; body?: string; delayMs?: number; type?: string } =
    () => ({ status: 200 });

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const url = new URL(req.url!, 'http://x');
        requests.push({ method: req.method!, url, body, headers: req.headers });
        const answer = respond(url);
        setTimeout(() => {
          res.writeHead(answer.status, {
            'content-type': answer.type ?? 'application/json',
            ...(answer.status === 302 ? { location: '/elsewhere' } : {}),
          });
          res.end(answer.body ?? '');
        }, answer.delayMs ?? 0);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const passthru = (
    config: object,
    exits = ['success', 'failure'],
    extra: Record<string, FlowApplet> = {},
  ) =>
    single(
      { type: 'passthru', config: { url: `${base}/hook?account=acme`, ...config } },
      exits,
      extra,
    );

  test("GET with the call's parameters under Exotel's names; a 2xx takes success", async () => {
    requests.length = 0;
    respond = () => ({ status: 200, body: '{"ok":true}' });
    const flow = passthru({ customField: 'lead-42' }, ['success', 'failure'], {
      menu: {
        type: 'ivr',
        config: { mode: 'gather', prompt: { text: 'Enter the code' } },
        next: { default: 'agent', timeout: 'agent' },
      },
      agent: {
        type: 'connect',
        config: { numbers: ['+919800000001'] },
        next: { completed: 'it', 'no-answer': 'it', busy: 'it', failed: 'it' },
      },
    });
    const { step, log } = await stepOf(flow, {
      digits: '42#',
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 2, talkSeconds: 61 },
    });
    assert.equal(step.exit, 'success');
    assert.equal(requests.length, 1);
    const { method, url } = requests[0]!;
    assert.equal(method, 'GET');
    assert.equal(url.pathname, '/hook');
    const q = Object.fromEntries(url.searchParams);
    assert.deepEqual(q, {
      account: 'acme',
      CallSid: log.callSid,
      CallFrom: CALLER,
      CallTo: EXOPHONE,
      From: CALLER,
      To: EXOPHONE,
      Direction: 'incoming',
      StartTime: '2024-01-15 10:30:00',
      // 1 s prompt, 1.5 s of keys, 2 s ringing, 61 s talk.
      CurrentTime: '2024-01-15 10:31:05',
      DialCallDuration: '61',
      DialCallStatus: 'completed',
      DialWhomNumber: '+919800000001',
      CallType: 'completed',
      digits: '42',
      RecordingUrl: '',
      flow_id: 'flow1',
      CustomField: 'lead-42',
    });
    assert.equal(step.detail!.status, 200);
  });

  test('after the caller hung up it still runs, waits for its answer and reports CallType', async () => {
    const flow = (next: string): FlowDocument => ({
      start: 'agent',
      applets: {
        agent: {
          type: 'connect',
          config: { numbers: ['+919800000001'], ringSeconds: 20 },
          next: { completed: next, 'no-answer': next, busy: next, failed: next },
        },
        it: {
          type: 'passthru',
          config: { url: `${base}/hook` },
          next: { success: 'ok', failure: 'ko' },
        },
        ok: { type: 'sms', config: { ...SMS, to: { kind: 'caller' }, body: 'ok' } },
        ko: { type: 'hangup' },
      },
    });
    const cases = [
      // Rang 6 s, then the caller gave up: Exotel's client-hangup.
      [
        { hangupAfterSeconds: 6, defaultAgent: { behaviour: 'no-answer' } },
        'client-hangup',
        '0',
        'caller-hangup',
      ],
      // Talked 3 s of 30, then the caller hung up: the conversation happened.
      [
        {
          hangupAfterSeconds: 5,
          defaultAgent: { behaviour: 'answer', answerAfterSeconds: 2, talkSeconds: 30 },
        },
        'completed',
        '3',
        'caller-hangup',
      ],
      // Nobody answered, the caller still on the line: incomplete.
      [{ defaultAgent: { behaviour: 'no-answer' } }, 'incomplete', '0', 'end-of-flow'],
    ] as const;
    for (const [script, callType, duration, endReason] of cases) {
      requests.length = 0;
      // A slow answer: the hang-up is long past, and the request is not cut short.
      respond = () => ({ status: 200, body: '{}', delayMs: 50 });
      const box = outbox();
      const { step, log } = await stepOf(flow('it'), script, { sendSms: box.sendSms });
      assert.equal(requests.length, 1, callType);
      assert.equal(requests[0]!.url.searchParams.get('CallType'), callType);
      assert.equal(requests[0]!.url.searchParams.get('DialCallDuration'), duration);
      assert.equal(step.exit, 'success', callType);
      assert.equal(step.detail!.status, 200);
      assert.equal(box.sent.length, 1, 'the SMS after it ran too');
      // The SMS has no next applet: after a hang-up the end of the flow is that hang-up.
      assert.equal(log.endReason, endReason, callType);
    }
  });

  test('POST sends the parameters as a form', async () => {
    requests.length = 0;
    respond = () => ({ status: 204 });
    const { step } = await stepOf(passthru({ method: 'POST' }));
    assert.equal(step.exit, 'success');
    assert.equal(requests[0]!.method, 'POST');
    assert.equal(
      requests[0]!.headers['content-type'],
      'application/x-www-form-urlencoded;charset=UTF-8',
    );
    const form = new URLSearchParams(requests[0]!.body);
    assert.equal(form.get('CallFrom'), CALLER);
    assert.equal(form.get('CallType'), 'call-attempt');
    assert.equal(requests[0]!.url.search, '?account=acme');
  });

  test('non-2xx, a redirect, a timeout and a refused URL take failure', async () => {
    respond = () => ({ status: 500 });
    assert.equal((await stepOf(passthru({}))).step.exit, 'failure');
    respond = () => ({ status: 302 });
    const redirected = await stepOf(passthru({}));
    assert.equal(redirected.step.exit, 'failure');
    assert.equal(redirected.step.detail!.status, 302);
    respond = () => ({ status: 200, delayMs: 1000 });
    const slow = await stepOf(passthru({ timeoutSeconds: 0.2 }));
    assert.equal(slow.step.exit, 'failure');
    assert.equal(slow.step.detail!.error, 'timeout');
    const refusing: FetchGuarded = async () => {
      throw new CallflowError('CALLBACK_URL_BLOCKED');
    };
    const blocked = await stepOf(passthru({}), {}, { fetchGuarded: refusing });
    assert.equal(blocked.step.exit, 'failure');
    assert.equal(blocked.step.detail!.error, 'CALLBACK_URL_BLOCKED');
  });

  test('the deployment default timeout applies when the config sets none', async () => {
    respond = () => ({ status: 200, delayMs: 1000 });
    const r = simulateCall({
      flow: passthru({}),
      script: { from: CALLER, to: EXOPHONE },
      sendSms: outbox().sendSms,
      fetchGuarded: loopbackFetch,
      passthruTimeoutMs: 150,
    });
    const log = await r.done;
    assert.equal(log.steps[0]!.detail!.error, 'timeout');
  });

  test("a JSON answer's fields become variables for later applets, including the recipient", async () => {
    respond = () => ({
      status: 200,
      body: JSON.stringify({
        phone: '+919811112222',
        slot: { day: 'Monday', time: '10:30' },
        seats: 2,
        'bad key': 'x',
      }),
    });
    const box = outbox();
    const flow: FlowDocument = {
      start: 'book',
      applets: {
        book: {
          type: 'passthru',
          config: { url: `${base}/book` },
          next: { success: 'confirm', failure: 'bye' },
        },
        confirm: {
          type: 'sms',
          config: {
            ...SMS,
            to: { kind: 'dynamic', from: 'book.phone' },
            body: 'Confirmed for {book.slot.day} {book.slot.time}, {book.seats} seats.',
          },
          next: { default: 'bye' },
        },
        bye: { type: 'hangup' },
      },
    };
    const log = await run(flow, {}, { sendSms: box.sendSms }).done;
    assert.equal(log.steps[0]!.detail!.fields !== undefined, true);
    assert.deepEqual(box.sent[0]!.to, '+919811112222');
    assert.equal(box.sent[0]!.body, 'Confirmed for Monday 10:30, 2 seats.');
  });

  test('async mode goes on at once; the answer is logged when it comes', async () => {
    requests.length = 0;
    respond = () => ({ status: 200, delayMs: 150 });
    const r = run(passthru({ mode: 'async' }, ['default']));
    const log = await r.done;
    assert.equal(log.steps[0]!.exit, 'default');
    assert.equal(log.steps[1]!.type, 'hangup');
    // The hangup applet ran before the answer; the log waited for it.
    assert.equal((log.steps[0]!.detail!.async as { status: number }).status, 200);
    assert.equal(requests.length, 1);
  });

  test('fieldsOf and exotelTime', () => {
    assert.deepEqual(fieldsOf('{"a":{"b":[1,{"c":null}]},"d":false}'), {
      'a.b.0': '1',
      d: 'false',
    });
    assert.equal(fieldsOf('[1,2]'), undefined);
    assert.equal(fieldsOf('not json'), undefined);
    assert.equal(fieldsOf('{broken'), undefined);
    assert.equal(
      exotelTime(new Date('2024-01-15T18:45:09Z'), 'Asia/Kolkata'),
      '2024-01-16 00:15:09',
    );
  });
});

describe('sms', () => {
  const sms = (config: object) =>
    single(
      {
        type: 'sms',
        config: {
          ...SMS,
          to: { kind: 'caller' },
          body: 'Call {CallSid} from {CallFrom} to {CallTo} at {DateTime}',
          ...config,
        },
      },
      ['default'],
    );

  test('renders the body and sends to the caller by default', async () => {
    const box = outbox();
    const { log } = await stepOf(sms({}), {}, { sendSms: box.sendSms });
    assert.deepEqual(box.sent[0], {
      ...SMS,
      to: CALLER,
      body: `Call ${log.callSid} from ${CALLER} to ${EXOPHONE} at 2024-01-15 10:30`,
      smsType: 'transactional',
    });
    assert.deepEqual(log.sms, [
      { appletId: 'it', to: CALLER, body: box.sent[0]!.body, sid: 'sms1' },
    ]);
  });

  test('recipients: the ExoPhone called, a custom number; with the type, callback and custom field', async () => {
    const box = outbox();
    await stepOf(sms({ to: { kind: 'called' } }), {}, { sendSms: box.sendSms });
    await stepOf(
      sms({
        to: { kind: 'custom', number: '+919822223333' },
        smsType: 'service',
        statusCallback: 'https://example.com/cb',
        customField: 'x1',
      }),
      {},
      { sendSms: box.sendSms },
    );
    assert.equal(box.sent[0]!.to, EXOPHONE);
    assert.equal(box.sent[1]!.to, '+919822223333');
    assert.equal(box.sent[1]!.smsType, 'service');
    assert.equal(box.sent[1]!.statusCallback, 'https://example.com/cb');
    assert.equal(box.sent[1]!.customField, 'x1');
  });

  test('a dynamic recipient with no value is logged as INVALID_NUMBER and the flow goes on', async () => {
    const box = outbox();
    const { step, log } = await stepOf(
      sms({ to: { kind: 'dynamic', from: 'crm.phone' } }),
      {},
      { sendSms: box.sendSms },
    );
    assert.equal(step.exit, 'default');
    assert.equal(box.sent.length, 0);
    assert.deepEqual(log.sms, [
      { appletId: 'it', code: 'INVALID_NUMBER', message: 'no number in crm.phone' },
    ]);
  });
});

describe('hangup', () => {
  test('ends the call', async () => {
    const r = run({ start: 'bye', applets: { bye: { type: 'hangup' } } });
    const log = await r.done;
    assert.equal(log.endReason, 'hangup-applet');
    assert.deepEqual(
      r.call.events.map((e) => e.kind),
      ['hangup'],
    );
  });
});
