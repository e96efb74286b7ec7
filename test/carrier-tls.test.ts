/**
 * SMPP over TLS: the client against the carrier simulator serving TLS on loopback, with a
 * certificate made for the test by openssl. The client verifies the certificate: it binds when
 * it trusts the issuer and the name matches, and refuses the connection otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DeliveryReceipt } from '../src/carriers/index.ts';
import { eventually, sms, startCarrier, startSimulator } from './carrier-helpers.ts';

let dir: string;
let certFile: string;
let tls: { key: Buffer; cert: Buffer };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'callflow-tls-'));
  certFile = join(dir, 'smsc.pem');
  const keyFile = join(dir, 'smsc.key');
  // A self-signed certificate for the name smsc.test only (not 127.0.0.1).
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=smsc.test',
      '-addext',
      'subjectAltName=DNS:smsc.test',
    ],
    { stdio: 'pipe' },
  );
  tls = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('binds over TLS to a carrier it trusts, submits and receives its receipts', async (t) => {
  const { sim, port } = await startSimulator(t, { tls, receiptDelayMs: 20 });
  const carrier = await startCarrier(t, port, {
    tls: true,
    tlsCaFile: certFile,
    tlsServername: 'smsc.test',
  });
  assert.equal(carrier.status().state, 'bound', carrier.status().lastError);
  const receipts: DeliveryReceipt[] = [];
  carrier.onReceipt(async (r) => {
    receipts.push(r);
  });
  const outcome = await carrier.submit(sms());
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.equal(sim.received()[0]?.text, 'Your OTP is 4821');
  const [receipt] = await eventually(() => receipts.length > 0 && receipts, 3000, 'the receipt');
  assert.equal(receipt!.carrierMessageId, outcome.carrierMessageIds[0]);
  assert.equal(receipt!.state, 'DELIVERED');
});

test('refuses a certificate it does not trust, and never binds', async (t) => {
  const { sim, port } = await startSimulator(t, { tls });
  const carrier = await startCarrier(t, port, { tls: true, tlsServername: 'smsc.test' });
  assert.notEqual(carrier.status().state, 'bound');
  assert.match(carrier.status().lastError ?? '', /self[- ]signed certificate/i);
  assert.equal(sim.stats().binds, 0, 'no credentials were sent');
  const outcome = await carrier.submit(sms());
  assert.equal(outcome.ok === false && outcome.code, 'CARRIER_UNAVAILABLE');
});

test('refuses a trusted certificate issued for another name', async (t) => {
  const { sim, port } = await startSimulator(t, { tls });
  // Connecting to 127.0.0.1, which the certificate does not list.
  const carrier = await startCarrier(t, port, { tls: true, tlsCaFile: certFile });
  assert.notEqual(carrier.status().state, 'bound');
  assert.match(carrier.status().lastError ?? '', /not in the cert's altnames|does not match/i);
  assert.equal(sim.stats().binds, 0);
});

test('a TLS setting without tls, or an unreadable CA file, is refused at start-up', async (t) => {
  const { port } = await startSimulator(t, { tls });
  await assert.rejects(
    startCarrier(t, port, { tlsCaFile: certFile }),
    /tls must be true for tlsCaFile or tlsServername/,
  );
  await assert.rejects(
    startCarrier(t, port, { tls: true, tlsCaFile: join(dir, 'missing.pem') }),
    /cannot read tlsCaFile .*missing\.pem/,
  );
});
