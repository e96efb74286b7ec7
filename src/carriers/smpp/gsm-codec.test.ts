import assert from 'node:assert/strict';
import { test } from 'node:test';
import smpp from 'smpp';
import { GSM7_BASIC_CHARS } from '../../sms/gsm7.ts';
import { decodeGsm7, decodeUcs2, encodeGsm7, encodeUcs2 } from './gsm-codec.ts';

test('GSM-7: basic characters are one unpacked septet each, at their table code', () => {
  assert.deepEqual([...encodeGsm7('@£$_')], [0x00, 0x01, 0x02, 0x11]);
  assert.deepEqual([...encodeGsm7('Az09 ')], [0x41, 0x7a, 0x30, 0x39, 0x20]);
  assert.deepEqual([...encodeGsm7('¡¿ÄÑàΔ')], [0x40, 0x60, 0x5b, 0x5d, 0x7f, 0x10]);
});

test('GSM-7: extension characters are ESC + code', () => {
  const expected: [string, number][] = [
    ['€', 0x65],
    ['[', 0x3c],
    [']', 0x3e],
    ['{', 0x28],
    ['}', 0x29],
    ['\\', 0x2f],
    ['^', 0x14],
    ['~', 0x3d],
    ['|', 0x40],
    ['\f', 0x0a],
  ];
  for (const [char, code] of expected) {
    assert.deepEqual([...encodeGsm7(char)], [0x1b, code], char);
  }
});

test('GSM-7: every character of both tables round-trips, and the smpp package agrees', () => {
  const text = `${GSM7_BASIC_CHARS.replace('\u0000', '')}€[]{}\\^~|\f`;
  const bytes = encodeGsm7(text);
  assert.equal(decodeGsm7(bytes), text);
  assert.equal(smpp.gsmCoder.decode(bytes, 0), text);
});

test('GSM-7: a character outside the alphabet is a caller bug', () => {
  assert.throws(() => encodeGsm7('price ₹10'), /U\+20B9/);
  assert.throws(() => encodeGsm7('`'), RangeError);
});

test('GSM-7 decoding: undefined escapes fall back to the basic table', () => {
  assert.equal(decodeGsm7(Uint8Array.from([0x1b, 0x41])), 'A');
  assert.equal(decodeGsm7(Uint8Array.from([0x41, 0x1b])), 'A ');
});

test('UCS-2: UTF-16 big-endian, surrogate pairs kept', () => {
  assert.equal(encodeUcs2('नम').toString('hex'), '0928092e');
  assert.equal(encodeUcs2('😀').toString('hex'), 'd83dde00');
  assert.equal(decodeUcs2(encodeUcs2('नमस्ते 😀')), 'नमस्ते 😀');
  assert.equal(decodeUcs2(Uint8Array.from([0x00, 0x41, 0x00])), 'A');
});
