/**
 * A recorded prompt on a real call: the greeting's audio URL is fetched (through the outbound
 * guard, here allowed to reach loopback), converted, and played to sipp, which receives about as
 * many non-silent RTP packets as the recording lasts.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { FlowDocument } from '../../src/flows/types.ts';
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

const NUMBER = '+918045678941';

let callflow: CallflowUnderTest;
let web: Server;

before(async () => {
  // Two seconds of a 440 Hz tone at 16 kHz: the fetcher must resample it to 8 kHz.
  const dir = mkdtempSync(join(tmpdir(), 'callflow-prompt-'));
  const wav = join(dir, 'tone.wav');
  execFileSync('sox', [
    '-n',
    '-r',
    '16000',
    '-c',
    '1',
    '-b',
    '16',
    wav,
    'synth',
    '2',
    'sine',
    '440',
  ]);
  const audio = readFileSync(wav);
  web = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'audio/wav' });
    response.end(audio);
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/tone.wav`;

  callflow = await startCallflow({}, { 'callbacks.allowPrivateAddresses': true });
  const accountSid = callflow.server.demo!.accountSid;
  const flows = callflow.server.flows!;
  const document = {
    name: 'Recorded greeting',
    start: 'tone',
    applets: {
      tone: { type: 'greeting', config: { audioUrl: url }, next: { default: 'bye' } },
      bye: { type: 'hangup', config: {} },
    },
  } as FlowDocument;
  const flow = await flows.createFlow(accountSid, { document });
  await flows.publish(accountSid, flow.id);
  await flows.assignNumber(accountSid, NUMBER, flow.id);
});
after(async () => {
  await callflow?.stop();
  web?.close();
});

it('plays a recorded prompt fetched from its URL', async () => {
  const mediaPort = await freeUdpPort(true);
  const rtp = await RtpCounter.start(mediaPort);
  const result = await runSipp({
    scenario: scenario('recorded', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
    sipPort: callflow.sipPort,
    service: NUMBER,
    fields: ['9876500701'],
    mediaPort,
  });
  await rtp.stop();
  assert.equal(result.code, 0, result.output);
  // 2 s = 100 packets of 20 ms.
  assert.ok(rtp.audible >= 80 && rtp.audible <= 130, `non-silent packets: ${rtp.audible}`);
  const { sip } = callflow.server;
  await eventually(
    async () => (await sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
});
