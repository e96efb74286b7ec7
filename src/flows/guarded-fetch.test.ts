import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CallflowError } from '../errors.ts';
import { createGuardedFetch } from './guarded-fetch.ts';

const blocked = (e: unknown) => e instanceof CallflowError && e.code === 'CALLBACK_URL_BLOCKED';

describe('createGuardedFetch', () => {
  let server: Server;
  let port: number;
  const seen: { method: string; url: string; body: string; type: string | undefined }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, type: req.headers['content-type'] });
        if (req.url === '/slow') {
          setTimeout(() => res.end('{}'), 500);
          return;
        }
        res.writeHead(req.url === '/empty' ? 204 : 200, {
          'content-type': 'application/json',
          'x-two': ['a', 'b'],
        });
        res.end(req.url === '/empty' ? undefined : '{"phone":"+919811112222"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('refuses loopback by default, before any request', async () => {
    const fetchGuarded = createGuardedFetch({});
    const before = seen.length;
    await assert.rejects(fetchGuarded(`http://127.0.0.1:${port}/x`, {}), blocked);
    await assert.rejects(fetchGuarded(`http://localhost:${port}/x`, {}), blocked);
    await assert.rejects(fetchGuarded('ftp://example.com/x', {}), blocked);
    assert.equal(seen.length, before);
  });

  test('refuses a name that resolves inside, and connects to the address it checked', async () => {
    const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
    await assert.rejects(
      createGuardedFetch({}, lookup)(`http://hooks.example.test:${port}/x`, {}),
      blocked,
    );
    const allowed = createGuardedFetch({ allowList: ['127.0.0.1'] }, lookup);
    const res = await allowed(`http://hooks.example.test:${port}/named`, {});
    assert.equal(res.status, 200);
    assert.equal(seen.at(-1)!.url, '/named');
  });

  test('GET and form POST when private addresses are allowed; the answer reads like fetch', async () => {
    const fetchGuarded = createGuardedFetch({ allowPrivateAddresses: true });
    const res = await fetchGuarded(`http://127.0.0.1:${port}/get?a=1`, { method: 'GET' });
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.headers.get('x-two'), 'a, b');
    assert.deepEqual(await res.json(), { phone: '+919811112222' });
    const posted = await fetchGuarded(`http://127.0.0.1:${port}/post`, {
      method: 'POST',
      body: new URLSearchParams({ CallSid: 'abc', digits: '12' }),
    });
    assert.equal(posted.status, 200);
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      url: '/post',
      body: 'CallSid=abc&digits=12',
      type: 'application/x-www-form-urlencoded;charset=UTF-8',
    });
    const empty = await fetchGuarded(`http://127.0.0.1:${port}/empty`, {});
    assert.equal(empty.status, 204);
    assert.equal(await empty.text(), '');
  });

  test('aborts on its signal', async () => {
    const fetchGuarded = createGuardedFetch({ allowPrivateAddresses: true });
    await assert.rejects(
      fetchGuarded(`http://127.0.0.1:${port}/slow`, { signal: AbortSignal.timeout(50) }),
      (e: Error) => e.name === 'TimeoutError',
    );
  });
});
