import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallflowError } from '../errors.ts';
import { normalizeNumber, parseRecipient, toSmppAddress } from './phone.ts';

test('Indian mobile numbers in every usual form parse to E.164', () => {
  for (const input of [
    '9876543210',
    '09876543210',
    '919876543210',
    '+91 98765 43210',
    '+91-98765-43210',
    ' 0091 98765 43210 ',
  ]) {
    assert.deepEqual(
      parseRecipient(input),
      { ok: true, e164: '+919876543210', type: 'MOBILE', canReceiveSms: true },
      input,
    );
  }
});

test('landlines, toll-free, shared-cost and UAN numbers are NOT_MOBILE', () => {
  const cases: [string, string][] = [
    ['044 2345 6789', '+914423456789'],
    ['(044) 2345-6789', '+914423456789'],
    ['0612 2345678', '+916122345678'],
    ['1800 123 4567', '+9118001234567'],
    ['18601234567', '+9118601234567'],
    ['1401234567', '+911401234567'],
  ];
  for (const [input, e164] of cases) {
    const result = parseRecipient(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) {
      assert.equal(result.code, 'NOT_MOBILE', input);
      assert.equal(result.e164, e164, input);
      assert.match(result.message, /cannot receive SMS/);
    }
  }
  const landline = parseRecipient('044 2345 6789');
  assert.equal(
    !landline.ok && landline.message,
    '+914423456789 is a fixed-line number and cannot receive SMS',
  );
});

test('garbage and impossible numbers are INVALID_NUMBER', () => {
  for (const input of [
    '',
    'abc',
    'call 9876543210',
    '12345',
    '++919876543210',
    '+91 98765 4321x',
    '98765432101234567890123456789012345',
  ]) {
    const result = parseRecipient(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) {
      assert.equal(result.code, 'INVALID_NUMBER', input);
      assert.equal(result.e164, undefined);
    }
  }
});

test('numbers of other countries: mobiles pass, fixed lines do not', () => {
  assert.deepEqual(parseRecipient('+1 415 555 2671'), {
    ok: true,
    e164: '+14155552671',
    type: 'FIXED_LINE_OR_MOBILE',
    canReceiveSms: true,
  });
  assert.equal(parseRecipient('+44 20 7183 8750').ok, false);
  assert.deepEqual(parseRecipient('4155552671', 'US'), {
    ok: true,
    e164: '+14155552671',
    type: 'FIXED_LINE_OR_MOBILE',
    canReceiveSms: true,
  });
});

test('normalizeNumber accepts any valid number, fixed lines included', () => {
  assert.equal(normalizeNumber('044 2345 6789'), '+914423456789');
  assert.equal(normalizeNumber('080-4123-4567'), '+918041234567');
  assert.equal(normalizeNumber('9876543210'), '+919876543210');
  assert.equal(normalizeNumber('not a number'), undefined);
  assert.throws(() => normalizeNumber('9876543210', 'XX'), RangeError);
});

test('toSmppAddress drops the + of an E.164 number', () => {
  assert.equal(toSmppAddress('+919876543210'), '919876543210');
  for (const bad of ['919876543210', '+0123', '+91 98765 43210', '']) {
    assert.throws(
      () => toSmppAddress(bad),
      (error: unknown) => error instanceof CallflowError && error.code === 'INVALID_NUMBER',
      bad,
    );
  }
});
