import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTemplate } from './template.ts';

const shape = (content: string) =>
  compileTemplate(content).tokens.map((t) => (t.type === 'fixed' ? t.text : `<${t.kind}>`));

test('content splits into fixed text and variables', () => {
  assert.deepEqual(shape('Your OTP is {#numeric#}. Valid for 10 minutes.'), [
    'Your OTP is ',
    '<numeric>',
    '. Valid for 10 minutes.',
  ]);
  assert.deepEqual(shape('{#var#} is your code'), ['<var>', ' is your code']);
  assert.deepEqual(shape('{#var#}{#url#}'), ['<var>', '<url>']);
  assert.deepEqual(shape('No variables here.'), ['No variables here.']);
  assert.deepEqual(shape(''), []);
});

test('every DLT variable type is recognised, {#otp#} included', () => {
  const t = compileTemplate(
    'a {#var#} b {#numeric#} c {#alphanumeric#} d {#url#} e {#urlott#} f {#cbn#} g {#email#} h {#otp#}',
  );
  assert.deepEqual(
    t.variables.map((v) => v.kind),
    ['var', 'numeric', 'alphanumeric', 'url', 'urlott', 'cbn', 'email', 'otp'],
  );
  assert.deepEqual(
    t.variables.map((v) => v.index),
    [0, 1, 2, 3, 4, 5, 6, 7],
  );
});

test('placeholders are case-sensitive; unknown ones stay literal text', () => {
  const t = compileTemplate('Hi {#VAR#}, code {#var#} {#name#}.');
  assert.deepEqual(shape('Hi {#VAR#}, code {#var#} {#name#}.'), [
    'Hi {#VAR#}, code ',
    '<var>',
    ' {#name#}.',
  ]);
  assert.deepEqual(
    t.unknownPlaceholders.map((u) => [u.text, u.start]),
    [
      ['{#VAR#}', 3],
      ['{#name#}', 25],
    ],
  );
  assert.equal(t.variables.length, 1);
});

test('positions: UTF-16 start in the content, progress counts code points', () => {
  const t = compileTemplate('😀 {#var#} ok');
  const [emoji, variable, rest] = t.tokens;
  assert.equal(emoji?.start, 0);
  assert.equal(variable?.start, 3);
  assert.equal(rest?.start, 10);
  assert.equal(emoji?.progress, 0);
  assert.equal(variable?.progress, 2); // 😀 and a space
  assert.equal(rest?.progress, 3);
  assert.equal(t.fixedLength, 5);
  assert.equal(t.progressLength, 6);
});
