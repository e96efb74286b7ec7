import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallerScript } from '../telephony/script.ts';
import { SimulatedCall } from '../telephony/simulator.ts';
import type { Telephony } from '../telephony/types.ts';
import { appletDefinition } from './registry.ts';
import { CallSession } from './runtime.ts';
import { simulateCall } from './simulate.ts';
import type { FlowDocument, FlowSmsRequest, SendSms } from './types.ts';

const CALLER = '+919876543210';
const EXOPHONE = '+914412345678';
const START = '2024-01-15T05:00:00.000Z';
const SMS = {
  senderId: 'ACMECO',
  dltTemplateId: '1107166000000000001',
  dltEntityId: '1101166000000000001',
};

function outbox() {
  const sent: { request: FlowSmsRequest; origin: Parameters<SendSms>[1] }[] = [];
  const sendSms: SendSms = (request, origin) => {
    sent.push({ request, origin });
    const sid = `sms${sent.length}`;
    return { ok: true, sid, stored: Promise.resolve({ ok: true, message: { sid } }) };
  };
  return { sent, sendSms };
}

const noFetch = async (): Promise<Response> => {
  throw new Error('no network in this test');
};

function run(
  flow: FlowDocument,
  script: Partial<CallerScript> = {},
  sendSms: SendSms = outbox().sendSms,
  maxSteps?: number,
) {
  return simulateCall({
    flow,
    script: { from: CALLER, to: EXOPHONE, startAt: START, ...script },
    sendSms,
    fetchGuarded: noFetch,
    flowId: 'flow1',
    flowVersion: 3,
    accountSid: 'acme',
    ...(maxSteps === undefined ? {} : { maxSteps }),
  });
}

const menuFlow: FlowDocument = {
  start: 'welcome',
  applets: {
    welcome: { type: 'greeting', config: { text: 'Welcome to Acme.' }, next: { default: 'menu' } },
    menu: {
      type: 'ivr',
      config: {
        mode: 'menu',
        prompt: { text: 'Press 1 for a callback.' },
        options: [{ digit: '1' }],
      },
      next: { '1': 'confirm', timeout: 'bye', invalid: 'bye' },
    },
    confirm: {
      type: 'sms',
      config: { ...SMS, to: { kind: 'caller' }, body: 'You pressed {Digits} on call {CallSid}.' },
      next: { default: 'bye' },
    },
    bye: { type: 'hangup', config: {} },
  },
};

describe('CallSession', () => {
  test('follows the exits from the start to a hangup and logs every step on the call clock', async () => {
    const box = outbox();
    const { callSid, done } = run(menuFlow, { digits: '1' }, box.sendSms);
    const log = await done;
    assert.match(callSid, /^[0-9A-HJKMNP-TV-Z]{16}$/);
    assert.deepEqual(
      log.steps.map((s) => [s.appletId, s.exit]),
      [
        ['welcome', 'default'],
        ['menu', '1'],
        ['confirm', 'default'],
        ['bye', null],
      ],
    );
    assert.equal(log.endReason, 'hangup-applet');
    assert.equal(log.startedAt, START);
    // "Welcome to Acme." is 16 characters: 2 s of speech; the menu prompt 2 s; the key 0.5 s later.
    assert.equal(log.steps[0]!.durationMs, 2000);
    assert.equal(log.steps[1]!.enteredAt, '2024-01-15T05:00:02.000Z');
    assert.equal(log.steps[1]!.durationMs, 2500);
    assert.equal(log.endedAt, '2024-01-15T05:00:04.500Z');
    assert.deepEqual(log.steps[1]!.detail, { attempts: 1, digits: '1' });
    assert.equal(box.sent.length, 1);
    assert.equal(box.sent[0]!.request.to, CALLER);
    assert.equal(box.sent[0]!.request.body, `You pressed 1 on call ${callSid}.`);
    assert.deepEqual(box.sent[0]!.origin, {
      kind: 'flow',
      callSid,
      flowId: 'flow1',
      appletId: 'confirm',
    });
    assert.deepEqual(log.sms, [
      { appletId: 'confirm', to: CALLER, body: box.sent[0]!.request.body, sid: 'sms1' },
    ]);
    assert.equal(log.flowVersion, 3);
    assert.equal(log.accountSid, 'acme');
  });

  test('the caller hanging up mid-applet stops the flow there', async () => {
    const box = outbox();
    const log = await run(menuFlow, { hangupAfterSeconds: 3 }, box.sendSms).done;
    assert.deepEqual(
      log.steps.map((s) => [s.appletId, s.exit, s.detail?.interrupted ?? false]),
      [
        ['welcome', 'default', false],
        ['menu', null, true],
      ],
    );
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(log.endedAt, '2024-01-15T05:00:03.000Z');
    assert.equal(box.sent.length, 0);
  });

  test('a caller who hangs up right after the SMS applet still gets the SMS; nothing after it runs', async () => {
    const box = outbox();
    const log = await run(menuFlow, { digits: '1', hangupAfterApplet: 'confirm' }, box.sendSms)
      .done;
    assert.deepEqual(
      log.steps.map((s) => s.appletId),
      ['welcome', 'menu', 'confirm'],
    );
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(box.sent.length, 1);
    assert.equal(log.sms[0]!.sid, 'sms1');
  });

  /** Greeting → Connect → (completed) SMS → Greeting → Hangup, (no answer) SMS → Hangup. */
  const agentFlow: FlowDocument = {
    start: 'welcome',
    applets: {
      welcome: {
        type: 'greeting',
        config: { text: 'Welcome to Acme.' },
        next: { default: 'agent' },
      },
      agent: {
        type: 'connect',
        config: { numbers: ['+919812345678'], ringSeconds: 20 },
        next: { completed: 'thanks', 'no-answer': 'missed', busy: 'missed', failed: 'missed' },
      },
      thanks: {
        type: 'sms',
        config: { ...SMS, to: { kind: 'caller' }, body: 'Thanks. Ref {CallSid}' },
        next: { default: 'goodbye' },
      },
      goodbye: { type: 'greeting', config: { text: 'Goodbye.' }, next: { default: 'bye' } },
      missed: {
        type: 'sms',
        config: { ...SMS, to: { kind: 'caller' }, body: 'We missed your call.' },
        next: { default: 'bye' },
      },
      bye: { type: 'hangup', config: {} },
    },
  };

  test('the caller ending the conversation: Connect completes, the SMS after it is sent, the call ends before the next greeting', async () => {
    const box = outbox();
    const { call, done } = run(
      agentFlow,
      {
        hangupAfterSeconds: 50,
        defaultAgent: { behaviour: 'answer', answerAfterSeconds: 3, talkSeconds: 300 },
      },
      box.sendSms,
    );
    const log = await done;
    assert.deepEqual(
      log.steps.map((s) => [s.appletId, s.exit]),
      [
        ['welcome', 'default'],
        ['agent', 'completed'],
        ['thanks', 'default'],
      ],
    );
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(log.endedAt, '2024-01-15T05:00:50.000Z');
    // 2 s of greeting, 3 s of ringing: 45 s of conversation.
    assert.equal(log.steps[1]!.detail!.talkSeconds, 45);
    assert.equal(log.steps[1]!.detail!.callerHungUp, true);
    assert.deepEqual(
      box.sent.map((m) => m.request.body),
      [`Thanks. Ref ${log.callSid}`],
    );
    assert.deepEqual(
      call.events.map((e) => e.kind),
      ['say', 'dial', 'caller-hangup'],
    );
  });

  test('the caller giving up while the agent rings: Connect takes no-answer and the missed-call SMS goes out', async () => {
    const box = outbox();
    const log = await run(
      agentFlow,
      { hangupAfterSeconds: 9, defaultAgent: { behaviour: 'no-answer' } },
      box.sendSms,
    ).done;
    assert.deepEqual(
      log.steps.map((s) => [s.appletId, s.exit]),
      [
        ['welcome', 'default'],
        ['agent', 'no-answer'],
        ['missed', 'default'],
      ],
    );
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(log.steps[1]!.durationMs, 7000);
    assert.deepEqual(
      box.sent.map((m) => m.request.body),
      ['We missed your call.'],
    );
  });

  test('a greeting cut short takes default; an IVR cut short ends the call, even when an SMS follows', async () => {
    const box = outbox();
    // The greeting's default leads to a Connect, which needs the caller: the call ends before it.
    const greeting = await run(agentFlow, { hangupAfterSeconds: 1 }, box.sendSms).done;
    assert.deepEqual(
      greeting.steps.map((s) => [s.appletId, s.exit, s.detail?.interrupted]),
      [['welcome', 'default', true]],
    );
    assert.equal(greeting.endReason, 'caller-hangup');
    // The menu's timeout exit leads to an SMS; a caller who left did not time out.
    const timeoutToSms: FlowDocument = {
      ...menuFlow,
      applets: {
        ...menuFlow.applets,
        menu: {
          ...menuFlow.applets.menu!,
          next: { '1': 'bye', timeout: 'confirm', invalid: 'bye' },
        },
      },
    };
    const ivr = await run(timeoutToSms, { hangupAfterSeconds: 6 }, box.sendSms).done;
    assert.deepEqual(
      ivr.steps.map((s) => [s.appletId, s.exit]),
      [
        ['welcome', 'default'],
        ['menu', null],
      ],
    );
    assert.equal(ivr.endReason, 'caller-hangup');
    assert.equal(box.sent.length, 0);
  });

  test('a loop ends at the step limit with FLOW_STEP_LIMIT', async () => {
    const loop: FlowDocument = {
      start: 'a',
      applets: {
        a: { type: 'greeting', config: { text: 'A' }, next: { default: 'b' } },
        b: { type: 'greeting', config: { text: 'B' }, next: { default: 'a' } },
      },
    };
    const log = await run(loop, {}, outbox().sendSms, 5).done;
    assert.equal(log.steps.length, 5);
    assert.equal(log.endReason, 'step-limit');
    assert.equal(log.endCode, 'FLOW_STEP_LIMIT');
    assert.equal(log.endedAt, '2024-01-15T05:00:05.000Z');
  });

  test('the default step limit is 100', async () => {
    const loop: FlowDocument = {
      start: 'a',
      applets: { a: { type: 'greeting', config: { text: 'A' }, next: { default: 'a' } } },
    };
    const log = await run(loop).done;
    assert.equal(log.steps.length, 100);
    assert.equal(log.endReason, 'step-limit');
  });

  test('an SMS that cannot be queued is logged with its code and the flow carries on', async () => {
    const refusing: SendSms = () => ({
      ok: false,
      code: 'INVALID_NUMBER',
      message: 'not a number',
    });
    const log = await run(menuFlow, { digits: '1' }, refusing).done;
    assert.equal(log.endReason, 'hangup-applet');
    assert.deepEqual(log.sms[0], {
      appletId: 'confirm',
      to: CALLER,
      body: log.sms[0]!.body,
      code: 'INVALID_NUMBER',
      message: 'not a number',
    });
  });

  test('sendSms throwing does not reach the call', async () => {
    const throwing: SendSms = () => {
      throw Object.assign(new Error('database is down'), { code: 'STORE_UNAVAILABLE' });
    };
    const log = await run(menuFlow, { digits: '1' }, throwing).done;
    assert.deepEqual(
      log.steps.map((s) => s.exit),
      ['default', '1', 'default', null],
    );
    assert.equal(log.sms[0]!.code, 'STORE_UNAVAILABLE');
  });

  test('a message handed over but not stored is logged with the reason, without its SmsSid', async () => {
    const failing: SendSms = () => ({
      ok: true,
      sid: 'lost1',
      stored: Promise.resolve({
        ok: false,
        code: 'STORE_UNAVAILABLE',
        message: 'The message could not be stored; try again.',
      }),
    });
    const rejecting: SendSms = () => ({
      ok: true,
      sid: 'lost2',
      stored: Promise.reject(Object.assign(new Error('disk full'), { code: 'STORE_UNAVAILABLE' })),
    });
    for (const sendSms of [failing, rejecting]) {
      const log = await run(menuFlow, { digits: '1' }, sendSms).done;
      assert.equal(log.endReason, 'hangup-applet', 'the flow carried on');
      const [entry] = log.sms;
      assert.equal(entry!.code, 'STORE_UNAVAILABLE');
      assert.equal(entry!.sid, undefined, 'a message not on disk has no SmsSid in the log');
      assert.equal(entry!.pending, undefined);
    }
  });

  test('a stalled outbox does not hold the call; the call ends once the message is stored', async () => {
    let release!: () => void;
    const stalled: SendSms = () => ({
      ok: true,
      sid: 'late1',
      stored: new Promise((resolve) => {
        release = () => resolve({ ok: true, message: { sid: 'late1' } });
      }),
    });
    const { session, done } = run(menuFlow, { digits: '1' }, stalled);
    let finished = false;
    void done.then(() => {
      finished = true;
    });
    const bye = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (session.log.steps.some((s) => s.appletId === 'bye')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    await bye;
    assert.equal(session.log.sms[0]!.sid, 'late1', 'the SmsSid is known at once');
    assert.equal(session.log.sms[0]!.pending, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(finished, false, 'the log is not final before the message is stored');
    release();
    const log = await done;
    assert.equal(log.sms[0]!.sid, 'late1');
    assert.equal(log.sms[0]!.pending, undefined);
  });

  test('an exit that is not connected ends the flow', async () => {
    const flow: FlowDocument = {
      start: 'hi',
      applets: { hi: { type: 'greeting', config: { text: 'Hi' } } },
    };
    const run1 = run(flow);
    const log = await run1.done;
    assert.equal(log.endReason, 'end-of-flow');
    assert.deepEqual(
      run1.call.events.map((e) => e.kind),
      ['say', 'hangup'],
    );
  });

  test('an unknown applet type or a bad config ends the call with an error code', async () => {
    const unknown = await run({ start: 'x', applets: { x: { type: 'voicemail', config: {} } } })
      .done;
    assert.equal(unknown.endReason, 'error');
    assert.equal(unknown.endCode, 'FLOW_UNKNOWN_APPLET_TYPE');
    const bad = await run({ start: 'x', applets: { x: { type: 'greeting', config: {} } } }).done;
    assert.equal(bad.endCode, 'FLOW_INVALID_CONFIG');
  });

  test('a failing telephony operation ends the call as an error, logged on its step', async () => {
    const broken: Telephony = {
      now: () => new Date(START),
      hangupSignal: new AbortController().signal,
      say: async () => {
        throw new Error('media server gone');
      },
      play: async () => {},
      collectDigits: async () => ({ digits: '', endedBy: 'timeout' }),
      dial: async () => ({ outcome: 'failed', attempts: [] }),
      hangup: async () => {},
    };
    const session = new CallSession({
      flow: menuFlow,
      flowId: 'f',
      flowVersion: 1,
      accountSid: 'acme',
      from: CALLER,
      to: EXOPHONE,
      telephony: broken,
      sendSms: outbox().sendSms,
      fetchGuarded: noFetch,
    });
    const log = await session.run();
    assert.equal(log.endReason, 'error');
    assert.equal(log.endCode, 'INTERNAL_ERROR');
    assert.equal(log.endMessage, 'media server gone');
    assert.deepEqual(log.steps[0]!.detail, { error: 'INTERNAL_ERROR' });
  });

  test('onStepEntered sees each step as it starts; resolveApplet can substitute a variant', async () => {
    const entered: string[] = [];
    const sms = appletDefinition('sms')!;
    const session = new CallSession({
      flow: menuFlow,
      flowId: 'f',
      flowVersion: 1,
      accountSid: 'acme',
      from: CALLER,
      to: EXOPHONE,
      telephony: new SimulatedCall({ from: CALLER, to: EXOPHONE, startAt: START, digits: '1' }),
      sendSms: outbox().sendSms,
      fetchGuarded: noFetch,
      onStepEntered: (step, log) => {
        assert.equal(step.leftAt, null, 'not run yet');
        assert.equal(log.steps.at(-1), step);
        entered.push(step.appletId);
      },
      resolveApplet: (type) =>
        type === 'sms'
          ? {
              ...sms,
              run: async (ctx) => {
                ctx.detail({ variant: true });
                return 'default';
              },
            }
          : appletDefinition(type),
    });
    const log = await session.run();
    assert.deepEqual(entered, ['welcome', 'menu', 'confirm', 'bye']);
    assert.deepEqual(log.steps[2]!.detail, { variant: true });
    assert.deepEqual(log.sms, []);
  });

  test('run() twice returns the same call', async () => {
    const { session, done } = run(menuFlow, { digits: '1' });
    assert.equal(session.run(), done);
    await done;
  });
});
