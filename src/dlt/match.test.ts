import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTemplate, END_OF_MESSAGE, type MatchResult, matchTemplate } from './match.ts';

const OTP = 'Your OTP is {#numeric#}. Valid for 10 minutes.';

function departs(
  result: MatchResult,
  want: { code?: string; at: number; expected: string; found: string; variable?: number },
): void {
  assert.equal(result.match, false, JSON.stringify(result));
  if (result.match) return;
  assert.deepEqual(
    {
      code: result.code,
      at: result.at,
      expected: result.expected,
      found: result.found,
      variable: result.variable,
    },
    { code: 'DLT_TEMPLATE_MISMATCH', variable: undefined, ...want },
  );
}

test('a message that follows the template matches and yields the values', () => {
  assert.deepEqual(matchTemplate(OTP, 'Your OTP is 482913. Valid for 10 minutes.'), {
    match: true,
    values: ['482913'],
  });
  assert.deepEqual(
    matchTemplate(
      'Dear {#var#}, your order {#var#} has shipped.',
      'Dear Priya Sharma, your order ORD-7781 has shipped.',
    ),
    { match: true, values: ['Priya Sharma', 'ORD-7781'] },
  );
});

test('case differs: departs at the first differing character (the guide example)', () => {
  departs(matchTemplate(OTP, 'Your otp is 1234. Valid for 10 minutes.'), {
    at: 5,
    expected: 'OTP is ',
    found: 'otp is ',
  });
  departs(matchTemplate('M/s ACME PVT. LTD. thanks you', 'M/s ACME Pvt. Ltd. thanks you'), {
    at: 10,
    expected: 'VT. LTD. thanks you',
    found: 'vt. Ltd. thanks you',
  });
});

test('punctuation: a wrong, missing or extra mark is reported where it is', () => {
  departs(matchTemplate(OTP, 'Your OTP is 1234, Valid for 10 minutes.'), {
    at: 16,
    expected: '. Valid for 10 minut',
    found: ', Valid for 10 minut',
  });
  departs(matchTemplate(OTP, 'Your OTP is 1234. Valid for 10 minutes'), {
    at: 38,
    expected: '.',
    found: END_OF_MESSAGE,
  });
  departs(matchTemplate(OTP, 'Your OTP is 1234. Valid for 10 minutes. '), {
    at: 39,
    expected: END_OF_MESSAGE,
    found: ' ',
  });
  departs(matchTemplate('Dear {#var#}, your order', 'Dear Ravi your order'), {
    at: 9,
    expected: ', your order',
    found: ' your order',
  });
});

test('double spaces and newlines are fixed text too', () => {
  departs(matchTemplate(OTP, 'Your OTP is 1234.  Valid for 10 minutes.'), {
    at: 18,
    expected: 'Valid for 10 minutes',
    found: ' Valid for 10 minute',
  });
  departs(matchTemplate(OTP, 'Your OTP is 1234.\nValid for 10 minutes.'), {
    at: 17,
    expected: ' Valid for 10 minute',
    found: '\nValid for 10 minute',
  });
  departs(
    matchTemplate('Dear {#var#},\nYour order is ready.', 'Dear Ravi,\r\nYour order is ready.'),
    {
      at: 10,
      expected: '\nYour order is ready',
      found: '\r\nYour order is read',
    },
  );
  assert.equal(matchTemplate('Line one\nLine {#var#}', 'Line one\nLine two').match, true);
});

test('straight and curly quotes are different characters', () => {
  departs(matchTemplate('It’s ready, {#var#}', "It's ready, Ravi"), {
    at: 2,
    expected: '’s ready, ',
    found: "'s ready, ",
  });
  departs(matchTemplate("It's ready, {#var#}", 'It’s ready, Ravi'), {
    at: 2,
    expected: "'s ready, ",
    found: '’s ready, ',
  });
});

test('{#var#} takes 0 to 30 characters, counted in code points', () => {
  assert.deepEqual(matchTemplate('Hi {#var#}!', 'Hi !'), { match: true, values: [''] });
  assert.equal(matchTemplate('Hi {#var#}!', `Hi ${'x'.repeat(30)}!`).match, true);
  departs(matchTemplate('Hi {#var#}!', `Hi ${'x'.repeat(31)}!`), {
    code: 'DLT_VARIABLE_TOO_LONG',
    at: 3,
    expected: '{#var#} (at most 30 characters)',
    found: 'x'.repeat(31),
    variable: 0,
  });
  // 30 emoji are 60 UTF-16 units but 30 characters.
  assert.equal(matchTemplate('Hi {#var#}!', `Hi ${'😀'.repeat(30)}!`).match, true);
  const r = matchTemplate('Hi {#var#}!', `Hi ${'😀'.repeat(31)}!`);
  assert.equal(!r.match && r.code, 'DLT_VARIABLE_TOO_LONG');
  // Positions are UTF-16 indexes: the emoji before the departure counts 2.
  departs(matchTemplate('😀 {#numeric#} ok', '😀 12 OK'), { at: 6, expected: 'ok', found: 'OK' });
});

test('any characters fit {#var#}, including newlines and punctuation', () => {
  assert.deepEqual(matchTemplate('Note: {#var#}.', 'Note: a,b;\nc!.'), {
    match: true,
    values: ['a,b;\nc!'],
  });
});

test('values: the earliest variables take the shortest values that let the rest match', () => {
  assert.deepEqual(matchTemplate('{#var#} {#var#}', 'a b c'), {
    match: true,
    values: ['a', 'b c'],
  });
  assert.deepEqual(matchTemplate('{#var#}-{#var#}-{#var#}', '1-2-3-4'), {
    match: true,
    values: ['1', '2', '3-4'],
  });
});

test('typed variables: numeric, otp, alphanumeric, email, url, cbn', () => {
  const ok = (template: string, message: string, values: string[]) =>
    assert.deepEqual(matchTemplate(template, message), { match: true, values }, message);
  const type = (template: string, message: string, found: string, at: number) => {
    const r = matchTemplate(template, message);
    assert.equal(r.match, false, message);
    if (r.match) return;
    assert.equal(r.code, 'DLT_VARIABLE_TYPE', message);
    assert.equal(r.found, found);
    assert.equal(r.at, at);
    assert.equal(r.variable, 0);
  };
  ok('Code {#numeric#}.', 'Code 0042.', ['0042']);
  type('Code {#numeric#}.', 'Code 12a4.', '12a4', 5);
  type('Code {#numeric#}.', 'Code .', '', 5);
  ok('Code {#otp#}.', 'Code 123456.', ['123456']);
  type('Code {#otp#}.', 'Code 12ab.', '12ab', 5);
  ok('Use {#alphanumeric#} now', 'Use SAVE20 now', ['SAVE20']);
  type('Use {#alphanumeric#} now', 'Use SAVE-20 now', 'SAVE-20', 4);
  ok('Use {#alphanumeric#} now', `Use ${'A'.repeat(40)} now`, ['A'.repeat(40)]);
  ok('Mail {#email#} today', 'Mail ravi.k@acme.co.in today', ['ravi.k@acme.co.in']);
  type('Mail {#email#} today', 'Mail ravi@acme today', 'ravi@acme', 5);
  ok('Visit {#url#} now', 'Visit https://acme.in/o/42 now', ['https://acme.in/o/42']);
  ok('Visit {#urlott#} now', 'Visit acme.in/app now', ['acme.in/app']);
  type('Visit {#url#} now', 'Visit our shop now', 'our shop', 6);
  ok('Call {#cbn#} now', 'Call 1800-123-4567 now', ['1800-123-4567']);
  ok('Call {#cbn#} now', 'Call +91 98765 43210 now', ['+91 98765 43210']);
  type('Call {#cbn#} now', 'Call 12ab now', '12ab', 5);
  const long = matchTemplate('Use {#alphanumeric#} now', `Use ${'A'.repeat(41)} now`);
  assert.equal(!long.match && long.code, 'DLT_VARIABLE_TOO_LONG');
  assert.equal(!long.match && long.expected, '{#alphanumeric#} (at most 40 characters)');
});

test('whitelists: URLs and callback numbers must be registered when a list is given', () => {
  const whitelist = {
    urls: ['acme.in/track', 'https://ott.acme.in'],
    callbackNumbers: ['+911800123456'],
  };
  const url = (message: string) => matchTemplate('Track {#url#} now', message, { whitelist });
  assert.equal(url('Track acme.in/track/42 now').match, true);
  assert.equal(url('Track https://ACME.in/track?id=9 now').match, true);
  assert.equal(url('Track ott.acme.in/anything now').match, true);
  for (const bad of [
    'Track acme.in/tracker now',
    'Track evil.in/track now',
    'Track www.acme.in/track now',
  ]) {
    const r = url(bad);
    assert.equal(!r.match && r.code, 'DLT_URL_NOT_WHITELISTED', bad);
  }
  const r = url('Track evil.in/x now');
  departs(r, {
    code: 'DLT_URL_NOT_WHITELISTED',
    at: 6,
    expected: '{#url#} (a whitelisted URL)',
    found: 'evil.in/x',
    variable: 0,
  });
  const cbn = (message: string) => matchTemplate('Call {#cbn#}.', message, { whitelist });
  assert.equal(cbn('Call 1800123456.').match, true);
  assert.equal(cbn('Call 01800-123-456.').match, true);
  departs(cbn('Call 1800123457.'), {
    code: 'DLT_CBN_NOT_WHITELISTED',
    at: 5,
    expected: '{#cbn#} (a whitelisted callback number)',
    found: '1800123457',
    variable: 0,
  });
  // Without a whitelist only the shape is checked.
  assert.equal(matchTemplate('Track {#url#} now', 'Track evil.in/x now').match, true);
});

test('limits are configurable', () => {
  const limits = { varMaxLength: 5, alphanumericMaxLength: 3 };
  assert.equal(matchTemplate('Hi {#var#}!', 'Hi Ravi!', { limits }).match, true);
  const r = matchTemplate('Hi {#var#}!', 'Hi Suresh!', { limits });
  assert.equal(!r.match && r.expected, '{#var#} (at most 5 characters)');
  assert.equal(matchTemplate('Use {#alphanumeric#}', 'Use ABCD', { limits }).match, false);
});

test('unknown placeholders are literal text', () => {
  assert.equal(matchTemplate('Hi {#VAR#}!', 'Hi {#VAR#}!').match, true);
  departs(matchTemplate('Hi {#VAR#}!', 'Hi Ravi!'), {
    at: 3,
    expected: '{#VAR#}!',
    found: 'Ravi!',
  });
});

test('a compiled template is reusable and gives the same results', () => {
  const compiled = compileTemplate(OTP);
  for (const message of [
    'Your OTP is 1. Valid for 10 minutes.',
    'Your otp is 1. Valid for 10 minutes.',
  ]) {
    assert.deepEqual(matchTemplate(compiled, message), matchTemplate(OTP, message));
  }
});

test('edge cases: empty template, empty message', () => {
  assert.deepEqual(matchTemplate('', ''), { match: true, values: [] });
  assert.deepEqual(matchTemplate('{#var#}', ''), { match: true, values: [''] });
  departs(matchTemplate('', 'x'), { at: 0, expected: END_OF_MESSAGE, found: 'x' });
  departs(matchTemplate('Hello', ''), { at: 0, expected: 'Hello', found: END_OF_MESSAGE });
});

test('time is linear in the message, whatever the template (step count)', () => {
  const template = compileTemplate(Array.from({ length: 20 }, () => '{#var#}').join('a'));
  const steps = (n: number, tail = '') => {
    const counter = { steps: 0 };
    const r = matchTemplate(template, 'a'.repeat(n) + tail, { counter });
    return { steps: counter.steps, r };
  };
  const small = steps(2_000);
  const large = steps(8_000);
  assert.equal(small.r.match, false);
  assert.equal(!small.r.match && small.r.code, 'DLT_VARIABLE_TOO_LONG');
  // 4× the message: at most ~4× the steps (quadratic would be 16×).
  assert.ok(large.steps <= 4.5 * small.steps, `${small.steps} → ${large.steps}`);
  // And absolutely bounded by n × tokens × (longest variable + 1), with a small constant.
  const bound = (n: number) => 4 * n * 39 * 31;
  assert.ok(small.steps < bound(2_000), `${small.steps}`);
  // A matching message with every variable in use.
  const fits = steps(600);
  assert.equal(fits.r.match, true);
  // The same input with a character that departs at the very end.
  const departing = steps(2_000, 'b');
  assert.ok(departing.steps <= 4.5 * small.steps);
});

test('adversarial input completes quickly', () => {
  const template = Array.from({ length: 20 }, () => '{#var#}').join('a');
  const start = performance.now();
  for (let i = 0; i < 5; i++) matchTemplate(template, 'a'.repeat(2_000));
  // Generous: the point is that it finishes (a backtracking RegExp would not).
  assert.ok(performance.now() - start < 5_000);
});
