/**
 * A call's session after the answer: a re-INVITE that puts the call on hold goes through the
 * media engine and is answered with SDP; a caller whose media stops is hung up after
 * sip.mediaTimeoutSeconds, and the flow ends as after the caller's hang-up.
 */

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FlowDocument } from '../../src/flows/types.ts';
import {
  ANSWERED,
  ackMessage,
  byeMessage,
  type CallflowUnderTest,
  eventually,
  inviteMessage,
  OFFER,
  RECEIVE_BYE,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

const WAIT_NUMBER = '+918045678931';

/** A long prompt and a long wait for a key: the call outlasts the media timeout. */
const WAIT_FLOW: FlowDocument = {
  name: 'Long wait',
  start: 'wait',
  applets: {
    wait: {
      type: 'ivr',
      config: {
        mode: 'gather',
        prompt: { text: 'Please hold while we find your booking. This may take a little while.' },
        maxDigits: 4,
        timeoutSeconds: 30,
        retries: 0,
      },
      next: { default: 'bye', timeout: 'bye' },
    },
    bye: { type: 'hangup', config: {} },
  },
} as FlowDocument;

let callflow: CallflowUnderTest;
let accountSid: string;

before(async () => {
  callflow = await startCallflow({ mediaTimeoutSeconds: 5 });
  accountSid = callflow.server.demo!.accountSid;
  const flows = callflow.server.flows!;
  const flow = await flows.createFlow(accountSid, { document: WAIT_FLOW });
  await flows.publish(accountSid, flow.id);
  await flows.assignNumber(accountSid, WAIT_NUMBER, flow.id);
});
after(() => callflow?.stop());

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

it('answers a re-INVITE that puts the call on hold with SDP from the media engine', async () => {
  const hold = `${inviteMessage({ offer: `${OFFER}\n      a=sendonly` })
    .replace('CSeq: 1 INVITE', 'CSeq: 2 INVITE')
    .replace(
      'To: <sip:[service]@[remote_ip]:[remote_port]>',
      'To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]',
    )}
  <recv response="200">
    <action>
      <ereg regexp="a=(recvonly|inactive)" search_in="body" check_it="true" assign_to="direction"/>
    </action>
  </recv>
  <Reference variables="direction"/>
${ackMessage(2)}`;
  const body = `${inviteMessage()}
${ANSWERED}
  <pause milliseconds="500"/>
${hold}
  <pause milliseconds="500"/>
${byeMessage(3)}`;
  const r = await runSipp({
    scenario: scenario('hold', body),
    sipPort: callflow.sipPort,
    service: WAIT_NUMBER,
    fields: ['9876500401'],
  });
  assert.equal(r.code, 0, r.output);
  await nothingLeft();
});

it('hangs up a call whose media stopped, and the flow ends as after a hang-up', async () => {
  // sipp sends no RTP at all: after 5 s callflow hangs up with BYE.
  const body = `${inviteMessage()}
${ANSWERED}
${RECEIVE_BYE.replace('<recv request="BYE"/>', '<recv request="BYE" timeout="20000"/>')}`;
  const started = Date.now();
  const r = await runSipp({
    scenario: scenario('silent caller', body),
    sipPort: callflow.sipPort,
    service: WAIT_NUMBER,
    fields: ['9876500402'],
  });
  assert.equal(r.code, 0, r.output);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 4 && seconds < 15, `hung up after ${seconds} s`);
  const call = await eventually(
    async () => {
      const page = await callflow.server.flows!.listCalls(accountSid, {}, null, 20);
      return page.items.find((c) => c.from === '+919876500402' && c.status === 'completed');
    },
    10_000,
    'the call to end',
  );
  assert.equal(call.endReason, 'caller-hangup');
  await nothingLeft();
});
