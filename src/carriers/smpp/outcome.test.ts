import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyCommandStatus, describeCommandStatus } from './command-status.ts';
import { messageOutcome, type PartResult, unavailable } from './outcome.ts';

test('command_status: throttling and system errors are transient, the rest permanent', () => {
  assert.equal(classifyCommandStatus(0x58).code, 'CARRIER_THROTTLED');
  assert.equal(classifyCommandStatus(0x14).code, 'CARRIER_THROTTLED');
  assert.deepEqual(classifyCommandStatus(0x08), {
    transient: true,
    code: 'CARRIER_UNAVAILABLE',
    rebind: false,
  });
  assert.equal(classifyCommandStatus(0x04).rebind, true);
  for (const status of [0x0b, 0xc3, 0xc4, 0x45, 0x0a, 0x104, 0xff, 0x01]) {
    assert.deepEqual(classifyCommandStatus(status), {
      transient: false,
      code: 'CARRIER_REJECTED',
      rebind: false,
    });
  }
  assert.equal(describeCommandStatus(0x58), 'ESME_RTHROTTLED (0x58)');
  assert.equal(describeCommandStatus(0x400), '0x400');
});

const accepted = (id: string): PartResult => ({ kind: 'accepted', id });
const rejected: PartResult = {
  kind: 'failed',
  failure: {
    ok: false,
    transient: false,
    code: 'CARRIER_REJECTED',
    commandStatus: 0x0b,
    detail: 'x',
  },
};
const throttled: PartResult = {
  kind: 'failed',
  failure: {
    ok: false,
    transient: true,
    code: 'CARRIER_THROTTLED',
    commandStatus: 0x58,
    detail: 'y',
  },
};

test('all parts accepted: the ids in part order', () => {
  assert.deepEqual(messageOutcome('c', [accepted('a'), accepted('b')]), {
    ok: true,
    carrier: 'c',
    carrierMessageIds: ['a', 'b'],
  });
});

test('a failed part fails the message and reports the accepted parts', () => {
  const outcome = messageOutcome('c', [accepted('a'), throttled, { kind: 'skipped' }]);
  assert.equal(outcome.ok, false);
  assert.deepEqual(outcome, {
    ...(throttled.kind === 'failed' && throttled.failure),
    partsAccepted: ['a'],
  });
});

test('a permanent refusal wins over a transient failure; no partsAccepted when none', () => {
  const outcome = messageOutcome('c', [throttled, rejected]);
  assert.equal(outcome.ok === false && outcome.code, 'CARRIER_REJECTED');
  assert.equal('partsAccepted' in outcome, false);
});

test('unavailable() is a transient CARRIER_UNAVAILABLE', () => {
  assert.deepEqual(unavailable('down'), {
    ok: false,
    transient: true,
    code: 'CARRIER_UNAVAILABLE',
    detail: 'down',
  });
});
