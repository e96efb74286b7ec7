import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DigestAuthenticator, digestResponse, parseAuthorization } from './digest.ts';

function authorize(
  auth: DigestAuthenticator,
  algorithm: 'MD5' | 'SHA-256',
  password: string,
  nonce = auth.nonce(),
): string {
  const response = digestResponse({
    algorithm,
    username: 'alice',
    realm: auth.realm,
    password,
    method: 'INVITE',
    uri: 'sip:+918045678900@127.0.0.1',
    nonce,
    qop: 'auth',
    nc: '00000001',
    cnonce: 'c0ffee',
  });
  return `Digest username="alice", realm="${auth.realm}", nonce="${nonce}", uri="sip:+918045678900@127.0.0.1", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="c0ffee"`;
}

describe('digest authentication', () => {
  const passwords = (u: string) => (u === 'alice' ? 'wonderland' : undefined);

  it('accepts MD5 and SHA-256 with the right password only', () => {
    const auth = new DigestAuthenticator('callflow');
    for (const algorithm of ['MD5', 'SHA-256'] as const) {
      assert.deepEqual(auth.verify('INVITE', authorize(auth, algorithm, 'wonderland'), passwords), {
        ok: true,
        username: 'alice',
      });
      const wrong = auth.verify('INVITE', authorize(auth, algorithm, 'guess'), passwords);
      assert.equal(wrong.ok, false);
      // The response covers the method: the same header does not pass for another method.
      assert.equal(
        auth.verify('REGISTER', authorize(auth, algorithm, 'wonderland'), passwords).ok,
        false,
      );
    }
  });

  it('matches the RFC 2617 §3.5 example', () => {
    assert.equal(
      digestResponse({
        algorithm: 'MD5',
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        qop: 'auth',
        nc: '00000001',
        cnonce: '0a4f113b',
      }),
      '6629fae49393a05397450978507c4ef1',
    );
  });

  it('refuses forged nonces and reports old ones as stale', () => {
    let now = 1_000_000;
    const auth = new DigestAuthenticator('callflow', () => now);
    const forged = authorize(auth, 'MD5', 'wonderland', `${now.toString(16)}.deadbeef`);
    assert.deepEqual(auth.verify('INVITE', forged, passwords), {
      ok: false,
      stale: false,
      username: 'alice',
    });
    const header = authorize(auth, 'MD5', 'wonderland');
    now += 10 * 60_000;
    assert.deepEqual(auth.verify('INVITE', header, passwords), {
      ok: false,
      stale: true,
      username: 'alice',
    });
  });

  it('offers SHA-256 first, then MD5', () => {
    const challenges = new DigestAuthenticator('callflow').challenges();
    assert.match(challenges[0]!, /algorithm=SHA-256/);
    assert.match(challenges[1]!, /algorithm=MD5/);
  });

  it('parses headers leniently but refuses unknown algorithms and missing fields', () => {
    assert.equal(parseAuthorization('Basic abc'), undefined);
    assert.equal(parseAuthorization('Digest username="a", realm="r"'), undefined);
    assert.equal(
      parseAuthorization(
        'Digest username="a",realm="r",nonce="n",uri="u",response="x",algorithm=SHA-512',
      ),
      undefined,
    );
    assert.equal(
      parseAuthorization('Digest username="a\\"b",realm="r",nonce="n",uri="u",response="AB"')
        ?.username,
      'a"b',
    );
  });
});
