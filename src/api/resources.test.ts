import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Message } from '../store/types.ts';
import { reasonDescription, toMessageDetail, toMessageResource } from './resources.ts';

it('explains a reason code with its detail', () => {
  assert.equal(reasonDescription(null, null), null);
  assert.equal(
    reasonDescription('DND_BLOCKED', null),
    "The recipient's DND preferences block this message's category.",
  );
  assert.match(
    reasonDescription('CARRIER_REJECTED', 'command_status 0x45') ?? '',
    /\(command_status 0x45\)$/,
  );
});

const at = new Date('2025-01-02T03:04:05.000Z');
const message: Message = {
  sid: 'SM1',
  accountSid: 'AC1',
  origin: { kind: 'flow', callSid: 'CA1', flowId: 'FL1', appletId: 'missed' },
  to: '+919812345678',
  senderId: 'ACMECO',
  body: 'Hello',
  smsType: 'transactional',
  dltEntityId: '1101166000000000001',
  dltTemplateId: '1107166000000000001',
  encoding: 'GSM-7',
  segments: 1,
  statusCallback: null,
  callbackFormat: 'json',
  customField: 'order-7',
  idempotencyKey: null,
  requestHash: null,
  validUntil: new Date('2025-01-03T03:04:05.000Z'),
  status: 'failed',
  reasonCode: 'INSUFFICIENT_BALANCE',
  reasonDetail: null,
  pricePaise: 25,
  carrier: 'sim',
  carrierMessageIds: ['abc'],
  attempts: 1,
  nextAttemptAt: at,
  leaseOwner: null,
  leaseUntil: null,
  createdAt: at,
  updatedAt: at,
  submittedAt: null,
  doneAt: at,
};

it('maps a message to its resource', () => {
  const r = toMessageResource(message);
  assert.equal(r.from, 'ACMECO');
  assert.equal(r.price, '0.25');
  assert.equal(r.pricePaise, 25);
  assert.deepEqual(r.origin, { kind: 'flow', callSid: 'CA1', flowId: 'FL1', appletId: 'missed' });
  assert.equal(r.reasonDescription, "The account's balance does not cover the message's segments.");
  assert.equal(r.createdAt, '2025-01-02T03:04:05.000Z');
  assert.equal(r.submittedAt, null);
  assert.equal(r.doneAt, '2025-01-02T03:04:05.000Z');
  assert.equal(toMessageResource({ ...message, pricePaise: null }).price, null);
  assert.deepEqual(toMessageResource({ ...message, origin: { kind: 'api' } }).origin, {
    kind: 'api',
  });
});

it('adds transitions and parts to the detail resource', () => {
  const d = toMessageDetail(
    message,
    [{ messageSid: 'SM1', status: 'queued', at, reasonCode: null, detail: null }],
    [
      {
        messageSid: 'SM1',
        seq: 1,
        carrier: 'sim',
        carrierMessageId: 'abc',
        state: 'DELIVERED',
        errorCode: '000',
        updatedAt: at,
      },
    ],
  );
  assert.deepEqual(d.transitions, [
    { status: 'queued', at: '2025-01-02T03:04:05.000Z', reasonCode: null, detail: null },
  ]);
  assert.deepEqual(d.parts, [
    { seq: 1, carrierMessageId: 'abc', state: 'DELIVERED', errorCode: '000' },
  ]);
});
