import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newMessageSid } from './message-id.ts';

test('message IDs are 32 lowercase hex digits that start with the time', () => {
  const ms = Date.parse('2026-11-26T12:00:00Z');
  const sid = newMessageSid(ms);
  assert.match(sid, /^[0-9a-f]{32}$/);
  assert.equal(Number.parseInt(sid.slice(0, 12), 16), ms);
  assert.match(newMessageSid(), /^[0-9a-f]{32}$/);
  assert.equal(newMessageSid(-5).slice(0, 12), '000000000000');
});

test('message IDs sort by time and do not repeat, across refills of the random pool', () => {
  const ms = Date.now();
  const seen = new Set<string>();
  let previousTime = '';
  for (let i = 0; i < 5000; i++) {
    const sid = newMessageSid(ms + Math.floor(i / 100));
    assert.ok(sid.slice(0, 12) >= previousTime);
    previousTime = sid.slice(0, 12);
    seen.add(sid);
  }
  assert.equal(seen.size, 5000);
  assert.ok(newMessageSid(ms + 1) > newMessageSid(ms).slice(0, 12));
});
