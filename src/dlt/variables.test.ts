import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveLimits } from './model.ts';
import { checkValue, isWhitelistedCallbackNumber, isWhitelistedUrl } from './variables.ts';

const limits = resolveLimits();

test('checkValue: length first, then type, then whitelist', () => {
  assert.equal(checkValue('var', 'x'.repeat(30), limits), null);
  assert.equal(checkValue('var', 'x'.repeat(31), limits), 'DLT_VARIABLE_TOO_LONG');
  assert.equal(checkValue('var', '', limits), null);
  assert.equal(checkValue('numeric', '', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('numeric', '١٢٣', limits), 'DLT_VARIABLE_TYPE'); // Arabic-Indic digits
  assert.equal(checkValue('alphanumeric', 'Ab9', limits), null);
  assert.equal(checkValue('alphanumeric', 'Ab 9', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('email', 'a.b+c@x-y.co.in', limits), null);
  assert.equal(checkValue('email', 'a@b', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('url', 'http://acme.in:8080/a?b=c#d', limits), null);
  assert.equal(checkValue('url', 'acme', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('url', '12.50', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('url', 'acme.in/a b', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(checkValue('cbn', '1800 123 4567', limits), null);
  assert.equal(checkValue('cbn', '12345', limits), 'DLT_VARIABLE_TYPE');
  assert.equal(
    checkValue('url', 'evil.in', limits, { urls: ['acme.in'] }),
    'DLT_URL_NOT_WHITELISTED',
  );
  assert.equal(
    checkValue('cbn', '9876543210', limits, { callbackNumbers: ['+91 98765 43211'] }),
    'DLT_CBN_NOT_WHITELISTED',
  );
  assert.equal(checkValue('var', '😀'.repeat(30), limits), null);
});

test('URL whitelist: same host, path prefix at a boundary, scheme and host case ignored', () => {
  assert.equal(isWhitelistedUrl('https://Acme.in/t/1', ['acme.in']), true);
  assert.equal(isWhitelistedUrl('acme.in/t/1', ['https://acme.in/t']), true);
  assert.equal(isWhitelistedUrl('acme.in/t?x=1', ['acme.in/t']), true);
  assert.equal(isWhitelistedUrl('acme.in/t2', ['acme.in/t']), false);
  assert.equal(isWhitelistedUrl('acme.in/T/1', ['acme.in/t']), false);
  assert.equal(isWhitelistedUrl('sub.acme.in/t', ['acme.in']), false);
  assert.equal(isWhitelistedUrl('acme.in.evil.com', ['acme.in']), false);
  assert.equal(isWhitelistedUrl('acme.in/x', []), false);
});

test('callback number whitelist compares national digits', () => {
  assert.equal(isWhitelistedCallbackNumber('+91 98765 43210', ['09876543210']), true);
  assert.equal(isWhitelistedCallbackNumber('1800-123-4567', ['18001234567']), true);
  assert.equal(isWhitelistedCallbackNumber('1800-123-4567', ['18001234568']), false);
});
