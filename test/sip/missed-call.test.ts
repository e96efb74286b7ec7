/**
 * The guide's missed-call alert on a real call: sipp rings the demo ExoPhone through a trusted
 * trunk, hears the greeting (RTP toward its media port, counted with tcpdump), Connect fails for
 * want of an outbound trunk, the missed-call SMS reaches the carrier simulator addressed to the
 * caller, and callflow hangs up with BYE. Afterwards no call, rtpengine session or timer is left.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ANSWERED,
  type CallflowUnderTest,
  eventually,
  freeUdpPort,
  inviteMessage,
  RECEIVE_BYE,
  RtpCounter,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

let callflow: CallflowUnderTest;

before(async () => {
  callflow = await startCallflow();
});
after(() => callflow?.stop());

test('missed-call alert on a real call: greeting heard, Connect failed, SMS to the caller', async () => {
  const { server } = callflow;
  assert.equal(
    server.sip!.media.state.running,
    true,
    `rtpengine: ${server.sip!.media.state.reason}`,
  );
  const mediaPort = await freeUdpPort(true);
  const rtp = await RtpCounter.start(mediaPort);
  const result = await runSipp({
    scenario: scenario('missed call', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
    sipPort: callflow.sipPort,
    fields: ['9876543210'],
    mediaPort,
  });
  await rtp.stop();
  assert.equal(result.code, 0, result.output);

  // The greeting "Thanks for calling Acme Corp. Connecting you to an agent." is about 3 s: 150
  // packets of 20 ms, most of them not silence.
  assert.ok(rtp.packets >= 100, `RTP packets toward sipp: ${rtp.packets}`);
  assert.ok(rtp.audible >= 50, `non-silent RTP packets: ${rtp.audible}`);

  const sms = await eventually(
    () => server.simulator!.received().find((s) => s.destinationAddr === '919876543210'),
    15_000,
    'the missed-call SMS',
  );
  assert.match(sms.text, /We missed your call to \+918045678900/);

  const calls = await server.flows!.listCalls(server.demo!.accountSid, {}, null, 10);
  const call = calls.items[0]!;
  assert.equal(call.from, '+919876543210');
  assert.equal(call.to, '+918045678900');
  const log = call.log as {
    steps: { appletId: string; exit: string | null; detail?: Record<string, unknown> }[];
    endReason: string;
  };
  assert.deepEqual(
    log.steps.map((s) => [s.appletId, s.exit]),
    [
      ['welcome', 'default'],
      ['agent', 'failed'],
      ['missed', 'default'],
      ['bye', null],
    ],
  );
  assert.equal((log.steps[1]!.detail!.failure as { code: string }).code, 'SIP_NO_OUTBOUND_TRUNK');
  assert.equal(log.endReason, 'hangup-applet');
  assert.equal(call.origin?.kind, 'sip');
  assert.equal(call.origin?.via, 'trunk');
  assert.equal(call.origin?.name, 'loopback');
  assert.equal(call.origin?.codec, 'PCMA');
  assert.ok((call.origin?.durationSeconds ?? 0) >= 2, `duration ${call.origin?.durationSeconds}`);

  await eventually(
    async () => (await server.sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
  const stats = server.sip!.calls.stats();
  assert.equal(stats.calls, 0);
  assert.equal(stats.active, 0);
  assert.equal(stats.timers, 0);
});

test('the caller is P-Asserted-Identity on a trusted trunk; a withheld caller gets no SMS (INVALID_NUMBER)', async () => {
  const { server } = callflow;
  const body = (extraHeaders?: string) =>
    scenario(
      'withheld',
      `${inviteMessage(extraHeaders === undefined ? {} : { extraHeaders })}\n${ANSWERED}\n${RECEIVE_BYE}`,
    );
  // The ExoPhone dialled in its national form.
  const asserted = await runSipp({
    scenario: body('P-Asserted-Identity: <sip:+919876500501@127.0.0.1>'),
    sipPort: callflow.sipPort,
    service: '08045678900',
    fields: ['anonymous'],
  });
  assert.equal(asserted.code, 0, asserted.output);
  const withheld = await runSipp({
    scenario: body(),
    sipPort: callflow.sipPort,
    fields: ['anonymous'],
  });
  assert.equal(withheld.code, 0, withheld.output);

  const page = await server.flows!.listCalls(server.demo!.accountSid, {}, null, 10);
  const [last, previous] = page.items;
  assert.equal(previous!.from, '+919876500501');
  await eventually(
    () => server.simulator!.received().find((s) => s.destinationAddr === '919876500501'),
    15_000,
    'the SMS to the asserted caller',
  );
  assert.equal(last!.from, '');
  const log = last!.log as { sms: { code?: string }[] };
  assert.deepEqual(
    log.sms.map((s) => s.code),
    ['INVALID_NUMBER'],
  );
});
