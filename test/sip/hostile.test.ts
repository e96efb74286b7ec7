/**
 * Hostile input against a running callflow: random and truncated datagrams, oversized headers,
 * a body longer than Content-Length (UDP and TCP), and thousands of INVITEs from one source. The
 * process stays up, answers what it should (a real call from sipp during the flood completes),
 * and afterwards no call, rtpengine session or retransmission timer is left.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, it } from 'node:test';
import { parseMessage, type SipResponse } from '../../src/telephony/sip/message.ts';
import {
  ANSWERED,
  type CallflowUnderTest,
  eventually,
  inviteMessage,
  RECEIVE_BYE,
  runSipp,
  scenario,
  startCallflow,
} from './helpers.ts';

let callflow: CallflowUnderTest;

before(async () => {
  callflow = await startCallflow();
});
after(() => callflow?.stop());

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';

function invite(
  port: number,
  from: { address: string; port: number },
  n: number,
  body = SDP,
  extra = '',
): string {
  return [
    `INVITE sip:+918045678900@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address}:${from.port};branch=z9hG4bKhostile${n}`,
    `From: <sip:9876543210@${from.address}>;tag=h${n}`,
    `To: <sip:+918045678900@127.0.0.1:${port}>`,
    `Call-ID: hostile-${n}@${from.address}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:x@${from.address}:${from.port}>`,
    ...(extra ? [extra] : []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

async function udp(
  address: string,
): Promise<{ socket: Socket; responses: SipResponse[]; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const responses: SipResponse[] = [];
  socket.on('message', (data) => {
    try {
      const m = parseMessage(data, { datagram: true });
      if (m.kind === 'response') responses.push(m);
    } catch {
      // not ours to judge
    }
  });
  return { socket, responses, port: socket.address().port };
}

async function options(port: number): Promise<number> {
  const peer = await udp('127.0.0.1');
  const text = invite(
    port,
    { address: '127.0.0.1', port: peer.port },
    Math.floor(Math.random() * 1e9),
    '',
  )
    .replaceAll('INVITE', 'OPTIONS')
    .replace(/Content-Type.*\r\n/, '');
  peer.socket.send(text, port, '127.0.0.1');
  try {
    return await eventually(() => peer.responses[0]?.status, 5000, 'an answer to OPTIONS');
  } finally {
    peer.socket.close();
  }
}

it('survives random, truncated, oversized and overlong input, and answers 400 where it can', async () => {
  const port = callflow.sipPort;
  // Garbage from one source; it is limited like any source, so the checks below use another.
  const garbage = await udp('127.0.0.4');
  const good = invite(port, { address: '127.0.0.4', port: garbage.port }, 1);
  for (let i = 0; i < 500; i++) garbage.socket.send(randomBytes(1 + (i % 1400)), port, '127.0.0.1');
  for (let i = 1; i < good.length; i += 7) garbage.socket.send(good.slice(0, i), port, '127.0.0.1');
  garbage.socket.close();
  const peer = await udp('127.0.0.1');
  const from = { address: '127.0.0.1', port: peer.port };
  // Oversized header (20 KB in one line) and too many headers: 400 when Via etc. can be read.
  peer.socket.send(invite(port, from, 2, SDP, `X-Big: ${'a'.repeat(20_000)}`), port, '127.0.0.1');
  peer.socket.send(
    invite(port, from, 3, SDP, Array(150).fill('X-Many: 1').join('\r\n')),
    port,
    '127.0.0.1',
  );
  // Content-Length smaller than the body (UDP: the rest is ignored; the SDP cut short has no
  // audio line, so the call is refused 488) and larger than the body (400).
  peer.socket.send(
    invite(port, from, 4).replace(/Content-Length: \d+/, 'Content-Length: 20'),
    port,
    '127.0.0.1',
  );
  peer.socket.send(
    invite(port, from, 5).replace(/Content-Length: \d+/, 'Content-Length: 9000'),
    port,
    '127.0.0.1',
  );
  await eventually(
    () => {
      const byCallId = new Map(peer.responses.map((r) => [r.headers.get('call-id')![0], r.status]));
      return (
        byCallId.get('hostile-2@127.0.0.1') === 400 &&
        byCallId.get('hostile-3@127.0.0.1') === 400 &&
        byCallId.get('hostile-4@127.0.0.1') === 488 &&
        byCallId.get('hostile-5@127.0.0.1') === 400
      );
    },
    5000,
    '400, 400, 488, 400',
  );
  // The 488 is retransmitted until its ACK, as for any caller.
  const to = peer.responses.find((r) => r.status === 488)!.headers.get('to')![0]!;
  const ack = invite(port, from, 4, '')
    .replace(/INVITE/g, 'ACK')
    .replace(/To: .*/, `To: ${to}`)
    .replace(/Content-Type.*\r\n/, '');
  await new Promise((resolve) => peer.socket.send(ack, port, '127.0.0.1', resolve));
  peer.socket.close();

  // TCP: a body longer than Content-Length leaves bytes that are no message: 400, connection closed.
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.on('data', (d) => {
    received += d;
  });
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const tcpInvite = invite(port, { address: '127.0.0.1', port: socket.localPort! }, 6).replace(
    'SIP/2.0/UDP',
    'SIP/2.0/TCP',
  );
  socket.write(`${tcpInvite.replace(/Content-Length: \d+/, 'Content-Length: 10')}\r\n`);
  socket.write(`${'x'.repeat(20_000)}\r\n\r\n`);
  await closed;
  assert.match(received, /^SIP\/2\.0 (100|400|488)/);

  assert.equal(await options(port), 200, 'still answering');
});

it('a flood of INVITEs from one source neither takes the process down nor starves a real caller', async () => {
  const port = callflow.sipPort;
  const flooder = await udp('127.0.0.3');
  const from = { address: '127.0.0.3', port: flooder.port };
  const FLOOD = 5000;
  let sent = 0;
  const flood = (async () => {
    while (sent < FLOOD) {
      for (let i = 0; i < 250 && sent < FLOOD; i++, sent++) {
        flooder.socket.send(invite(port, from, 1000 + sent), port, '127.0.0.1');
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  // A real caller from the trusted trunk during the flood.
  const call = runSipp({
    scenario: scenario('call during flood', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
    sipPort: port,
    fields: ['9876500301'],
  });
  await flood;
  const result = await call;
  assert.equal(result.code, 0, result.output);
  assert.equal(await options(port), 200, 'still answering');

  // The flooder was answered (403: no trunk, no users) only as far as its rate allows.
  const refusedCount = flooder.responses.filter((r) => r.status === 403).length;
  assert.ok(refusedCount > 0, 'the first INVITEs were refused');
  assert.ok(refusedCount < FLOOD / 4, `${refusedCount} of ${FLOOD} INVITEs answered`);
  flooder.socket.close();

  const { sip } = callflow.server;
  await eventually(
    async () => (await sip!.media.sessions()).length === 0,
    5000,
    'no rtpengine session',
  );
  await eventually(
    () => sip!.calls.stats().calls === 0 && sip!.calls.stats().timers === 0,
    5000,
    'no call or timer',
  ).catch((error) => {
    throw new Error(`${(error as Error).message}: ${JSON.stringify(sip!.calls.stats())}`);
  });
  assert.equal(sip!.calls.stats().active, 0);
});
