import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AuthRefusal, addressKey, createAuthThrottle } from './auth-throttle.ts';
import { reportAuthRefusal } from './metrics.ts';

function throttle(config = {}) {
  let t = 1_000_000;
  const refusals: AuthRefusal[] = [];
  const th = createAuthThrottle({
    config: { maxFailures: 5, windowSeconds: 10, penaltyDelayMs: 0, ...config },
    now: () => t,
    onRefused: (r) => refusals.push(r),
  });
  return { th, refusals, advance: (ms: number) => (t += ms) };
}

test('an address may fail maxFailures times; further failures are refused until one leaks away', () => {
  const { th, refusals, advance } = throttle();
  for (let i = 0; i < 5; i++)
    assert.deepEqual(th.failed('198.51.100.7', 'api'), { refused: false });
  assert.equal(th.isThrottled('198.51.100.7'), true);
  // 5 per 10 s: one failure leaks away every 2 s.
  assert.deepEqual(th.failed('198.51.100.7', 'api'), {
    refused: true,
    retryAfterSeconds: 2,
    delayMs: 0,
  });
  assert.equal(th.failed('198.51.100.7', 'web').refused, true);
  assert.deepEqual(
    refusals.map((r) => [r.surface, r.address, r.first]),
    [
      ['api', '198.51.100.7', true],
      ['web', '198.51.100.7', false],
    ],
  );
  // Another address is not touched.
  assert.equal(th.isThrottled('198.51.100.8'), false);
  assert.equal(th.failed('198.51.100.8', 'api').refused, false);
  advance(1999);
  assert.equal(th.failed('198.51.100.7', 'api').refused, true);
  advance(2000);
  assert.equal(th.failed('198.51.100.7', 'api').refused, false);
  assert.equal(th.failed('198.51.100.7', 'api').refused, true);
  // A whole window without failures empties the bucket.
  advance(10_000);
  assert.equal(th.isThrottled('198.51.100.7'), false);
  for (let i = 0; i < 5; i++) assert.equal(th.failed('198.51.100.7', 'sip').refused, false);
  assert.equal(refusals.at(-1)!.first, false);
  assert.equal(th.failed('198.51.100.7', 'sip').refused, true);
  assert.equal(refusals.at(-1)!.first, true, 'a new run of refusals is logged again');
});

test('IPv6 addresses count per /64, IPv4-mapped ones as IPv4', () => {
  assert.equal(addressKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
  assert.equal(addressKey('203.0.113.9'), '203.0.113.9');
  const { th } = throttle();
  for (let i = 0; i < 5; i++) th.failed(`2001:db8:0:1::${i + 1}`, 'api');
  assert.equal(th.failed('2001:db8:0:1:ffff::9', 'api').refused, true);
  assert.equal(th.failed('2001:db8:0:2::1', 'api').refused, false);
});

test('memory is bounded: the least recently failing address is forgotten first', () => {
  const { th, advance } = throttle({ maxAddresses: 100 });
  for (let i = 0; i < 5; i++) th.failed('192.0.2.1', 'api');
  for (let n = 0; n < 10_000; n++) {
    th.failed(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, 'api');
    // The throttled address keeps failing, so it stays among the most recent.
    if (n % 50 === 0) th.failed('192.0.2.1', 'api');
    advance(1);
  }
  assert.ok(th.size() <= 100, `${th.size()} addresses tracked`);
  assert.equal(th.isThrottled('192.0.2.1'), true);
});

test('refusals are counted, and the first of a run is logged', () => {
  const counted: string[] = [];
  const logged: object[] = [];
  const report = reportAuthRefusal({
    metrics: { authRefused: (surface) => counted.push(surface) },
    log: { warn: (details) => logged.push(details) },
  });
  report({ surface: 'api', address: '192.0.2.1', retryAfterSeconds: 3, first: true });
  report({ surface: 'api', address: '192.0.2.1', retryAfterSeconds: 3, first: false });
  assert.deepEqual(counted, ['api', 'api']);
  assert.deepEqual(logged, [{ surface: 'api', address: '192.0.2.1', retryAfterSeconds: 3 }]);
});

test('a bad setting is refused', () => {
  assert.throws(() => createAuthThrottle({ config: { maxFailures: 0 } }));
  assert.throws(() => createAuthThrottle({ config: { windowSeconds: Number.NaN } }));
});
