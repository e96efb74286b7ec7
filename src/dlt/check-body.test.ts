import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 as prng } from '../../bench/corpus.ts';
import type { VariableShape } from './body.ts';
import { ANY_SHAPE, type BodyCheck, checkBody, DEFAULT_VARIABLE_SHAPES } from './check-body.ts';
import { matchTemplate } from './match.ts';

const GUIDE =
  'Thank you for calling {#var#}. Your reference number is {#var#}. For support, call {#var#}.';

test("the guide's example: {CallSid} (16 characters) fits {#var#} (30), so always", () => {
  const body =
    'Thank you for calling Acme Corp. Your reference number is {CallSid}. For support, call 1800-XXX-XXXX.';
  assert.deepEqual(checkBody(body, GUIDE), { verdict: 'always' });
  // Every call variable of the guide fits a {#var#} on its own.
  for (const name of ['CallFrom', 'CallTo', 'CallSid', 'DateTime']) {
    assert.deepEqual(
      checkBody(body.replace('{CallSid}', `{${name}}`), GUIDE),
      { verdict: 'always' },
      name,
    );
  }
  // The CallSids of calls made before (32 hex characters) would not have fit.
  const hex: VariableShape = { runs: [{ min: 32, max: 32, chars: '0123456789abcdef' }] };
  assert.deepEqual(checkBody(body, GUIDE, { variableShapes: { CallSid: hex } }), {
    verdict: 'never',
    code: 'DLT_VARIABLE_TOO_LONG',
    reason: '{CallSid} is always 32 characters; {#var#} allows at most 30.',
    at: 58,
    expected: '{#var#} (at most 30 characters)',
    found: '{CallSid}',
  });
});

test("the guide's example message as printed does not match the guide's template", () => {
  // The guide's example body says "For further assistance, call us at" where its template says
  // "For support, call": fixed text departs, whatever the CallSid.
  const printed =
    'Thank you for calling Acme Corp. Your reference number is {CallSid}.\nFor further assistance, call us at 1800-XXX-XXXX.';
  const result = checkBody(printed, GUIDE);
  assert.equal(result.verdict, 'never');
  assert.equal(result.verdict === 'never' && result.code, 'DLT_TEMPLATE_MISMATCH');
});

test('always: every value of the call variables fits', () => {
  assert.deepEqual(
    checkBody(
      'Thank you for calling Acme Corp. Your reference number is {DateTime}. For support, call {CallTo}.',
      GUIDE,
    ),
    { verdict: 'always' },
  );
  assert.deepEqual(
    checkBody(
      'Hi {CallFrom}, we missed your call at {DateTime}.',
      'Hi {#var#}, we missed your call at {#var#}.',
    ),
    { verdict: 'always' },
  );
  assert.deepEqual(checkBody('Your code is {CallSid}', 'Your code is {#alphanumeric#}'), {
    verdict: 'always',
  });
  assert.deepEqual(checkBody('Your OTP is 1234.', 'Your OTP is {#numeric#}.'), {
    verdict: 'always',
  });
});

test('never: the fixed text departs, with position, expected and found', () => {
  assert.deepEqual(checkBody('Your otp is {Digits}.', 'Your OTP is {#numeric#}.'), {
    verdict: 'never',
    code: 'DLT_TEMPLATE_MISMATCH',
    reason: 'The body\'s text departs from the template at 5: expected "OTP is ", found "otp is ".',
    at: 5,
    expected: 'OTP is ',
    found: 'otp is ',
  });
  const r = checkBody(
    'Hi {CallFrom}, we missed your call at {DateTime}!',
    'Hi {#var#}, we missed your call at {#var#}.',
  );
  assert.equal(r.verdict, 'never');
  assert.equal(r.code, 'DLT_TEMPLATE_MISMATCH');
  assert.equal(r.at, 49);
  assert.equal(r.expected, '.');
  const ref = checkBody(
    'Thank you for calling Acme Corp. Your reference no is {DateTime}. For support, call 1800.',
    GUIDE,
  );
  assert.deepEqual([ref.verdict, ref.at, ref.expected], ['never', 49, 'umber is ']);
});

test('never: a call variable can never have the type', () => {
  const r = checkBody('Your OTP is {CallFrom}.', 'Your OTP is {#numeric#}.');
  assert.deepEqual(r, {
    verdict: 'never',
    code: 'DLT_VARIABLE_TYPE',
    reason: "{CallFrom} always contains '+' that {#numeric#} does not allow (digits only).",
    at: 12,
    expected: '{#numeric#} (digits only, at most 30 characters)',
    found: '{CallFrom}',
  });
  const both = checkBody('Ref {CallSid} at {DateTime}', 'Ref {#var#}');
  assert.equal(both.verdict, 'never');
  assert.equal(both.code, 'DLT_VARIABLE_TOO_LONG');
  assert.equal(
    both.reason,
    '"{CallSid} at {DateTime}" is always 36 characters; {#var#} allows at most 30.',
  );
});

test('bodies without variables are checked exactly like a message', () => {
  const r = checkBody('Your OTP is 12a4.', 'Your OTP is {#numeric#}.');
  assert.equal(r.verdict, 'never');
  assert.equal(r.code, 'DLT_VARIABLE_TYPE');
  assert.equal(r.found, '12a4');
  const url = checkBody('Visit evil.in/x now', 'Visit {#url#} now', {
    whitelist: { urls: ['acme.in'] },
  });
  assert.equal(url.code, 'DLT_URL_NOT_WHITELISTED');
});

test('depends: on values of unknown length or shape, naming the variables', () => {
  assert.deepEqual(
    checkBody(
      'Thank you for calling {book.name}. Your reference number is {DateTime}. For support, call 1800.',
      GUIDE,
    ),
    {
      verdict: 'depends',
      code: 'DLT_VARIABLE_TOO_LONG',
      reason: 'Matches only when {book.name} fits {#var#} (at most 30 characters).',
      dependsOn: ['book.name'],
    },
  );
  const digits = checkBody('Your OTP is {Digits}.', 'Your OTP is {#numeric#}.');
  assert.deepEqual([digits.verdict, digits.dependsOn], ['depends', ['Digits']]);
  const whole = checkBody('{p.body}', 'Your OTP is {#numeric#}.');
  assert.deepEqual([whole.verdict, whole.dependsOn], ['depends', ['p.body']]);
  const off = checkBody(
    'Visit evil.in/x for details, {p.n}.',
    'Visit {#url#} for details, {#var#}.',
    {
      whitelist: { urls: ['acme.in'] },
    },
  );
  assert.deepEqual([off.verdict, off.code], ['depends', 'DLT_URL_NOT_WHITELISTED']);
});

test('default shapes of call variables', () => {
  assert.deepEqual(Object.keys(DEFAULT_VARIABLE_SHAPES).sort(), [
    'CallFrom',
    'CallSid',
    'CallTo',
    'DateTime',
    'Digits',
  ]);
  const length = (s: VariableShape) =>
    s.runs.reduce((n, r) => [n[0]! + r.min, n[1]! + r.max], [0, 0]);
  assert.deepEqual(length(DEFAULT_VARIABLE_SHAPES.CallFrom!), [13, 13]);
  assert.deepEqual(length(DEFAULT_VARIABLE_SHAPES.CallSid!), [16, 16]);
  assert.deepEqual(length(DEFAULT_VARIABLE_SHAPES.DateTime!), [16, 16]);
  assert.deepEqual(length(DEFAULT_VARIABLE_SHAPES.Digits!), [0, 32]);
});

test('fast enough for every keystroke', () => {
  const body =
    'Thank you for calling {book.name}. Your reference number is {CallSid}. For support, call {CallTo}.';
  for (let i = 0; i < 50; i++) checkBody(body, GUIDE);
  const start = performance.now();
  for (let i = 0; i < 200; i++) checkBody(body, GUIDE);
  const each = (performance.now() - start) / 200;
  // < 1 ms on a quiet machine; generous here because test machines are shared.
  assert.ok(each < 5, `${each.toFixed(3)} ms`);
});

// Property: `always` and `never` are never wrong. Bodies are built from templates with
// call variables and Passthru values; renderings are sampled from the shapes (extremes
// included) and checked with the matcher.
const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

const TEMPLATES = [
  GUIDE,
  'Your OTP is {#numeric#}. Valid for 10 minutes.',
  'Hi {#var#}, we missed your call at {#var#}.',
  'Your code is {#alphanumeric#}',
  '{#var#} is your ref. Call {#cbn#} for help.',
  'Ref {#var#}-{#numeric#}',
  'Visit {#url#} now',
];
const SLOTS = ['{CallFrom}', '{CallTo}', '{CallSid}', '{DateTime}', '{Digits}', '{p.x}', '{p.y}'];
const ANY_POOL = [
  '',
  'a',
  '7',
  ' ',
  '.',
  'Acme',
  '-',
  '12',
  'x'.repeat(29),
  'Valid for 10 minutes.',
  ', we',
];

function sampleValue(r: () => number, shape: VariableShape): string {
  let out = '';
  for (const run of shape.runs) {
    const max = Math.min(run.max, run.min + 35);
    const n =
      r() < 0.3 ? run.min : r() < 0.4 ? max : run.min + Math.floor(r() * (max - run.min + 1));
    if (run.chars === undefined) {
      while (out.length < n) out += pick(r, ANY_POOL);
      if (r() < 0.5) out = out.slice(0, n);
    } else {
      for (let i = 0; i < n; i++) out += pick(r, Array.from(run.chars));
    }
  }
  return out;
}

function randomBody(r: () => number, template: string): string {
  const body = template.replace(/\{#(\w+)#\}/g, (_, kind: string) => {
    const choice = r();
    if (choice < 0.4) return pick(r, SLOTS);
    if (choice < 0.55) return `${pick(r, ['Ref ', '', '#'])}${pick(r, SLOTS)}`;
    if (kind === 'numeric') return pick(r, ['1234', '', '12a']);
    if (kind === 'url') return pick(r, ['acme.in/x', 'not a url']);
    if (kind === 'cbn') return pick(r, ['1800123456', '12']);
    return pick(r, ['Acme', '', 'x'.repeat(31), 'ABC123']);
  });
  if (r() < 0.2) {
    const at = Math.floor(r() * body.length);
    return body.slice(0, at) + pick(r, ['', '.', 'X']) + body.slice(at + 1);
  }
  return body;
}

test('always and never are never wrong (sampled renderings)', () => {
  const r = prng(11);
  const shapes = (name: string) => DEFAULT_VARIABLE_SHAPES[name] ?? ANY_SHAPE;
  const verdicts: Record<BodyCheck['verdict'], number> = { always: 0, never: 0, depends: 0 };
  for (let i = 0; i < 300; i++) {
    const template = pick(r, TEMPLATES);
    const body = randomBody(r, template);
    const check = checkBody(body, template);
    verdicts[check.verdict]++;
    if (check.verdict === 'depends') continue;
    for (let k = 0; k < 25; k++) {
      const message = body.replace(
        /\{([A-Za-z][A-Za-z0-9_]*|[\w-]+\.[\w.-]+)\}/g,
        (_, name: string) => sampleValue(r, shapes(name)),
      );
      const matched = matchTemplate(template, message).match;
      assert.equal(matched, check.verdict === 'always', `${check.verdict}: ${body} → ${message}`);
    }
  }
  for (const v of ['always', 'never', 'depends'] as const)
    assert.ok(verdicts[v] > 20, JSON.stringify(verdicts));
});
