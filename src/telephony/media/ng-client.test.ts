// The NG client's wire behaviour: bencode both ways, a fresh cookie per request, the same
// datagram again when an answer is lost, coded errors. A scripted UDP peer plays rtpengine here
// so that lost answers can be staged; test/media/ runs the client against the real daemon.
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { test } from 'node:test';
import { decodeBencode, encodeBencode } from './bencode.ts';
import { MediaError } from './errors.ts';
import { NgClient } from './ng-client.ts';

test('bencode round-trips NG dictionaries, UTF-8 text included, and refuses malformed input', () => {
  const value = {
    command: 'offer',
    sdp: 'v=0\r\ns=नमस्ते\r\n',
    flags: ['trust-address'],
    n: -5,
    nested: { a: [1, 'x'] },
  };
  const bytes = encodeBencode(value);
  assert.equal(bytes.toString('utf8', 0, 12), 'd7:command5:');
  assert.deepEqual(JSON.parse(JSON.stringify(decodeBencode(bytes))), value);
  for (const bad of ['d3:abc', 'i12', 'l', '5:ab', 'x', 'd1:ai1ee_', 'di1ei2ee']) {
    assert.throws(() => decodeBencode(Buffer.from(bad)), SyntaxError, bad);
  }
  assert.throws(() => decodeBencode(Buffer.from('l'.repeat(100) + 'e'.repeat(100))), /deeply/);
});

async function scriptedPeer(
  answer: (cookie: string, request: Record<string, unknown>, nth: number) => object | undefined,
) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const received: string[] = [];
  socket.on('message', (message: Buffer, from: RemoteInfo) => {
    const space = message.indexOf(0x20);
    const cookie = message.toString('latin1', 0, space);
    received.push(message.toString('latin1'));
    const reply = answer(
      cookie,
      decodeBencode(message.subarray(space + 1)) as Record<string, unknown>,
      received.length,
    );
    if (reply)
      socket.send(
        Buffer.concat([Buffer.from(`${cookie} `), encodeBencode(reply as never)]),
        from.port,
        from.address,
      );
  });
  return { socket, received, port: socket.address().port };
}

test('a lost answer is asked for again with the same cookie; each request has its own cookie', async () => {
  const peer = await scriptedPeer((_cookie, request, nth) =>
    nth === 1 ? undefined : { result: 'ok', echo: String(request.command) },
  );
  const client = await NgClient.open({
    host: '127.0.0.1',
    port: peer.port,
    retryMs: 50,
    attempts: 3,
  });
  try {
    const reply = await client.request('ping');
    assert.equal(reply.echo, 'ping');
    assert.equal(peer.received.length, 2);
    assert.equal(peer.received[0], peer.received[1], 'the retry is the same datagram');
    await client.request('list');
    const cookies = peer.received.map((r) => r.split(' ')[0]);
    assert.notEqual(cookies[2], cookies[0]);
  } finally {
    client.close();
    peer.socket.close();
  }
});

test('no answer ends in MEDIA_CONTROL_TIMEOUT, an error result in MEDIA_REJECTED with the reason', async () => {
  const peer = await scriptedPeer((_cookie, request) =>
    request.command === 'query'
      ? { result: 'error', 'error-reason': 'Unknown call-id' }
      : undefined,
  );
  const client = await NgClient.open({
    host: '127.0.0.1',
    port: peer.port,
    retryMs: 30,
    attempts: 2,
  });
  try {
    await assert.rejects(client.request('ping'), (error: unknown) => {
      assert.ok(error instanceof MediaError);
      assert.equal(error.code, 'MEDIA_CONTROL_TIMEOUT');
      return true;
    });
    assert.equal(peer.received.length, 2);
    await assert.rejects(client.request('query', { 'call-id': 'x' }), (error: unknown) => {
      assert.ok(error instanceof MediaError);
      assert.equal(error.code, 'MEDIA_REJECTED');
      assert.match(error.message, /Unknown call-id/);
      return true;
    });
    const pending = client.request('ping');
    client.close();
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof MediaError && error.code === 'MEDIA_UNAVAILABLE',
    );
  } finally {
    peer.socket.close();
  }
});
