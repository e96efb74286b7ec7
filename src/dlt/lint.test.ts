import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REASONS } from '../errors.ts';
import { type LintFinding, lintTemplate } from './lint.ts';

const codes = (findings: LintFinding[]) => findings.map((f) => [f.code, f.severity, f.at]);

test('a well-formed template has no findings', () => {
  assert.deepEqual(
    lintTemplate('Your OTP for Acme Bank login is {#numeric#}. Do not share it with anyone.'),
    [],
  );
  assert.deepEqual(
    lintTemplate(
      'Dear {#var#}, your order {#alphanumeric#} from Acme Mart has been shipped today.',
    ),
    [],
  );
});

test('more than 2 variables is an error; a third with recorded reasons is a warning', () => {
  const three = 'Dear {#var#}, order {#var#} ships on {#var#}. Thank you for shopping with Acme.';
  assert.deepEqual(codes(lintTemplate(three)), [['TEMPLATE_TOO_MANY_VARIABLES', 'error', 37]]);
  assert.deepEqual(codes(lintTemplate(three, { reasonForExtraVariable: true })), [
    ['TEMPLATE_TOO_MANY_VARIABLES', 'warning', 37],
  ]);
  const four =
    'Dear {#var#}, order {#var#} ships on {#var#} at {#var#}. Thank you for shopping with Acme.';
  assert.deepEqual(codes(lintTemplate(four, { reasonForExtraVariable: true })), [
    ['TEMPLATE_TOO_MANY_VARIABLES', 'error', 37],
  ]);
  assert.deepEqual(lintTemplate(three, { limits: { maxVariables: 3 } }), []);
});

test('variables side by side or separated only by spaces, commas or symbols', () => {
  const tail = ', welcome to Acme Bank, we are glad to have you with us.';
  assert.deepEqual(codes(lintTemplate(`Hi {#var#}{#numeric#}${tail}`)), [
    ['TEMPLATE_ADJACENT_VARIABLES', 'error', 10],
  ]);
  for (const sep of [' ', ', ', ' - ', '/', ' & ']) {
    const findings = lintTemplate(`Hi {#var#}${sep}{#var#}${tail}`);
    assert.deepEqual(
      codes(findings),
      [['TEMPLATE_ADJACENT_VARIABLES', 'error', 10 + sep.length]],
      sep,
    );
  }
  assert.deepEqual(lintTemplate(`Hi {#var#} and {#var#}${tail}`), []);
  assert.deepEqual(lintTemplate(`Hi {#var#} से {#var#}${tail}`), []);
});

test('< and > are reported where they are', () => {
  assert.deepEqual(codes(lintTemplate('Use <code> {#var#} at Acme Bank for your login today')), [
    ['TEMPLATE_ANGLE_BRACKETS', 'error', 4],
    ['TEMPLATE_ANGLE_BRACKETS', 'error', 9],
  ]);
});

test('fixed text under 30% of the longest possible message is a warning', () => {
  // 4 fixed characters against 30 for the variable: 12%.
  const findings = lintTemplate('OTP {#numeric#}');
  assert.deepEqual(codes(findings), [['TEMPLATE_LOW_FIXED_TEXT', 'warning', undefined]]);
  assert.match(findings[0]!.message, /12%/);
  // 13 fixed against 30: 30.2%, just enough.
  assert.deepEqual(lintTemplate('Your code is {#var#}'), []);
  // {#alphanumeric#} counts at 40.
  assert.equal(lintTemplate('Your code is {#alphanumeric#}')[0]?.code, 'TEMPLATE_LOW_FIXED_TEXT');
  assert.deepEqual(lintTemplate('No variables at all'), []);
  assert.deepEqual(lintTemplate('OTP {#numeric#}', { limits: { minFixedTextRatio: 0.1 } }), []);
});

test('unknown placeholders, including wrong case, are errors', () => {
  assert.deepEqual(
    codes(lintTemplate('Dear {#VAR#}, welcome to Acme Bank. We are glad to have you {#name#}.')),
    [
      ['TEMPLATE_UNKNOWN_VARIABLE', 'error', 5],
      ['TEMPLATE_UNKNOWN_VARIABLE', 'error', 60],
    ],
  );
});

test('every lint code is in the reason catalogue', () => {
  const all = lintTemplate('<{#VAR#}> {#var#}{#var#} {#var#}');
  const seen = new Set(all.map((f) => f.code));
  assert.deepEqual([...seen].sort(), [
    'TEMPLATE_ADJACENT_VARIABLES',
    'TEMPLATE_ANGLE_BRACKETS',
    'TEMPLATE_LOW_FIXED_TEXT',
    'TEMPLATE_TOO_MANY_VARIABLES',
    'TEMPLATE_UNKNOWN_VARIABLE',
  ]);
  for (const code of seen) assert.equal(REASONS[code].kind, 'lint');
});
