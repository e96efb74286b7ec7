import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTtlCache } from './ttl-cache.ts';

it('expires entries after the TTL and evicts the oldest beyond the bound', () => {
  let now = 0;
  const cache = createTtlCache<string | undefined>({ ttlMs: 100, maxEntries: 2, now: () => now });
  cache.set('a', 'A');
  cache.set('miss', undefined);
  assert.equal(cache.get('a'), 'A');
  assert.equal(cache.has('miss'), true, 'a cached miss is still an entry');
  now = 99;
  assert.equal(cache.has('a'), true);
  now = 100;
  assert.equal(cache.has('a'), false);
  assert.equal(cache.get('a'), undefined);

  cache.set('x', 'X');
  cache.set('y', 'Y');
  cache.set('z', 'Z');
  assert.equal(cache.has('x'), false, 'oldest dropped');
  assert.equal(cache.get('y'), 'Y');
  assert.equal(cache.get('z'), 'Z');
});

it('deletes by prefix', () => {
  const cache = createTtlCache<number>({ ttlMs: 1000, maxEntries: 10, now: () => 0 });
  cache.set('AC1\ne\n1', 1);
  cache.set('AC1\nt\n2', 2);
  cache.set('AC12\ne\n1', 3);
  cache.deletePrefix('AC1\n');
  assert.equal(cache.has('AC1\ne\n1'), false);
  assert.equal(cache.has('AC1\nt\n2'), false);
  assert.equal(cache.get('AC12\ne\n1'), 3);
});
