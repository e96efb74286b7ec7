import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Value } from 'typebox/value';
import { SipConfigSchema } from './config.ts';
import { formatNumber, outcomeOfStatus, resolveAgent } from './dial.ts';
import { digestResponse } from './digest.ts';
import { answerChallenge, parseChallenge } from './uac.ts';

const trunk = (numberFormat: '+91' | '91' | '0') => ({
  outbound: { host: 'trunk.test', port: 5060, transport: 'udp' as const, numberFormat },
});

describe('Connect on real calls: rules', () => {
  test('outcomes of an agent’s final status, as the simulator’s', () => {
    assert.equal(outcomeOfStatus(486), 'busy');
    assert.equal(outcomeOfStatus(600), 'busy');
    assert.equal(outcomeOfStatus(408), 'no-answer');
    assert.equal(outcomeOfStatus(480), 'no-answer');
    for (const status of [403, 404, 488, 500, 503, 603])
      assert.equal(outcomeOfStatus(status), 'failed');
  });

  test('the dialled number as the trunk wants it', () => {
    assert.equal(formatNumber('+919812345678', trunk('+91')), '+919812345678');
    assert.equal(formatNumber('+919812345678', trunk('91')), '919812345678');
    assert.equal(formatNumber('+919812345678', trunk('0')), '09812345678');
    assert.equal(formatNumber('+14155550100', trunk('0')), '0014155550100');
  });

  test('numbers need a trunk with outbound settings; users must be configured and registered', async () => {
    const sip = Value.Default(SipConfigSchema, {
      trunks: [
        { name: 'in-only', addresses: ['192.0.2.1'] },
        {
          name: 'out',
          addresses: ['192.0.2.2'],
          outbound: { host: '127.0.0.1', callerId: '+918045678900' },
        },
      ],
      users: [{ username: 'alice', password: 'password-1' }],
    }) as never;
    const leg = { callerNumber: '+919876543210' };
    const none = await resolveAgent(
      '+919812345678',
      { mode: 'sequential', ringSeconds: 5 },
      { sip, registeredContact: () => undefined },
      leg,
    );
    assert.equal('failure' in none && none.failure.code, 'SIP_NO_OUTBOUND_TRUNK');
    const inOnly = await resolveAgent(
      '+919812345678',
      { mode: 'sequential', ringSeconds: 5, trunk: 'in-only' },
      { sip, registeredContact: () => undefined },
      leg,
    );
    assert.equal('failure' in inOnly && inOnly.failure.code, 'SIP_NO_OUTBOUND_TRUNK');
    const out = await resolveAgent(
      '+919812345678',
      { mode: 'sequential', ringSeconds: 5, trunk: 'out' },
      { sip, registeredContact: () => undefined },
      leg,
    );
    assert.ok(!('failure' in out));
    assert.equal(out.uri, 'sip:+919812345678@127.0.0.1:5060');
    assert.equal(out.fromUser, '+918045678900');
    const stranger = await resolveAgent(
      'user:mallory',
      { mode: 'sequential', ringSeconds: 5 },
      { sip, registeredContact: () => 'sip:m@127.0.0.1' },
      leg,
    );
    assert.equal('failure' in stranger && stranger.failure.code, 'SIP_AGENT_UNREACHABLE');
    const away = await resolveAgent(
      'user:alice',
      { mode: 'sequential', ringSeconds: 5 },
      { sip, registeredContact: () => undefined },
      leg,
    );
    assert.equal('failure' in away && away.failure.code, 'SIP_AGENT_UNREACHABLE');
    const home = await resolveAgent(
      'user:alice',
      { mode: 'sequential', ringSeconds: 5 },
      { sip, registeredContact: () => 'sip:alice@127.0.0.1:5070;transport=tcp' },
      leg,
    );
    assert.ok(!('failure' in home));
    assert.deepEqual(home.peer, { transport: 'TCP', address: '127.0.0.1', port: 5070 });
  });

  test('a digest challenge is answered as RFC 2617 and RFC 8760 say', () => {
    for (const algorithm of ['MD5', 'SHA-256'] as const) {
      const challenge = `Digest realm="trunk", nonce="abc123", algorithm=${algorithm}, qop="auth", opaque="xyz"`;
      const answer = answerChallenge(
        challenge,
        { username: 'acme', password: 'pw' },
        'INVITE',
        'sip:+91@t',
      )!;
      const fields = parseChallenge(answer.replace(/^Digest /, 'Digest '))!;
      assert.equal(fields.get('opaque'), 'xyz');
      assert.equal(fields.get('qop'), 'auth');
      const expected = digestResponse({
        algorithm,
        username: 'acme',
        realm: 'trunk',
        password: 'pw',
        method: 'INVITE',
        uri: 'sip:+91@t',
        nonce: 'abc123',
        qop: 'auth',
        nc: fields.get('nc'),
        cnonce: fields.get('cnonce'),
      });
      assert.equal(fields.get('response'), expected);
    }
    assert.equal(
      answerChallenge('Basic realm="x"', { username: 'a', password: 'b' }, 'INVITE', 'sip:x'),
      undefined,
    );
    assert.equal(
      answerChallenge(
        'Digest realm="x", nonce="n", algorithm=SHA-512',
        { username: 'a', password: 'b' },
        'INVITE',
        'sip:x',
      ),
      undefined,
    );
  });
});
