/**
 * A caller that never ACKs the 200 OK (RFC 3261 §13.3.1.4): callflow retransmits the 200 from T1,
 * doubling up to T2, for 64·T1 (32 s), then gives the call up with a BYE; the flow ends as after
 * a hang-up and the media session is deleted. Real timers: this test takes about half a minute.
 */

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, it } from 'node:test';
import type { FlowDocument } from '../../src/flows/types.ts';
import { parseMessage, type SipMessage, serialize } from '../../src/telephony/sip/message.ts';
import { type CallflowUnderTest, eventually, startCallflow } from './helpers.ts';

const NUMBER = '+918045678951';

let callflow: CallflowUnderTest;

before(async () => {
  // The media timeout is set past the ACK timeout: the caller sends no RTP.
  callflow = await startCallflow({ mediaTimeoutSeconds: 60 });
  const accountSid = callflow.server.demo!.accountSid;
  const flows = callflow.server.flows!;
  // A call that lasts: a prompt, then a minute's wait for a key.
  const document = {
    name: 'Long wait',
    start: 'wait',
    applets: {
      wait: {
        type: 'ivr',
        config: {
          mode: 'gather',
          prompt: { text: 'Please wait.' },
          timeoutSeconds: 60,
          retries: 0,
        },
        next: { default: 'bye', timeout: 'bye' },
      },
      bye: { type: 'hangup', config: {} },
    },
  } as FlowDocument;
  const flow = await flows.createFlow(accountSid, { document });
  await flows.publish(accountSid, flow.id);
  await flows.assignNumber(accountSid, NUMBER, flow.id);
});
after(() => callflow?.stop());

it('gives up a call whose 200 OK is never acknowledged, with a BYE after 32 s', async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const oks: number[] = [];
  let bye: number | undefined;
  socket.on('message', (data, rinfo) => {
    const m: SipMessage = parseMessage(data, { datagram: true });
    if (m.kind === 'response' && m.status === 200) oks.push(Date.now());
    if (m.kind === 'request' && m.method === 'BYE') {
      bye = Date.now();
      const answer: SipMessage = {
        kind: 'response',
        status: 200,
        reason: 'OK',
        headers: new Map(m.headers),
        body: '',
      };
      socket.send(serialize(answer), rinfo.port, rinfo.address);
    }
  });
  const sdp =
    'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';
  const invite = [
    `INVITE sip:+918045678951@127.0.0.1:${callflow.sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKnoack1;rport`,
    'From: <sip:9876500801@127.0.0.1>;tag=noack',
    'To: <sip:+918045678951@127.0.0.1>',
    'Call-ID: noack-1@127.0.0.1',
    'CSeq: 1 INVITE',
    `Contact: <sip:9876500801@127.0.0.1:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${sdp.length}`,
    '',
    sdp,
  ].join('\r\n');
  const sent = Date.now();
  socket.send(invite, callflow.sipPort, '127.0.0.1');
  await eventually(() => bye !== undefined, 45_000, 'the BYE');
  socket.close();

  const gaveUpAfter = (bye! - sent) / 1000;
  assert.ok(gaveUpAfter >= 31 && gaveUpAfter < 40, `BYE after ${gaveUpAfter} s`);
  // 0.5, 1, 2, 4, 4, … s apart: about 10 copies in 32 s, never faster than T1.
  assert.ok(oks.length >= 8 && oks.length <= 12, `${oks.length} copies of the 200 OK`);
  const gaps = oks.slice(1).map((t, i) => t - oks[i]!);
  assert.ok(
    gaps.every((g) => g >= 400 && g <= 4600),
    `gaps ${gaps.join(', ')}`,
  );

  const { server } = callflow;
  const call = await eventually(
    async () => {
      const page = await server.flows!.listCalls(server.demo!.accountSid, {}, null, 10);
      return page.items.find((c) => c.from === '+919876500801' && c.status === 'completed');
    },
    10_000,
    'the call to end',
  );
  assert.equal(call.origin?.sipCallId, 'noack-1@127.0.0.1');
  assert.equal(call.endReason, 'caller-hangup');
  await eventually(
    async () => (await server.sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
  await eventually(() => server.sip!.calls.stats().timers === 0, 5000, 'no timer');
});
