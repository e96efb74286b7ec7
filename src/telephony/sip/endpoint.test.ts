/**
 * The endpoint over real UDP and TCP sockets on loopback, with a hand-driven peer: transactions,
 * dialogs, refusals and authentication. The end-to-end tests with sipp are in test/sip/.
 */

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Value from 'typebox/value';
import { createAuthThrottle } from '../../auth-throttle.ts';
import { type SipConfig, SipConfigSchema } from './config.ts';
import type { InboundCall } from './dialog.ts';
import { digestResponse } from './digest.ts';
import { SipEndpoint } from './endpoint.ts';
import { frameStream, parseMessage, type SipResponse, serialize } from './message.ts';

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 26000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';

function config(overrides: Partial<SipConfig>): SipConfig {
  return { ...(Value.Default(SipConfigSchema, {}) as SipConfig), port: 0, ...overrides };
}

let counter = 0;

function invite(
  port: number,
  options: { callId?: string; branch?: string; body?: string; auth?: string; user?: string } = {},
): string {
  const body = options.body ?? SDP;
  return [
    `INVITE sip:${options.user ?? '+918045678900'}@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${options.branch ?? `z9hG4bK${++counter}`};rport`,
    'From: <sip:9876543210@127.0.0.1>;tag=caller',
    `To: <sip:+918045678900@127.0.0.1:${port}>`,
    `Call-ID: ${options.callId ?? `call-${counter}`}`,
    'CSeq: 1 INVITE',
    'Contact: <sip:9876543210@127.0.0.1>',
    ...(options.auth ? [`Authorization: ${options.auth}`] : []),
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

function inDialog(
  method: string,
  port: number,
  callId: string,
  toTag: string,
  cseq: number,
  extra: string[] = [],
  body = '',
): string {
  return [
    `${method} sip:+918045678900@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${++counter}`,
    'From: <sip:9876543210@127.0.0.1>;tag=caller',
    `To: <sip:+918045678900@127.0.0.1:${port}>;tag=${toTag}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A UDP peer that collects what the endpoint sends it. */
async function udpPeer(address = '127.0.0.1') {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const received: SipResponse[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data, rinfo) => {
    const m = parseMessage(data, { datagram: true });
    if (m.kind === 'response') received.push(m);
    else if (m.method !== 'ACK') {
      // A real UA answers the endpoint's BYE.
      const answer: SipResponse = {
        kind: 'response',
        status: 200,
        reason: 'OK',
        headers: new Map(m.headers),
        body: '',
      };
      answer.headers.delete('content-type');
      socket.send(serialize(answer), rinfo.port, rinfo.address);
    }
    for (const w of waiters.splice(0)) w();
  });
  return {
    received,
    send(text: string, port: number) {
      socket.send(
        text.replace(/127\.0\.0\.1:(\d+);branch/, `${address}:${socket.address().port};branch`),
        port,
        '127.0.0.1',
      );
    },
    async waitFor(predicate: (r: SipResponse[]) => boolean, ms = 5000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`timed out; got ${received.map((r) => r.status).join(',')}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    statuses: () => received.map((r) => r.status),
    close: () => socket.close(),
  };
}

const logger = { info() {}, warn() {}, error() {} };

describe('SIP endpoint (trunk on loopback)', () => {
  let endpoint: SipEndpoint;
  const calls: InboundCall[] = [];
  let onCall: (call: InboundCall) => void = () => {};

  before(async () => {
    endpoint = await SipEndpoint.start({
      config: config({
        trunks: [{ name: 'local', addresses: ['127.0.0.1/32'], defaultRegion: 'IN' }],
        maxCalls: 3,
      }),
      logger,
      onCall: (call) => {
        calls.push(call);
        onCall(call);
      },
    });
  });
  after(() => endpoint.close());

  it('answers OPTIONS', async () => {
    const peer = await udpPeer();
    const text = inDialog('OPTIONS', endpoint.port, 'opt-1', 'x', 1).replace(/;tag=x/, '');
    peer.send(text, endpoint.port);
    await peer.waitFor((r) => r.length === 1);
    assert.equal(peer.received[0]!.status, 200);
    assert.match(peer.received[0]!.headers.get('allow')![0]!, /INVITE/);
    peer.close();
  });

  it('sends 100 at once, 200 until the ACK, runs a retransmitted INVITE once, and 481 after BYE', async () => {
    const peer = await udpPeer();
    onCall = (call) => call.answer('v=0\r\n');
    const before = calls.length;
    const text = invite(endpoint.port, { callId: 'c-answer', branch: 'z9hG4bKretx' });
    peer.send(text, endpoint.port);
    peer.send(text, endpoint.port);
    await peer.waitFor((r) => r.filter((x) => x.status === 200).length >= 2);
    assert.equal(peer.received[0]!.status, 100);
    assert.equal(calls.length, before + 1, 'the retransmitted INVITE started no second call');
    const call = calls.at(-1)!;
    const toTag = call.localTag;
    assert.match(
      peer.received.find((r) => r.status === 200)!.headers.get('to')![0]!,
      new RegExp(`tag=${toTag}`),
    );
    peer.send(inDialog('ACK', endpoint.port, 'c-answer', toTag, 1), endpoint.port);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(call.state, 'confirmed');
    const afterAck = peer.received.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(peer.received.length, afterAck, 'no 200 after the ACK');
    let ended: string | undefined;
    call.setHandlers({
      onEnded: (reason) => (ended = reason),
      onInfoKey() {},
      onReoffer: async () => '',
    });
    peer.send(inDialog('BYE', endpoint.port, 'c-answer', toTag, 2), endpoint.port);
    await peer.waitFor(
      (r) => r.at(-1)!.status === 200 && r.at(-1)!.headers.get('cseq')![0] === '2 BYE',
    );
    assert.equal(ended, 'caller-bye');
    peer.send(inDialog('BYE', endpoint.port, 'c-answer', toTag, 3), endpoint.port);
    await peer.waitFor((r) => r.at(-1)!.status === 481);
    assert.deepEqual(endpoint.stats(), {
      calls: 0,
      transactions: endpoint.stats().transactions,
      timers: 0,
    });
    peer.close();
  });

  it('gets INFO keys in the dialog', async () => {
    const peer = await udpPeer();
    onCall = (call) => call.answer('v=0\r\n');
    peer.send(invite(endpoint.port, { callId: 'c-info' }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 200));
    const call = calls.at(-1)!;
    const keys: string[] = [];
    call.setHandlers({
      onEnded() {},
      onInfoKey: (k) => keys.push(k),
      onReoffer: async () => 'v=0\r\n',
    });
    peer.send(inDialog('ACK', endpoint.port, 'c-info', call.localTag, 1), endpoint.port);
    peer.send(
      inDialog(
        'INFO',
        endpoint.port,
        'c-info',
        call.localTag,
        2,
        ['Content-Type: application/dtmf-relay'],
        'Signal=5\r\nDuration=160\r\n',
      ),
      endpoint.port,
    );
    peer.send(
      inDialog(
        'INFO',
        endpoint.port,
        'c-info',
        call.localTag,
        3,
        ['Content-Type: application/dtmf'],
        '#',
      ),
      endpoint.port,
    );
    peer.send(
      inDialog(
        'INFO',
        endpoint.port,
        'c-info',
        call.localTag,
        4,
        ['Content-Type: text/plain'],
        'hi',
      ),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 415));
    assert.deepEqual(keys, ['5', '#']);
    peer.send(
      inDialog(
        'INVITE',
        endpoint.port,
        'c-info',
        call.localTag,
        5,
        ['Content-Type: application/sdp'],
        SDP,
      ),
      endpoint.port,
    );
    await peer.waitFor(
      (r) => r.at(-1)!.headers.get('cseq')![0] === '5 INVITE' && r.at(-1)!.status === 200,
    );
    await call.bye();
    peer.close();
  });

  it('answers CANCEL before the answer with 200 and 487', async () => {
    const peer = await udpPeer();
    onCall = () => {};
    const text = invite(endpoint.port, { callId: 'c-cancel', branch: 'z9hG4bKcancel' });
    peer.send(text, endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 100));
    const cancel = text
      .replace('INVITE sip', 'CANCEL sip')
      .replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL')
      .replace(
        /Content-Type.*\r\nContent-Length: \d+\r\n\r\n[\s\S]*$/,
        'Content-Length: 0\r\n\r\n',
      );
    peer.send(cancel, endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 487));
    assert.ok(
      peer.received.some((r) => r.status === 200 && r.headers.get('cseq')![0] === '1 CANCEL'),
    );
    assert.ok(calls.at(-1)!.endedSignal.aborted);
    peer.close();
  });

  it('refuses a codec-less offer with 488 and more than maxCalls with 503', async () => {
    const peer = await udpPeer();
    onCall = () => {};
    peer.send(
      invite(endpoint.port, {
        body: SDP.replace('RTP/AVP 0 101', 'RTP/AVP 18').replace(
          'a=rtpmap:0 PCMU/8000',
          'a=rtpmap:18 G729/8000',
        ),
      }),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 488));
    const held = calls.length;
    for (let i = 0; i < 4; i++) peer.send(invite(endpoint.port), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 503));
    assert.equal(peer.received.find((r) => r.status === 503)!.headers.get('retry-after')![0], '5');
    assert.equal(calls.length - held, 3);
    for (const call of calls.slice(held)) call.refuse(480, 'Temporarily Unavailable');
    await peer.waitFor((r) => r.filter((x) => x.status === 480).length === 3);
    peer.close();
  });

  it('answers a malformed request with 400 and ignores garbage', async () => {
    const peer = await udpPeer();
    peer.send(
      invite(endpoint.port).replace(/Content-Length: \d+/, 'Content-Length: 9999'),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 400));
    peer.send('\u0000\u0001garbage', endpoint.port);
    peer.close();
  });

  it('refuses a source that is not a trunk with 403', async () => {
    const peer = await udpPeer('127.0.0.2');
    peer.send(invite(endpoint.port), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 403));
    peer.close();
  });

  it('speaks TCP', async () => {
    const socket = connect({ host: '127.0.0.1', port: endpoint.port });
    await new Promise((r) => socket.once('connect', r));
    let buffered = Buffer.alloc(0);
    const got: SipResponse[] = [];
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const framed = frameStream(buffered);
      buffered = Buffer.from(framed.rest);
      for (const m of framed.messages) got.push(parseMessage(m) as SipResponse);
    });
    const text = inDialog('OPTIONS', endpoint.port, 'tcp-1', 'x', 1)
      .replace(/;tag=x/, '')
      .replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
    socket.write(text.slice(0, 40));
    await new Promise((r) => setTimeout(r, 50));
    socket.write(text.slice(40));
    while (got.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got[0]!.status, 200);
    socket.destroy();
  });
});

describe('SIP endpoint (softphone users)', () => {
  it('challenges, then accepts a digest-authenticated INVITE and REGISTER', async () => {
    const calls: InboundCall[] = [];
    const endpoint = await SipEndpoint.start({
      config: config({ users: [{ username: 'alice', password: 'wonderland' }] }),
      logger,
      onCall: (call) => {
        calls.push(call);
        call.refuse(480, 'Temporarily Unavailable');
      },
    });
    const peer = await udpPeer();
    peer.send(invite(endpoint.port, { callId: 'auth-1' }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 401));
    const challenge = peer.received.find((r) => r.status === 401)!.headers.get('www-authenticate')!;
    assert.equal(challenge.length, 2);
    const nonce = /nonce="([^"]+)"/.exec(challenge[0]!)![1]!;
    const uri = `sip:+918045678900@127.0.0.1:${endpoint.port}`;
    const auth = (password: string, method = 'INVITE') =>
      `Digest username="alice", realm="callflow", nonce="${nonce}", uri="${uri}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc", response="${digestResponse({ algorithm: 'SHA-256', username: 'alice', realm: 'callflow', password, method, uri, nonce, qop: 'auth', nc: '00000001', cnonce: 'abc' })}"`;
    peer.send(invite(endpoint.port, { callId: 'auth-2', auth: auth('wrong') }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 403));
    assert.equal(calls.length, 0);
    peer.send(invite(endpoint.port, { callId: 'auth-3', auth: auth('wonderland') }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 480));
    assert.deepEqual(
      calls.map((c) => c.origin),
      [{ kind: 'user', name: 'alice' }],
    );
    const register = inDialog('REGISTER', endpoint.port, 'reg-1', 'x', 1, [
      'Contact: <sip:alice@127.0.0.1:5999>',
      `Authorization: ${auth('wonderland', 'REGISTER')}`,
    ]).replace(/;tag=x/, '');
    peer.send(register, endpoint.port);
    await peer.waitFor((r) =>
      r.some((x) => x.status === 200 && x.headers.get('cseq')![0] === '1 REGISTER'),
    );
    peer.close();
    await endpoint.close();
  });
});

describe('SIP endpoint (a trunk with credentials)', () => {
  it('admits the trunk only after digest authentication', async () => {
    const calls: InboundCall[] = [];
    const endpoint = await SipEndpoint.start({
      config: config({
        trunks: [
          {
            name: 'secure',
            addresses: ['127.0.0.0/8'],
            credentials: { username: 'trunk1', password: 'trunk-secret' },
            defaultRegion: 'IN',
          },
        ],
      }),
      logger,
      onCall: (call) => {
        calls.push(call);
        call.refuse(480, 'Temporarily Unavailable');
      },
    });
    const peer = await udpPeer();
    peer.send(invite(endpoint.port, { callId: 'trunk-1' }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 401));
    const challenge = peer.received.find((r) => r.status === 401)!.headers.get('www-authenticate')!;
    const nonce = /nonce="([^"]+)"/.exec(challenge[1]!)![1]!;
    const uri = `sip:+918045678900@127.0.0.1:${endpoint.port}`;
    const auth = (username: string, password: string) =>
      `Digest username="${username}", realm="callflow", nonce="${nonce}", uri="${uri}", algorithm=MD5, response="${digestResponse({ algorithm: 'MD5', username, realm: 'callflow', password, method: 'INVITE', uri, nonce })}"`;
    // A softphone user's name is no trunk credential.
    peer.send(
      invite(endpoint.port, { callId: 'trunk-2', auth: auth('alice', 'trunk-secret') }),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 403));
    peer.send(
      invite(endpoint.port, { callId: 'trunk-3', auth: auth('trunk1', 'trunk-secret') }),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 480));
    assert.deepEqual(
      calls.map((c) => c.origin),
      [{ kind: 'trunk', name: 'secure' }],
    );
    peer.close();
    await endpoint.close();
  });
});

describe('SIP endpoint (authentication throttle)', () => {
  it('answers a source that keeps failing with Retry-After, and still accepts a correct password', async () => {
    const refusals: string[] = [];
    const authThrottle = createAuthThrottle({
      config: { maxFailures: 2, windowSeconds: 60, penaltyDelayMs: 0 },
      onRefused: (r) => refusals.push(r.surface),
    });
    const calls: InboundCall[] = [];
    const endpoint = await SipEndpoint.start({
      config: config({ users: [{ username: 'alice', password: 'wonderland' }] }),
      logger,
      authThrottle,
      onCall: (call) => {
        calls.push(call);
        call.refuse(480, 'Temporarily Unavailable');
      },
    });
    const peer = await udpPeer();
    peer.send(invite(endpoint.port, { callId: 'throttle-0' }), endpoint.port);
    await peer.waitFor((r) => r.some((x) => x.status === 401));
    const challenge = peer.received.find((r) => r.status === 401)!.headers.get('www-authenticate')!;
    const nonce = /nonce="([^"]+)"/.exec(challenge[0]!)![1]!;
    const uri = `sip:+918045678900@127.0.0.1:${endpoint.port}`;
    const auth = (password: string) =>
      `Digest username="alice", realm="callflow", nonce="${nonce}", uri="${uri}", algorithm=SHA-256, response="${digestResponse({ algorithm: 'SHA-256', username: 'alice', realm: 'callflow', password, method: 'INVITE', uri, nonce })}"`;
    for (let i = 1; i <= 4; i++) {
      peer.send(
        invite(endpoint.port, { callId: `throttle-${i}`, auth: auth('guess') }),
        endpoint.port,
      );
      await peer.waitFor((r) => r.filter((x) => x.status === 403).length === i);
    }
    const forbidden = peer.received.filter((r) => r.status === 403);
    assert.deepEqual(
      forbidden.map((r) => r.headers.has('retry-after')),
      [false, false, true, true],
    );
    assert.deepEqual(refusals, ['sip', 'sip']);
    peer.send(
      invite(endpoint.port, { callId: 'throttle-5', auth: auth('wonderland') }),
      endpoint.port,
    );
    await peer.waitFor((r) => r.some((x) => x.status === 480));
    assert.equal(calls.length, 1);
    peer.close();
    await endpoint.close();
  });
});
