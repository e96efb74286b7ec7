/** The outbound URL guard: internal ranges, URL shapes, resolution of every address, allow-lists. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallflowError } from '../errors.ts';
import { checkOutboundUrl, internalRange, type Lookup, resolveOutbound } from './ssrf.ts';

const blocked = (e: unknown) => e instanceof CallflowError && e.code === 'CALLBACK_URL_BLOCKED';

describe('SSRF guard', () => {
  it('names the internal range of an address, and passes public ones', () => {
    const internal: [string, string][] = [
      ['10.1.2.3', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.251', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'unique local'],
      ['fd12:3456::1', 'unique local'],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['64:ff9b::10.0.0.1', 'private (embedded in 64:ff9b::10.0.0.1)'],
      ['2002:c0a8:0101::1', 'private (embedded in 2002:c0a8:0101::1)'],
    ];
    for (const [ip, range] of internal) assert.equal(internalRange(ip), range, ip);
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ]) {
      assert.equal(internalRange(ip), null, ip);
    }
  });

  it('accepts only absolute http(s) URLs without credentials, and refuses internal IP literals', () => {
    const policy = {};
    assert.equal(
      checkOutboundUrl('https://hooks.example.com/sms?x=1', policy).hostname,
      'hooks.example.com',
    );
    for (const url of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      '/relative',
      'https://user:pw@example.com/',
      'http://10.0.0.1/cb',
      'http://127.0.0.1:8080/cb',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/cb',
      'http://[fc00::1]/cb',
      'http://[::ffff:127.0.0.1]/cb',
      'http://2130706433/cb',
      'http://0x7f.1/cb',
    ]) {
      assert.throws(() => checkOutboundUrl(url, policy), blocked, url);
    }
    assert.equal(
      checkOutboundUrl('http://127.0.0.1:8080/cb', { allowPrivateAddresses: true }).port,
      '8080',
    );
    assert.ok(checkOutboundUrl('http://10.1.2.3/cb', { allowList: ['10.1.0.0/16'] }));
  });

  it('resolves the host and refuses it when any of its addresses is internal', async () => {
    const answers: Record<string, string[]> = {
      'public.test': ['93.184.216.34', '2606:2800:220:1::1'],
      'mixed.test': ['93.184.216.34', '10.0.0.7'],
      'rebind.test': ['127.0.0.1'],
      'v6.test': ['fd00::5'],
    };
    const lookup: Lookup = async (host) =>
      (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const resolve = (url: string, policy = {}) => resolveOutbound(new URL(url), policy, lookup);
    assert.deepEqual(await resolve('https://public.test/x'), {
      address: '93.184.216.34',
      family: 4,
    });
    await assert.rejects(resolve('https://mixed.test/x'), blocked);
    await assert.rejects(resolve('https://rebind.test/x'), blocked);
    await assert.rejects(resolve('https://v6.test/x'), blocked);
    await assert.rejects(resolve('http://[::1]:9/x'), blocked);
    assert.equal(
      (await resolve('https://rebind.test/x', { allowList: ['rebind.test'] })).address,
      '127.0.0.1',
    );
    assert.equal(
      (await resolve('https://mixed.test/x', { allowList: ['10.0.0.0/8'] })).address,
      '93.184.216.34',
    );
    assert.equal(
      (await resolve('https://v6.test/x', { allowPrivateAddresses: true })).address,
      'fd00::5',
    );
    await assert.rejects(
      resolve('https://nowhere.test/x'),
      (e) => !blocked(e),
      'no address is not a block',
    );
  });
});
