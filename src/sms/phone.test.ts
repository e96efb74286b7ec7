import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
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

test('parseRecipient results are cached, frozen and the same as a fresh parse', () => {
  const first = parseRecipient('098765 12345');
  assert.ok(Object.isFrozen(first));
  // The same input and the E.164 form it parsed to are served from the cache.
  assert.equal(parseRecipient('098765 12345'), first);
  assert.equal(parseRecipient('+919876512345'), first);
  assert.deepEqual(first, {
    ok: true,
    e164: '+919876512345',
    type: 'MOBILE',
    canReceiveSms: true,
  });
  // The region is part of the key: a national US number is not the Indian one.
  assert.notDeepEqual(parseRecipient('9876512345', 'US'), parseRecipient('9876512345'));
  // Refusals keep the caller's input in their message.
  assert.match((parseRecipient(' nope ') as { message: string }).message, /" nope "/);
  // An unknown region still throws every time.
  assert.throws(() => parseRecipient('9876543210', 'XX'), RangeError);
  assert.throws(() => parseRecipient('9876543210', 'XX'), RangeError);
});

test('the recipient cache is bounded: old entries are parsed again, with the same result', () => {
  const early = parseRecipient('+919800000000');
  for (let i = 1; i <= 10_000; i++) parseRecipient(`+9198${String(i).padStart(8, '0')}`);
  const again = parseRecipient('+919800000000');
  assert.notEqual(again, early);
  assert.deepEqual(again, early);
});

test('parseRecipient agrees with isValid() and getType() of libphonenumber-js, number by number', () => {
  const inputs = [
    '9876543210',
    '+91 98765 43210',
    '044 2345 6789',
    '1800 180 1111',
    '+91 1860 123 4567',
    '+91 98765 4321',
    '+91 12345 67890',
    '+14155552671',
    '+1 800 555 0100',
    '+44 20 7183 8750',
    '+44 7911 123456',
    '+971 50 123 4567',
    '+882 1234 5678',
    '+800 1234 5678',
    '+999 123',
    '12',
    '000000000000',
  ];
  for (let i = 0; i < 40; i++) inputs.push(`+9170${String(i * 7919).padStart(8, '0')}`);
  for (const input of inputs) {
    const number = parsePhoneNumberFromString(input.trim(), {
      defaultCountry: 'IN',
      extract: false,
    });
    const result = parseRecipient(input);
    if (number === undefined || !number.isValid()) {
      assert.equal(result.ok, false, input);
      assert.equal(result.ok === false && result.code, 'INVALID_NUMBER', input);
    } else if (result.ok) {
      assert.equal(result.e164, number.number, input);
      assert.equal(result.type, number.getType(), input);
    } else {
      assert.equal(result.code, 'NOT_MOBILE', input);
      assert.equal(result.e164, number.number, input);
    }
  }
});
