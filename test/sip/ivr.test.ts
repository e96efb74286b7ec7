/**
 * IVRs on real calls: keys by RFC 4733 (sipp's play_dtmf, through rtpengine) and by SIP INFO,
 * pressed while the prompt plays (barge-in); and the caller's BYE during a greeting and during an
 * IVR, compared with the simulator's hang-up on the same flow at the same point.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FlowDocument } from '../../src/flows/types.ts';
import {
  ANSWERED,
  byeMessage,
  type CallflowUnderTest,
  eventually,
  infoMessage,
  inviteMessage,
  RECEIVE_BYE,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

const GATHER_NUMBER = '+918045678911';
const LEAD_NUMBER = '+918045678912';

const PROMPT =
  'Please enter your order number, then press the hash key. Your order number is printed on your receipt, in the top right corner.';

const sms = (templateId: string, body: string, next = 'bye') => ({
  type: 'sms',
  config: {
    to: { kind: 'caller' },
    senderId: 'ACMECO',
    body,
    dltTemplateId: templateId,
    dltEntityId: '1101166000000000001',
    smsType: 'transactional',
  },
  next: { default: next },
});

const GATHER_FLOW: FlowDocument = {
  name: 'Order lookup',
  start: 'order',
  applets: {
    order: {
      type: 'ivr',
      config: {
        mode: 'gather',
        prompt: { text: PROMPT },
        maxDigits: 8,
        finishOnKey: '#',
        timeoutSeconds: 5,
        retries: 0,
      },
      next: { default: 'reference', timeout: 'bye' },
    },
    reference: sms(
      '1107166000000000002',
      'Thanks for contacting Acme Corp. Your reference number is {Digits}.',
    ),
    bye: { type: 'hangup', config: {} },
  },
} as FlowDocument;

/** The guide's lead capture: a short greeting, then the offer by SMS, whether or not the caller stays. */
const LEAD_FLOW: FlowDocument = {
  name: 'Lead capture',
  start: 'ring',
  applets: {
    ring: {
      type: 'greeting',
      config: {
        text: 'Thanks for your interest in Acme. We are sending you our offer by SMS right now.',
        voice: 'hi',
      },
      next: { default: 'offer' },
    },
    offer: sms(
      '1107166000000000002',
      'Thanks for contacting Acme Corp. Your reference number is {CallSid}.',
    ),
    bye: { type: 'hangup', config: {} },
  },
} as FlowDocument;

let callflow: CallflowUnderTest;
let accountSid: string;

before(async () => {
  callflow = await startCallflow();
  const flows = callflow.server.flows!;
  accountSid = callflow.server.demo!.accountSid;
  for (const [number, document] of [
    [GATHER_NUMBER, GATHER_FLOW],
    [LEAD_NUMBER, LEAD_FLOW],
  ] as const) {
    const flow = await flows.createFlow(accountSid, { document });
    await flows.publish(accountSid, flow.id);
    await flows.assignNumber(accountSid, number, flow.id);
  }
});
after(() => callflow?.stop());

type Step = {
  appletId: string;
  exit: string | null;
  durationMs: number;
  detail?: Record<string, unknown>;
};
type Log = { steps: Step[]; endReason: string; sms: { to?: string; code?: string }[] };

async function callTo(number: string, from: string) {
  const flows = callflow.server.flows!;
  return eventually(
    async () => {
      const page = await flows.listCalls(accountSid, {}, null, 50);
      const call = page.items.find(
        (c) => c.to === number && c.from === from && c.status === 'completed',
      );
      return call;
    },
    20_000,
    `the call to ${number} from ${from} to end`,
  );
}

async function smsTo(destination: string) {
  return eventually(
    () => callflow.server.simulator!.received().find((s) => s.destinationAddr === destination),
    15_000,
    `an SMS to ${destination}`,
  );
}

async function nothingLeft() {
  const { sip } = callflow.server;
  await eventually(
    async () => (await sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
  await eventually(
    () => sip!.calls.stats().timers === 0 && sip!.calls.stats().calls === 0,
    5000,
    'no call or timer',
  );
}

describe('IVR on a real call', () => {
  it('takes RFC 4733 keys pressed during the prompt (barge-in) into {Digits}', async () => {
    const body = `${inviteMessage()}
${ANSWERED}
  <pause milliseconds="1000"/>
  <nop><action><exec play_dtmf="4821#"/></action></nop>
${RECEIVE_BYE}`;
    const result = await runSipp({
      scenario: scenario('rfc4733 gather', body),
      sipPort: callflow.sipPort,
      service: GATHER_NUMBER,
      fields: ['9876500001'],
    });
    assert.equal(result.code, 0, result.output);
    const call = await callTo(GATHER_NUMBER, '+919876500001');
    const log = call.log as Log;
    const order = log.steps[0]!;
    assert.equal(order.exit, 'default');
    assert.equal(order.detail!.digits, '4821');
    assert.equal(order.detail!.endedBy, 'finish-key');
    // The prompt is about 8 s; the keys stopped it.
    assert.ok(order.durationMs < 6000, `the IVR step took ${order.durationMs} ms`);
    const sent = await smsTo('919876500001');
    assert.equal(sent.text, 'Thanks for contacting Acme Corp. Your reference number is 4821.');
    await nothingLeft();
  });

  it('takes SIP INFO keys into {Digits}', async () => {
    const body = `${inviteMessage()}
${ANSWERED}
  <pause milliseconds="500"/>
${infoMessage('7', 2)}
${infoMessage('3', 3)}
${infoMessage('9', 4)}
${infoMessage('#', 5)}
${RECEIVE_BYE}`;
    const result = await runSipp({
      scenario: scenario('info gather', body),
      sipPort: callflow.sipPort,
      service: GATHER_NUMBER,
      fields: ['9876500002'],
    });
    assert.equal(result.code, 0, result.output);
    const call = await callTo(GATHER_NUMBER, '+919876500002');
    const order = (call.log as Log).steps[0]!;
    assert.equal(order.exit, 'default');
    assert.equal(order.detail!.digits, '739');
    const sent = await smsTo('919876500002');
    assert.equal(sent.text, 'Thanks for contacting Acme Corp. Your reference number is 739.');
    await nothingLeft();
  });
});

describe('the caller hangs up', () => {
  /** The same flow, simulated, with the caller hanging up at the same point. */
  async function simulated(number: string, from: string, hangupAfterSeconds: number): Promise<Log> {
    const started = await callflow.server.flows!.startCall(accountSid, {
      from,
      to: number,
      hangupAfterSeconds,
    });
    return (await started.done) as unknown as Log;
  }
  const shape = (log: Log) => ({
    steps: log.steps.map((s) => [s.appletId, s.exit, s.detail?.interrupted === true]),
    endReason: log.endReason,
    sms: log.sms.map((s) => s.code ?? 'sent'),
  });

  it('during the greeting: the SMS after it still goes out, as with the simulator', async () => {
    const body = `${inviteMessage()}
${ANSWERED}
  <pause milliseconds="1500"/>
${byeMessage()}`;
    const result = await runSipp({
      scenario: scenario('bye during greeting', body),
      sipPort: callflow.sipPort,
      service: LEAD_NUMBER,
      fields: ['9876500003'],
    });
    assert.equal(result.code, 0, result.output);
    const call = await callTo(LEAD_NUMBER, '+919876500003');
    const real = call.log as Log;
    assert.deepEqual(shape(real), shape(await simulated(LEAD_NUMBER, '+919876500004', 1)));
    assert.deepEqual(shape(real).steps, [
      ['ring', 'default', true],
      ['offer', 'default', false],
    ]);
    assert.equal(real.endReason, 'caller-hangup');
    await smsTo('919876500003');
    await nothingLeft();
  });

  it('during the IVR prompt: the call ends as with the simulator', async () => {
    const body = `${inviteMessage()}
${ANSWERED}
  <pause milliseconds="1500"/>
${byeMessage()}`;
    const result = await runSipp({
      scenario: scenario('bye during ivr', body),
      sipPort: callflow.sipPort,
      service: GATHER_NUMBER,
      fields: ['9876500005'],
    });
    assert.equal(result.code, 0, result.output);
    const call = await callTo(GATHER_NUMBER, '+919876500005');
    const real = call.log as Log;
    assert.deepEqual(shape(real), shape(await simulated(GATHER_NUMBER, '+919876500006', 1)));
    assert.equal(real.endReason, 'caller-hangup');
    await nothingLeft();
  });
});
