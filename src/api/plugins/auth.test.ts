import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateApiCredentials, hashToken, tokenMatches } from '../../accounts.ts';
import { CallflowError } from '../../errors.ts';
import { parseBasicAuth } from './auth.ts';

const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

describe('API credentials', () => {
  it('hashes tokens with sha256 hex', () => {
    assert.equal(
      hashToken('abc'),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('generates a random key and token whose hash verifies', () => {
    const a = generateApiCredentials();
    const b = generateApiCredentials();
    assert.match(a.key, /^[0-9a-f]{32}$/);
    // Hex: never starts with '-', so it passes as a command-line value.
    assert.match(a.token, /^[0-9a-f]{64}$/);
    assert.notEqual(a.key, b.key);
    assert.notEqual(a.token, b.token);
    assert.equal(a.tokenHash, hashToken(a.token));
    assert.equal(tokenMatches(a.token, a.tokenHash), true);
    assert.equal(tokenMatches(b.token, a.tokenHash), false);
  });

  it('never matches a stored hash of another form', () => {
    assert.equal(tokenMatches('x', 'scrypt$abc'), false);
    assert.equal(tokenMatches('x', ''), false);
  });
});

describe('parseBasicAuth', () => {
  it('splits user and password at the first colon', () => {
    assert.deepEqual(parseBasicAuth(basic('key:to:ken')), { user: 'key', password: 'to:ken' });
    assert.deepEqual(parseBasicAuth(`basic  ${Buffer.from('k:t').toString('base64')}`), {
      user: 'k',
      password: 't',
    });
  });

  it('returns null for no header or another scheme', () => {
    assert.equal(parseBasicAuth(undefined), null);
    assert.equal(parseBasicAuth('Bearer abc'), null);
  });

  it('refuses Basic credentials without a key', () => {
    for (const bad of [basic('nocolon'), basic(':token')]) {
      assert.throws(
        () => parseBasicAuth(bad),
        (e: unknown) => e instanceof CallflowError && e.code === 'UNAUTHORIZED',
      );
    }
  });
});
