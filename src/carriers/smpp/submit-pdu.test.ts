import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { CallflowError } from '../../errors.ts';
import type { CarrierSubmit } from '../types.ts';
import { resolveSmppCarrierConfig, type SmppCarrierConfig } from './config.ts';
import { dltTlvName, tmChainHash } from './dlt-tlv.ts';
import {
  buildSubmitParts,
  concatenationUdh,
  destinationAddress,
  relativeValidity,
  sourceAddress,
} from './submit-pdu.ts';

const base: SmppCarrierConfig = { name: 'c', host: 'h', port: 2775, systemId: 's', password: 'p' };
const config = (more: Partial<SmppCarrierConfig> = {}) =>
  resolveSmppCarrierConfig({ ...base, ...more });

const msg: CarrierSubmit = {
  messageId: 'SM1',
  to: '+919876543210',
  senderId: 'ACMECO',
  encoding: 'GSM-7',
  parts: ['Hello'],
};

test('source TON/NPI: alphanumeric 5/0, digits 0/1, + number 1/1; config overrides', () => {
  assert.deepEqual(sourceAddress('ACMECO', config()), { ton: 5, npi: 0, addr: 'ACMECO' });
  assert.deepEqual(sourceAddress('567890', config()), { ton: 0, npi: 1, addr: '567890' });
  assert.deepEqual(sourceAddress('+918012345678', config()), {
    ton: 1,
    npi: 1,
    addr: '918012345678',
  });
  assert.deepEqual(sourceAddress('ACMECO', config({ sourceTon: 3 })), {
    ton: 3,
    npi: 0,
    addr: 'ACMECO',
  });
});

test('destination: 91XXXXXXXXXX with TON 1 / NPI 1', () => {
  assert.deepEqual(destinationAddress('+919876543210', config()), {
    ton: 1,
    npi: 1,
    addr: '919876543210',
  });
  assert.deepEqual(destinationAddress('919876543210', config({ destTon: 2 })).ton, 2);
});

test('validity_period in the relative format', () => {
  assert.equal(relativeValidity(3600), '000000010000000R');
  assert.equal(relativeValidity(2 * 86_400 + 3 * 3600 + 4 * 60 + 5), '000002030405000R');
  assert.equal(relativeValidity(10 ** 9), '000099235959000R');
});

test('UDH: 05 00 03 ref total seq', () => {
  assert.equal(concatenationUdh(0x1a2, 3, 2).toString('hex'), '050003a20302');
});

test('one part: no UDH, data_coding 0, registered_delivery 1, the DLT TLVs, validity', () => {
  const [part, ...rest] = buildSubmitParts(
    {
      ...msg,
      dltEntityId: '1101166000000000001',
      dltTemplateId: '1107166000000000001',
      validitySeconds: 60,
    },
    config({ tmChain: ['1302157243747322354'] }),
    0,
  );
  assert.equal(rest.length, 0);
  assert.equal(part?.esm_class, 0);
  assert.equal(part?.data_coding, 0);
  assert.equal(part?.registered_delivery, 1);
  assert.equal(part?.validity_period, '000000000100000R');
  assert.deepEqual(part?.short_message, Buffer.from('Hello'));
  assert.equal(part?.[dltTlvName(0x1400, 'octet')], '1101166000000000001');
  assert.equal(part?.[dltTlvName(0x1401, 'octet')], '1107166000000000001');
  assert.equal(
    part?.[dltTlvName(0x1402, 'octet')],
    createHash('sha256').update('1101166000000000001,1302157243747322354').digest('hex'),
  );
});

test('DLT TLVs are sent only when configured and present', () => {
  const [noIds] = buildSubmitParts(msg, config({ tmChain: ['1302157243747322354'] }), 0);
  assert.equal(
    Object.keys(noIds!).some((key) => key.startsWith('callflow_dlt_')),
    false,
  );
  const [noTags] = buildSubmitParts(
    { ...msg, dltEntityId: '1101166000000000001', dltTemplateId: '1107166000000000001' },
    config({ tlv: { entityId: null, templateId: 0x1500, tmChain: null, stringType: 'cstring' } }),
    0,
  );
  const dltKeys = Object.keys(noTags!).filter((key) => key.startsWith('callflow_dlt_'));
  assert.deepEqual(dltKeys, ['callflow_dlt_1500_cstring']);
});

test('the chain hash is SHA-256 hex of the comma-joined chain', () => {
  assert.equal(
    tmChainHash(['PE', 'TM1', 'TM2']),
    createHash('sha256').update('PE,TM1,TM2').digest('hex'),
  );
});

test('several parts: UDH with the shared reference, esm_class 0x40, UCS-2 as UTF-16BE', () => {
  const parts = buildSubmitParts({ ...msg, encoding: 'UCS-2', parts: ['नम', 'स्ते'] }, config(), 7);
  assert.equal(parts.length, 2);
  for (const [i, part] of parts.entries()) {
    assert.equal(part.esm_class, 0x40);
    assert.equal(part.data_coding, 8);
    const { udh } = part.short_message as { udh: Buffer; message: Buffer };
    assert.equal(udh.toString('hex'), `05000307020${i + 1}`);
  }
  assert.equal(
    (parts[0]!.short_message as { message: Buffer }).message.toString('hex'),
    '0928092e',
  );
});

test('caller bugs throw before anything is sent', () => {
  const bug = (m: Partial<CarrierSubmit>) => () => buildSubmitParts({ ...msg, ...m }, config(), 0);
  assert.throws(bug({ parts: ['₹'] }), CallflowError);
  assert.throws(bug({ parts: ['x'.repeat(161)] }), /161 septets exceeds 160/);
  assert.throws(bug({ parts: ['x'.repeat(154), 'y'] }), /exceeds 153/);
  assert.throws(bug({ encoding: 'UCS-2', parts: ['न'.repeat(71)] }), /142 octets exceeds 140/);
  assert.throws(bug({ parts: [] }), /1 to 255 parts/);
  assert.doesNotThrow(bug({ parts: ['€'.repeat(80)] }));
});
