import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decimalToHexId,
  hexToDecimalId,
  isFinalState,
  normalizeMessageId,
  parseReceiptText,
  receiptFromDeliverSm,
  receiptState,
  resolveReceiptId,
} from './receipt.ts';

const STANDARD =
  'id:0A1B2C3D sub:001 dlvrd:001 submit date:2411261530 done date:2411261531 stat:DELIVRD err:000 text:Your OTP is 1234';

test('parses the standard receipt text', () => {
  assert.deepEqual(parseReceiptText(STANDARD), {
    id: '0A1B2C3D',
    sub: '001',
    dlvrd: '001',
    submitDate: '2411261530',
    doneDate: '2411261531',
    stat: 'DELIVRD',
    err: '000',
    text: 'Your OTP is 1234',
  });
});

test('parses keys in any case and order, with missing fields and odd spacing', () => {
  assert.deepEqual(parseReceiptText('ID:77  STAT: UNDELIV   Err:001 Submit_Date:2411261530'), {
    id: '77',
    stat: 'UNDELIV',
    err: '001',
    submitDate: '2411261530',
  });
  assert.deepEqual(parseReceiptText('stat:EXPIRED text:id:99 stat:DELIVRD'), {
    stat: 'EXPIRED',
    text: 'id:99 stat:DELIVRD',
  });
  assert.deepEqual(parseReceiptText('no receipt here'), {});
  assert.deepEqual(parseReceiptText('id: sub:001'), { sub: '001' });
});

test('normalises message IDs: lower case, no leading zeros', () => {
  assert.equal(normalizeMessageId(' 000A1B '), 'a1b');
  assert.equal(normalizeMessageId('0000'), '0');
  assert.equal(normalizeMessageId('abc-123'), 'abc-123');
  assert.equal(decimalToHexId('0000439041101'), '1a2b3c4d');
  assert.equal(decimalToHexId('66384e0d'), undefined);
  assert.equal(hexToDecimalId('66384E0D'), '1714966029');
  assert.equal(hexToDecimalId('xyz'), undefined);
  // IDs longer than 2^53 keep every digit.
  assert.equal(decimalToHexId('18446744073709551615'), 'ffffffffffffffff');
});

test('receipt ID formats', () => {
  assert.deepEqual(resolveReceiptId('00001A2B', 'same'), { id: '1a2b', alternates: [] });
  assert.deepEqual(resolveReceiptId('6699', 'hex-submit-decimal-receipt'), {
    id: '1a2b',
    alternates: [],
  });
  assert.deepEqual(resolveReceiptId('1a2b', 'decimal-submit-hex-receipt'), {
    id: '6699',
    alternates: [],
  });
  // A format that does not fit the ID falls back to the ID as given.
  assert.deepEqual(resolveReceiptId('msg-1', 'hex-submit-decimal-receipt'), {
    id: 'msg-1',
    alternates: [],
  });
});

test('auto: a known reading wins; otherwise the ID as given with the other readings', () => {
  const known = new Set(['1a2b3c00']);
  const isKnown = (id: string) => known.has(id);
  assert.deepEqual(resolveReceiptId('439041024', 'auto', isKnown), {
    id: '1a2b3c00',
    alternates: [],
  });
  assert.deepEqual(resolveReceiptId('001A2B3C00', 'auto', isKnown), {
    id: '1a2b3c00',
    alternates: [],
  });
  assert.deepEqual(resolveReceiptId('1234', 'auto', isKnown), {
    id: '1234',
    alternates: ['4d2', '4660'],
  });
  assert.deepEqual(resolveReceiptId('abc', 'auto'), { id: 'abc', alternates: ['2748'] });
});

test('state from message_state first, else from stat; finality', () => {
  assert.equal(receiptState('UNDELIV', 2), 'DELIVERED');
  assert.equal(receiptState('undeliv', undefined), 'UNDELIVERABLE');
  assert.equal(receiptState('REJECTD', 42), 'REJECTED');
  assert.equal(receiptState('WEIRD', undefined), 'UNKNOWN');
  assert.equal(receiptState(undefined, 0), 'ENROUTE');
  assert.equal(isFinalState('DELIVERED'), true);
  assert.equal(isFinalState('UNKNOWN'), true);
  assert.equal(isFinalState('ACCEPTED'), false);
  assert.equal(isFinalState('ENROUTE'), false);
});

const at = new Date('2024-11-26T10:00:00Z');

test('a deliver_sm receipt: the TLV ID is preferred to the text', () => {
  const receipt = receiptFromDeliverSm(
    {
      esm_class: 0x04,
      short_message: { message: STANDARD },
      receipted_message_id: '0a1b2c3e',
      message_state: 5,
    },
    { carrier: 'c', format: 'same', receivedAt: at },
  );
  assert.deepEqual(receipt, {
    carrier: 'c',
    carrierMessageId: 'a1b2c3e',
    state: 'UNDELIVERABLE',
    final: true,
    errorCode: '000',
    submitDate: '2411261530',
    doneDate: '2411261531',
    receivedAt: at,
    raw: STANDARD,
  });
});

test('a receipt in message_payload, with the network error code as fallback', () => {
  const receipt = receiptFromDeliverSm(
    {
      esm_class: 0x04,
      short_message: { message: '' },
      message_payload: { message: 'id:12 stat:EXPIRED' },
      network_error_code: Buffer.from([0x03, 0x00, 0x1b]),
    },
    { carrier: 'c', format: 'same', receivedAt: at },
  );
  assert.equal(receipt?.carrierMessageId, '12');
  assert.equal(receipt?.state, 'EXPIRED');
  assert.equal(receipt?.errorCode, '27');
});

test('not a receipt: an MO message, or a receipt without any ID', () => {
  const context = { carrier: 'c', format: 'auto' as const, receivedAt: at };
  assert.equal(
    receiptFromDeliverSm({ esm_class: 0, short_message: { message: STANDARD } }, context),
    null,
  );
  assert.equal(
    receiptFromDeliverSm({ esm_class: 0x04, short_message: { message: 'stat:DELIVRD' } }, context),
    null,
  );
});
