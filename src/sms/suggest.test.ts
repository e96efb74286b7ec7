import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallflowError } from '../errors.ts';
import { inspectSms } from './segments.ts';
import { suggestGsm } from './suggest.ts';

test('curly quotes, dashes, ellipsis and bullets get GSM stand-ins', () => {
  const text = '“Hi” – it’s ready… • Pay now';
  const suggestion = suggestGsm(text);
  assert.equal(suggestion.text, '"Hi" - it\'s ready... - Pay now');
  assert.deepEqual(suggestion.replacements, [
    { index: 0, from: '“', to: '"' },
    { index: 3, from: '”', to: '"' },
    { index: 5, from: '–', to: '-' },
    { index: 9, from: '’', to: "'" },
    { index: 17, from: '…', to: '...' },
    { index: 19, from: '•', to: '-' },
  ]);
  assert.deepEqual(suggestion.remainingNonGsm, []);
  assert.equal(inspectSms(suggestion.text).encoding, 'GSM-7');
});

test('each unicode space becomes one space; zero-width characters are removed', () => {
  const suggestion = suggestGsm('a\u00a0b\u2003c\u202fd\u3000e\tf g\u200bh\ufeffi\u2060j');
  assert.equal(suggestion.text, 'a b c d e f ghij');
});

test('angle quotes map the right way round', () => {
  assert.equal(suggestGsm('‹a› «b»').text, '<a> "b"');
});

test('accents: a decomposed letter composes, accents GSM lacks are dropped', () => {
  const suggestion = suggestGsm('Cafe\u0301 á ç ô é');
  assert.equal(suggestion.text, 'Café a c o é');
  assert.deepEqual(suggestion.replacements[0], { index: 3, from: 'e\u0301', to: 'é' });
});

test('₹, fullwidth forms and symbols get their usual spelling', () => {
  assert.equal(suggestGsm('₹500 ＡＢＣ１２３ ™ ½').text, 'Rs.500 ABC123 TM 1/2');
});

test('what cannot be made GSM is listed at its index in the original text', () => {
  const suggestion = suggestGsm('“OK” नमस्ते 👍🏽');
  assert.equal(suggestion.text, '"OK" नमस्ते 👍🏽');
  assert.deepEqual(suggestion.remainingNonGsm, [
    { char: 'न', index: 5 },
    { char: 'म', index: 6 },
    { char: 'स्ते', index: 7 },
    { char: '👍🏽', index: 12 },
  ]);
});

test('a GSM text comes back unchanged with nothing to propose', () => {
  const text = 'Your OTP is 1234. {Ref} €5';
  assert.deepEqual(suggestGsm(text), { text, replacements: [], remainingNonGsm: [] });
});

test('control characters and NUL are proposed for removal', () => {
  assert.equal(suggestGsm('a\u0000b\u0007c\u0085d').text, 'abcd');
});

test('a non-string throws INVALID_TEXT', () => {
  assert.throws(
    () => suggestGsm(7 as unknown as string),
    (error: unknown) => error instanceof CallflowError && error.code === 'INVALID_TEXT',
  );
});
