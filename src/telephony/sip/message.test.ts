import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  frameStream,
  MAX_HEADER_BYTES,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  SipParseError,
  serialize,
  tagOf,
} from './message.ts';

const INVITE = [
  'INVITE sip:+918045678900@127.0.0.1:5060 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1-0;rport',
  'v: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKabc, SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKdef',
  'From: "Asha" <sip:9876543210@127.0.0.1:5070>;tag=abc',
  't: <sip:+918045678900@127.0.0.1>',
  'i: 1-1@127.0.0.1',
  'CSeq: 1 INVITE',
  'Subject: folded',
  '  across lines',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

describe('SIP message parser', () => {
  it('parses a request with compact, folded and comma-separated headers', () => {
    const m = parseMessage(Buffer.from(INVITE));
    assert.equal(m.kind, 'request');
    if (m.kind !== 'request') return;
    assert.equal(m.method, 'INVITE');
    assert.equal(m.uri, 'sip:+918045678900@127.0.0.1:5060');
    assert.equal(m.headers.get('via')!.length, 3);
    assert.equal(m.headers.get('call-id')![0], '1-1@127.0.0.1');
    assert.equal(m.headers.get('subject')![0], 'folded across lines');
    assert.equal(m.body, 'v=0\n');
    assert.equal(tagOf(m.headers.get('from')![0]), 'abc');
    assert.equal(tagOf(m.headers.get('to')![0]), undefined);
  });

  it('round-trips through the serialiser', () => {
    const m = parseMessage(Buffer.from(INVITE));
    const again = parseMessage(serialize(m));
    assert.deepEqual(again, m);
  });

  it('parses a response', () => {
    const text = INVITE.replace(/^INVITE \S+ SIP\/2\.0/, 'SIP/2.0 180 Ringing');
    const m = parseMessage(Buffer.from(text));
    assert.equal(m.kind, 'response');
    if (m.kind === 'response') assert.equal(m.status, 180);
  });

  it('cuts a datagram body longer than Content-Length and refuses a shorter one', () => {
    const longer = Buffer.from(`${INVITE}trailing junk`);
    assert.equal(parseMessage(longer, { datagram: true }).body, 'v=0\n');
    assert.throws(() => parseMessage(longer), SipParseError);
    const shorter = Buffer.from(INVITE.replace('Content-Length: 4', 'Content-Length: 40'));
    assert.throws(() => parseMessage(shorter, { datagram: true }), /shorter/);
  });

  it('refuses what is malformed, with a reason', () => {
    const cases: [string, RegExp][] = [
      [INVITE.replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), /CSeq method/],
      [INVITE.replace('i: 1-1@127.0.0.1\r\n', ''), /call-id/],
      [INVITE.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'), /start line/],
      [INVITE.replace('Content-Length: 4', 'Content-Length: -1'), /Content-Length/],
      [INVITE.replace('Via: SIP/2.0/UDP', 'Via: HTTP/1.1'), /Via/],
      [INVITE.replace('INVITE sip:', 'INVITE http:'), /scheme/],
      [INVITE.replace('CSeq: 1 INVITE', 'CSeq: 99999999999 INVITE'), /CSeq/],
      [INVITE.slice(0, 60), /end of headers/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(() => parseMessage(Buffer.from(text), { datagram: true }), reason, text);
    }
  });

  it('bounds header sizes and counts', () => {
    const long = INVITE.replace('Subject: folded', `Subject: ${'x'.repeat(5000)}`);
    assert.throws(() => parseMessage(Buffer.from(long)), /too long/);
    const many = INVITE.replace('Subject: folded', Array(120).fill('X-A: 1').join('\r\n'));
    assert.throws(() => parseMessage(Buffer.from(many)), /too many/);
    const huge = `INVITE sip:a@b SIP/2.0\r\n${'X-A: 1\r\n'.repeat(MAX_HEADER_BYTES / 4)}`;
    assert.throws(() => parseMessage(Buffer.from(huge)), /too large/);
  });

  it('frames a TCP stream by Content-Length, across chunk boundaries', () => {
    const one = Buffer.from(INVITE);
    const stream = Buffer.concat([Buffer.from('\r\n\r\n'), one, one, one.subarray(0, 50)]);
    const { messages, rest } = frameStream(stream);
    assert.equal(messages.length, 2);
    assert.equal(rest.length, 50);
    assert.equal((parseMessage(messages[1]!) as { method: string }).method, 'INVITE');
    assert.throws(
      () => frameStream(Buffer.from('INVITE x SIP/2.0\r\nVia: a\r\n\r\n')),
      /Content-Length/,
    );
  });

  it('reads URIs, addresses and Via', () => {
    const uri = parseUri('sip:%2B918045678900@[::1]:5061;transport=tcp');
    assert.equal(uri.user, '+918045678900');
    assert.equal(uri.host, '::1');
    assert.equal(uri.port, 5061);
    assert.equal(uri.params.get('transport'), 'tcp');
    const a = parseNameAddr('sip:anonymous@anonymous.invalid;tag=1');
    assert.equal(a.uri, 'sip:anonymous@anonymous.invalid');
    assert.equal(a.params.get('tag'), '1');
    const via = parseVia('SIP/2.0/TCP 10.0.0.1:5062;branch=z9hG4bKx;rport');
    assert.equal(via.transport, 'TCP');
    assert.equal(via.port, 5062);
    assert.equal(via.params.get('rport'), '');
  });
});

describe('SIP message parser fuzz', () => {
  it('never throws anything but SipParseError, on random and mutated input', () => {
    const base = Buffer.from(INVITE);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      const kind = i % 4;
      if (kind === 0) input = randomBytes(Math.floor(random() * 600));
      else if (kind === 1) input = base.subarray(0, Math.floor(random() * base.length));
      else {
        input = Buffer.from(base);
        const flips = 1 + Math.floor(random() * 8);
        for (let f = 0; f < flips; f++) {
          const at = Math.floor(random() * input.length);
          input[at] =
            kind === 2
              ? Math.floor(random() * 256)
              : ' :;,<>"\r\n@='.charCodeAt(Math.floor(random() * 12));
        }
      }
      try {
        const m = parseMessage(input, { datagram: true });
        // Whatever parses must serialise and parse again.
        parseMessage(serialize(m));
      } catch (error) {
        assert.ok(
          error instanceof SipParseError,
          `input ${input.toString('hex')}: ${String(error)}`,
        );
      }
      try {
        frameStream(input);
      } catch (error) {
        assert.ok(error instanceof SipParseError);
      }
    }
  });
});
