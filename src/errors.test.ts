import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallflowError, coerceError } from './errors.ts';

test('coerceError keeps an Error and wraps anything else, keeping it as the cause', () => {
  const error = new CallflowError('NOT_FOUND', 'No account x.');
  assert.equal(coerceError(error), error);
  const fromString = coerceError('socket hang up');
  assert.ok(fromString instanceof Error);
  assert.equal(fromString.message, 'socket hang up');
  assert.equal(fromString.cause, 'socket hang up');
  const thrown = { code: 'EPIPE' };
  assert.equal(coerceError(thrown).message, '{"code":"EPIPE"}');
  assert.equal(coerceError(thrown).cause, thrown);
  assert.equal(coerceError(undefined).message, 'undefined');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(coerceError(cyclic).message, '[object Object]');
});
