import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  countSeptets,
  encodeGsm7,
  GSM7_BASIC_CHARS,
  GSM7_ESCAPE,
  GSM7_EXTENSION_CHARS,
  GSM7_SEPTETS,
  isGsm7,
} from './gsm7.ts';

const require = createRequire(import.meta.url);

test('the basic table has 127 distinct characters around the escape code', () => {
  assert.equal(GSM7_BASIC_CHARS.length, 128);
  const chars = [...GSM7_BASIC_CHARS].filter((_, code) => code !== GSM7_ESCAPE);
  assert.equal(new Set(chars).size, 127);
  assert.equal(GSM7_BASIC_CHARS[0x00], '@');
  assert.equal(GSM7_BASIC_CHARS[0x02], '$');
  assert.equal(GSM7_BASIC_CHARS[0x11], '_');
  assert.equal(GSM7_BASIC_CHARS[0x24], '¤');
  assert.equal(GSM7_BASIC_CHARS[0x40], '¡');
  assert.equal(GSM7_BASIC_CHARS[0x7f], 'à');
});

test('the septet table agrees with the Unicode-to-GSM map of Twilio’s calculator', () => {
  const twilio: Record<number, number[]> =
    require('sms-segments-calculator/dist/libs/UnicodeToGSM.js').default;
  for (let unit = 0; unit < 0x10000; unit++) {
    const theirs = twilio[unit];
    assert.equal(GSM7_SEPTETS[unit], theirs?.length ?? 0, `U+${unit.toString(16)}`);
    if (theirs !== undefined) {
      assert.deepEqual(
        [...encodeGsm7(String.fromCharCode(unit))!],
        theirs,
        `U+${unit.toString(16)}`,
      );
    }
  }
});

test('extension characters cost two septets and encode as ESC + code', () => {
  assert.equal(GSM7_EXTENSION_CHARS.size, 10);
  assert.equal(countSeptets('\f^{}\\[~]|€'), 20);
  assert.deepEqual([...encodeGsm7('a€\f')!], [0x61, 0x1b, 0x65, 0x1b, 0x0a]);
});

test('isGsm7, countSeptets and encodeGsm7 refuse what is not in the alphabet', () => {
  assert.equal(isGsm7('Hello @ £5 — ok'), false);
  assert.equal(isGsm7('Hello @ £5 - ok'), true);
  assert.equal(countSeptets('₹'), -1);
  assert.equal(countSeptets('`'), -1);
  assert.equal(encodeGsm7('ç'), undefined);
  assert.equal(countSeptets(''), 0);
});
