import assert from 'node:assert/strict';
import { test } from 'node:test';
import Value from 'typebox/value';
import {
  resolveSmppCarrierConfig,
  SMPP_CARRIER_DEFAULTS,
  type SmppCarrierConfig,
  SmppCarrierConfigSchema,
} from './config.ts';

const minimal: SmppCarrierConfig = {
  name: 'airtel',
  host: 'smpp.example.in',
  port: 2775,
  systemId: 'acme',
  password: 'secret',
};

test('defaults fill every setting', () => {
  const resolved = resolveSmppCarrierConfig(minimal);
  assert.equal(resolved.window, 10);
  assert.equal(resolved.segmentsPerSecond, 100);
  assert.equal(resolved.responseTimeoutMs, 10_000);
  assert.equal(resolved.enquireLinkSeconds, 30);
  assert.deepEqual(resolved.reconnect, { minMs: 500, maxMs: 30_000 });
  assert.deepEqual(resolved.tlv, SMPP_CARRIER_DEFAULTS.tlv);
  assert.equal(resolved.receiptIdFormat, 'auto');
  assert.equal(resolved.sourceTon, undefined);
  assert.equal(resolved.destTon, 1);
});

test('partial nested settings keep the other defaults', () => {
  const resolved = resolveSmppCarrierConfig({
    ...minimal,
    reconnect: { minMs: 100, maxMs: 1000 },
    tlv: { templateId: 0x1500, tmChain: null },
  });
  assert.deepEqual(resolved.tlv, {
    entityId: 0x1400,
    templateId: 0x1500,
    tmChain: null,
    stringType: 'octet',
  });
});

test('a bad setting names itself', () => {
  assert.throws(
    () => resolveSmppCarrierConfig({ ...minimal, window: 0 }),
    /carrier airtel: invalid configuration: \/window/,
  );
  assert.throws(
    () => resolveSmppCarrierConfig({ ...minimal, tlv: { entityId: 0x001e } }),
    /\/tlv\/entityId/,
  );
  assert.throws(
    () => resolveSmppCarrierConfig({ ...minimal, tlv: { entityId: 0x1401 } }),
    /the DLT tags must differ/,
  );
  assert.throws(
    () => resolveSmppCarrierConfig({ ...minimal, reconnect: { minMs: 5000, maxMs: 1000 } }),
    /minMs must be <= maxMs/,
  );
  assert.equal(Value.Check(SmppCarrierConfigSchema, { ...minimal, colour: 'red' }), false);
  assert.equal(Value.Check(SmppCarrierConfigSchema, { ...minimal, tmChain: ['12'] }), false);
});
