import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CALL_VARIABLES, formatDateTime, renderBody, variablesOf } from './variables.ts';

const JAN_15_0500_UTC = new Date('2024-01-15T05:00:00Z');
const kolkata = { now: JAN_15_0500_UTC, timeZone: 'Asia/Kolkata' };

test('variablesOf finds call and passthru variables in order', () => {
  const body = 'Hi {CallFrom}, slot {book.slot} at {book.slot.time} ref {CallSid}.';
  assert.deepEqual(variablesOf(body), [
    { name: 'CallFrom', kind: 'call', index: 3, length: 10 },
    { name: 'book.slot', kind: 'passthru', appletId: 'book', field: 'slot', index: 20, length: 11 },
    {
      name: 'book.slot.time',
      kind: 'passthru',
      appletId: 'book',
      field: 'slot.time',
      index: 35,
      length: 16,
    },
    { name: 'CallSid', kind: 'call', index: 56, length: 9 },
  ]);
});

test('identifiers may hold digits, _ and -', () => {
  assert.deepEqual(
    variablesOf('{passthru-2.order_id}').map((v) => [v.appletId, v.field]),
    [['passthru-2', 'order_id']],
  );
});

test('braces that are not variables stay literal and are not listed', () => {
  for (const body of [
    '{ hello }',
    '{hello}',
    '{#var#}',
    '{}',
    '{123abc',
    '{CallFrom',
    '{callfrom}',
    '{.field}',
    '{book.}',
    '{book..slot}',
    '{Call From}',
  ]) {
    assert.deepEqual(variablesOf(body), [], body);
    assert.equal(renderBody(body, { CallFrom: 'x' }, kolkata), body, body);
  }
});

test('renderBody replaces each variable and copies the rest unchanged', () => {
  const body = 'Thank you for calling Acme. Ref {CallSid}. Slot: {book.slot} {#var#} {{Digits}}';
  const rendered = renderBody(
    body,
    { CallSid: 'abc123', 'book.slot': '10:30', Digits: '42' },
    kolkata,
  );
  assert.equal(rendered, 'Thank you for calling Acme. Ref abc123. Slot: 10:30 {#var#} {42}');
});

test('a variable with no value renders as the empty string', () => {
  assert.equal(renderBody('[{Digits}] [{book.slot}]', {}, kolkata), '[] []');
  assert.equal(renderBody('[{Digits}]', { Digits: undefined }, kolkata), '[]');
});

test('values are inserted as they are, never rendered again', () => {
  assert.equal(renderBody('{Digits}', { Digits: '{CallSid}' }, kolkata), '{CallSid}');
});

test('{DateTime} is clock.now in clock.timeZone unless a value is given', () => {
  assert.equal(renderBody('At {DateTime}', {}, kolkata), 'At 2024-01-15 10:30');
  assert.equal(
    renderBody('At {DateTime}', {}, { now: JAN_15_0500_UTC, timeZone: 'America/New_York' }),
    'At 2024-01-15 00:00',
  );
  assert.equal(renderBody('At {DateTime}', { DateTime: 'noon' }, kolkata), 'At noon');
});

test('formatDateTime uses a 24-hour clock and crosses dates correctly', () => {
  assert.equal(
    formatDateTime(new Date('2024-12-31T18:29:00Z'), 'Asia/Kolkata'),
    '2024-12-31 23:59',
  );
  assert.equal(
    formatDateTime(new Date('2024-12-31T18:30:00Z'), 'Asia/Kolkata'),
    '2025-01-01 00:00',
  );
  assert.equal(formatDateTime(new Date('2024-07-01T12:05:00Z'), 'UTC'), '2024-07-01 12:05');
  assert.throws(() => formatDateTime(JAN_15_0500_UTC, 'Mars/Olympus'), RangeError);
});

test('CALL_VARIABLES examples fit their own shapes', () => {
  const charsets = {
    digits: /^[0-9]*$/,
    'digits-plus': /^\+[0-9]+$/,
    'call-sid': /^[0-9A-HJKMNP-TV-Z]+$/,
    datetime: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/,
  };
  for (const [name, shape] of Object.entries(CALL_VARIABLES)) {
    assert.ok(shape.example.length >= shape.minLength, name);
    assert.ok(shape.example.length <= shape.maxLength, name);
    assert.match(shape.example, charsets[shape.charset], name);
  }
  assert.equal(CALL_VARIABLES.CallSid.minLength, 16);
  assert.equal(CALL_VARIABLES.CallSid.maxLength, 16);
  assert.equal(
    formatDateTime(JAN_15_0500_UTC, 'Asia/Kolkata').length,
    CALL_VARIABLES.DateTime.maxLength,
  );
});
