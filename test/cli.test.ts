// The command-line contract of `callflow sms inspect` and `callflow dlt match`: JSON out, one
// result per input line in order, exit 0/1/2, and clear errors (never a stack trace) on bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { inspectSms } from '../src/index.ts';

const root = new URL('../', import.meta.url);

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['src/cli.ts', ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

test('sms inspect prints the same object as inspectSms()', () => {
  const text = 'Your OTP is 482913 — valid for 10 minutes €';
  const r = cli(['sms', 'inspect', text]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), JSON.parse(JSON.stringify(inspectSms(text))));
});

test('sms inspect --split-graphemes counts as the setting sms.splitGraphemes does', () => {
  const text = `${'a'.repeat(65)}क्ष${'a'.repeat(66)}`;
  const standard = JSON.parse(cli(['sms', 'inspect', text]).out);
  assert.deepEqual(
    [standard.split, standard.segments, standard.graphemeSegments],
    ['standard', 2, 3],
  );
  const r = cli(['sms', 'inspect', '--split-graphemes', text]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    JSON.parse(r.out),
    JSON.parse(JSON.stringify(inspectSms(text, { splitGraphemes: true }))),
  );
  assert.equal(JSON.parse(r.out).segments, 3);
});

test('sms inspect reads the text from standard input when none is given', () => {
  const r = cli(['sms', 'inspect'], 'hello there\n');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).units, 11);
});

test('sms inspect --jsonl answers each line in order, with errors in place', () => {
  const input = ['"a"', '"\\ud800"', '42', 'not json', '"नमस्ते"', '', `"${'x'.repeat(161)}"`].join(
    '\n',
  );
  const r = cli(['sms', 'inspect', '--jsonl'], input);
  assert.equal(r.code, 1, 'some lines were refused');
  const out = lines(r.out).map((l) => JSON.parse(l));
  assert.equal(out.length, 6, 'blank lines are skipped, every other line answered');
  assert.equal(out[0].encoding, 'GSM-7');
  assert.equal(out[1].error.code, 'INVALID_TEXT');
  assert.match(out[1].error.message, /surrogate/);
  assert.equal(out[2].error.code, 'INVALID_TEXT');
  assert.equal(out[3].error.code, 'MALFORMED_REQUEST');
  assert.equal(out[4].encoding, 'UCS-2');
  assert.equal(out[5].segments, 2);
  assert.doesNotMatch(r.out + r.err, /\n\s+at /, 'no stack trace');
});

test('sms inspect --jsonl keeps order over many lines', () => {
  const texts = Array.from({ length: 2000 }, (_, i) => 'x'.repeat(i % 400));
  const r = cli(['sms', 'inspect', '--jsonl'], texts.map((t) => JSON.stringify(t)).join('\n'));
  assert.equal(r.code, 0, r.err);
  const out = lines(r.out).map((l) => JSON.parse(l));
  assert.deepEqual(
    out.map((o) => o.units),
    texts.map((t) => t.length),
  );
});

test('NUL bytes and a 10 MB line get clear errors', () => {
  const nul = cli(['sms', 'inspect', '--jsonl'], '"a\\u0000b"\n');
  assert.equal(JSON.parse(nul.out).error.code, 'INVALID_TEXT');
  const huge = cli(['sms', 'inspect', '--jsonl'], `"${'y'.repeat(10 * 1024 * 1024)}"\n"ok"\n`);
  const [first, second] = lines(huge.out).map((l) => JSON.parse(l));
  assert.equal(first.error.code, 'TEXT_TOO_LONG');
  assert.equal(second.units, 2, 'the next line is still answered');
  assert.doesNotMatch(huge.err, /\n\s+at /);
});

test('bad usage exits 2 with one line on standard error', () => {
  for (const args of [
    ['sms', 'inspect', '--bogus'],
    ['sms', 'frobnicate'],
    ['dlt', 'match', '--template', 'x'],
    ['nope'],
  ]) {
    const r = cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(lines(r.err).length, 1, `one line for ${args.join(' ')}: ${r.err}`);
    assert.equal(r.out, '');
  }
});

test('dlt match reports a match with its values, and a mismatch with where it departs', () => {
  const template = 'Your OTP is {#numeric#}. Valid for 10 minutes.';
  const ok = cli([
    'dlt',
    'match',
    '--template',
    template,
    '--message',
    'Your OTP is 482913. Valid for 10 minutes.',
  ]);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(JSON.parse(ok.out), { match: true, values: ['482913'] });
  const bad = cli([
    'dlt',
    'match',
    '--template',
    template,
    '--message',
    'Your otp is 482913. Valid for 10 minutes.',
  ]);
  assert.equal(bad.code, 0);
  const result = JSON.parse(bad.out);
  assert.equal(result.match, false);
  assert.equal(result.code, 'DLT_TEMPLATE_MISMATCH');
  assert.equal(result.at, 5);
  assert.equal(typeof result.expected, 'string');
  assert.equal(typeof result.found, 'string');
});

test('dlt match --jsonl answers each pair in order', () => {
  const pairs = [
    { template: 'Hi {#var#}, welcome.', message: 'Hi Asha, welcome.' },
    { template: 'Hi {#var#}, welcome.', message: 'Hello Asha, welcome.' },
    { template: 'Hi {#var#}', message: 7 },
    [1, 2],
  ];
  const r = cli(['dlt', 'match', '--jsonl'], pairs.map((p) => JSON.stringify(p)).join('\n'));
  assert.equal(r.code, 1);
  const out = lines(r.out).map((l) => JSON.parse(l));
  assert.deepEqual(out[0], { match: true, values: ['Asha'] });
  assert.equal(out[1].match, false);
  assert.equal(out[2].error.code, 'INVALID_TEXT');
  assert.equal(out[3].error.code, 'MALFORMED_REQUEST');
});
