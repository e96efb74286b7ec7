import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './token-bucket.ts';

test('a burst of a tenth of the rate, then one token per 1/rate second', () => {
  const bucket = new TokenBucket(100, 0);
  assert.equal(bucket.capacity, 10);
  for (let i = 0; i < 10; i++) assert.equal(bucket.take(0), 0);
  assert.equal(bucket.take(0), 10);
  assert.equal(bucket.take(5), 5);
  assert.equal(bucket.take(10), 0);
  assert.equal(bucket.take(10), 10);
});

test('a quiet spell refills no more than the capacity', () => {
  const bucket = new TokenBucket(50, 0);
  for (let i = 0; i < bucket.capacity; i++) bucket.take(0);
  let taken = 0;
  while (bucket.take(60_000) === 0) taken++;
  assert.equal(taken, bucket.capacity);
});

test('one second carries at most rate + capacity tokens', () => {
  const bucket = new TokenBucket(20, 0);
  let taken = 0;
  for (let now = 0; now <= 1000; now++) {
    while (bucket.take(now) === 0) taken++;
  }
  assert.ok(taken <= 20 + bucket.capacity, `${taken}`);
  assert.ok(taken >= 20, `${taken}`);
});

test('a slow rate still holds one token', () => {
  const bucket = new TokenBucket(0.5, 0);
  assert.equal(bucket.capacity, 1);
  assert.equal(bucket.take(0), 0);
  assert.equal(bucket.take(0), 2000);
});
