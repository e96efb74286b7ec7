import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CALL_SID_ALPHABET } from '../sms/index.ts';
import { callSidMaker, newCallSid } from './call-sid.ts';

const SHAPE = /^[0-9A-HJKMNP-TV-Z]{16}$/;

test('a CallSid is 16 characters of Crockford Base32: no I, L, O or U, no lowercase', () => {
  assert.equal(CALL_SID_ALPHABET.length, 32);
  assert.equal([...CALL_SID_ALPHABET].sort().join(''), CALL_SID_ALPHABET, 'in ASCII order');
  for (const lookAlike of 'ILOU') assert.equal(CALL_SID_ALPHABET.includes(lookAlike), false);
  for (let i = 0; i < 1000; i++) assert.match(newCallSid(), SHAPE);
  // Fits a DLT {#var#} (30 characters) with room to spare.
  assert.ok(newCallSid().length <= 20);
});

test('CallSids begin with the time and sort in the order they were made', () => {
  const make = callSidMaker(() => 0);
  const at = Date.UTC(2024, 0, 15, 5, 0, 0); // 1705294800000 ms
  const earlier = make(at);
  const later = make(at + 1);
  assert.ok(earlier < later);
  // The milliseconds in base 32, most significant first, then the random part (0 here).
  let expected = '';
  for (let v = at, i = 0; i < 10; i++, v = Math.floor(v / 32)) {
    expected = CALL_SID_ALPHABET[v % 32]! + expected;
  }
  assert.equal(earlier, `${expected}000000`);
  assert.equal(later, `${expected.slice(0, 9)}${CALL_SID_ALPHABET[(at + 1) % 32]}000000`);
  // Many in one millisecond still count up, and the clock stepping back does not reorder them.
  const burst = Array.from({ length: 5000 }, () => make(at + 2));
  const stepBack = make(at - 60_000);
  const all = [later, ...burst, stepBack];
  assert.deepEqual([...all].sort(), all);
  assert.equal(new Set(all).size, all.length);
});

test('CallSids made on the wall clock never repeat', () => {
  const sids = Array.from({ length: 20_000 }, () => newCallSid());
  assert.equal(new Set(sids).size, sids.length);
  assert.deepEqual([...sids].sort(), sids);
});
