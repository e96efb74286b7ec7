import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 as prng } from '../../bench/corpus.ts';
import { findTemplates, TemplateIndex } from './find.ts';
import { matchTemplate } from './match.ts';

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

// A small vocabulary so that templates overlap a lot (shared words, prefixes, suffixes).
const WORDS = [
  'Dear',
  'your',
  'order',
  'OTP',
  'is',
  'Acme',
  'Bank',
  'Rs',
  'on',
  'for',
  'a',
  'Thank you',
  'Valid',
  '10',
  'mins.',
  '-ACME',
  'Hi',
  ',',
  '.',
  'call',
  'XX',
  'ok',
];
const KINDS = ['var', 'var', 'var', 'numeric', 'alphanumeric', 'cbn', 'url'];

function randomTemplate(r: () => number): string {
  let content = '';
  const parts = 1 + Math.floor(r() * 6);
  for (let i = 0; i < parts; i++) {
    if (r() < 0.4) content += `{#${pick(r, KINDS)}#}`;
    const words = Math.floor(r() * 4);
    for (let w = 0; w < words; w++) content += `${w > 0 || r() < 0.5 ? ' ' : ''}${pick(r, WORDS)}`;
  }
  return content;
}

function value(r: () => number, kind: string): string {
  const digits = () => String(Math.floor(r() * 10 ** (1 + Math.floor(r() * 6))));
  switch (kind) {
    case 'numeric':
      return digits();
    case 'alphanumeric':
      return `AB${digits()}`;
    case 'cbn':
      return `1800${digits()}5555`.slice(0, 12);
    case 'url':
      return `acme.in/${digits()}`;
    default:
      return pick(r, ['', 'Ravi', 'a', 'Acme Bank', 'is', '10', `x${digits()}`, 'y'.repeat(31)]);
  }
}

function render(r: () => number, template: string): string {
  let text = template.replace(/\{#(\w+)#\}/g, (_, kind: string) => value(r, kind));
  if (r() < 0.2) {
    const at = Math.floor(r() * (text.length + 1));
    text = text.slice(0, at) + pick(r, ['.', ' ', 'a', '']) + text.slice(at + 1);
  }
  return text;
}

test('the index finds exactly what matching every template finds (generated set)', () => {
  const r = prng(7);
  const templates = Array.from({ length: 250 }, (_, i) => ({
    templateId: String(1_107_000_000_000 + i),
    content: randomTemplate(r),
  }));
  // A few exact duplicates, as accounts do have them.
  templates.push({ ...templates[3]!, templateId: '1107999999999' });
  const index = new TemplateIndex(templates);
  assert.equal(index.size, templates.length);
  let matched = 0;
  for (let i = 0; i < 600; i++) {
    const message =
      r() < 0.9 ? render(r, pick(r, templates).content) : render(r, randomTemplate(r));
    const expected = templates.flatMap((t) => {
      const m = matchTemplate(t.content, message);
      return m.match ? [{ templateId: t.templateId, values: m.values }] : [];
    });
    assert.deepEqual(index.find(message), expected, message);
    if (expected.length > 0) matched++;
  }
  // The generator must exercise both outcomes.
  assert.ok(matched > 200 && matched < 600, `${matched}`);
});

test('templates that start or end with a variable, and ones with little fixed text', () => {
  const templates = [
    { templateId: '1', content: '{#numeric#} is your OTP for Acme Bank. Do not share it.' },
    { templateId: '2', content: 'Your Acme Bank balance is Rs {#numeric#}' },
    { templateId: '3', content: 'Hi {#var#}' },
    { templateId: '4', content: '{#var#}' },
    { templateId: '5', content: 'OK' },
  ];
  const index = new TemplateIndex(templates);
  assert.deepEqual(index.find('482913 is your OTP for Acme Bank. Do not share it.'), [
    { templateId: '1', values: ['482913'] },
  ]);
  assert.deepEqual(index.find('Your Acme Bank balance is Rs 1200'), [
    { templateId: '2', values: ['1200'] },
  ]);
  assert.deepEqual(index.find('Hi Ravi'), [
    { templateId: '3', values: ['Ravi'] },
    { templateId: '4', values: ['Hi Ravi'] },
  ]);
  assert.deepEqual(index.find('OK'), [
    { templateId: '4', values: ['OK'] },
    { templateId: '5', values: [] },
  ]);
  assert.deepEqual(index.find('x'.repeat(31)), []);
  assert.deepEqual(findTemplates(templates, 'Your Acme Bank balance is Rs 12'), [
    { templateId: '2', values: ['12'] },
  ]);
});

test('limits and whitelists apply, from the index or per look-up', () => {
  const templates = [{ templateId: '1', content: 'Track your Acme order at {#url#} today' }];
  const index = new TemplateIndex(templates, { whitelist: { urls: ['acme.in'] } });
  assert.equal(index.find('Track your Acme order at acme.in/1 today').length, 1);
  assert.equal(index.find('Track your Acme order at evil.in/1 today').length, 0);
  assert.equal(
    index.find('Track your Acme order at evil.in/1 today', { whitelist: { urls: ['evil.in'] } })
      .length,
    1,
  );
  const longer = 'Track your Acme order at acme.in/abcdefghijklmnopqrstuvwxyz today';
  assert.equal(index.find(longer).length, 0);
  assert.equal(index.find(longer, { limits: { varMaxLength: 40 } }).length, 1);
});

function brandTemplates(count: number): { templateId: string; content: string }[] {
  const heads = [
    'Acme',
    'Zen',
    'Kiran',
    'Shree',
    'Nova',
    'Apollo',
    'Surya',
    'Star',
    'Metro',
    'Sai',
  ];
  const tails = ['Bank', 'Clinic', 'Mart', 'Foods', 'Finance', 'Motors', 'Pharma', 'Labs'];
  const patterns = [
    'Dear {#var#}, your order {#var#} from {B} has been shipped.',
    'Your OTP for {B} login is {#numeric#}. Do not share it with anyone.',
    '{#numeric#} is your OTP at {B}. Valid for {N} minutes.',
    'Your {B} appointment is confirmed for {#var#}. Token {#numeric#}.',
  ];
  return Array.from({ length: count }, (_, i) => {
    const brand = `${heads[i % 10]} ${tails[Math.floor(i / 10) % 8]} ${Math.floor(i / 320)}`;
    const content = patterns[Math.floor(i / 80) % 4]!.replace('{B}', brand).replace(
      '{N}',
      String(i % 50),
    );
    return { templateId: String(1_107_000_000_000 + i), content };
  });
}

test('look-up work does not grow with the number of templates', () => {
  const work = (count: number) => {
    const templates = brandTemplates(count);
    const index = new TemplateIndex(templates);
    const counter = { steps: 0 };
    let found = 0;
    for (let i = 0; i < 200; i++) {
      const t = templates[(i * 7919) % count]!;
      const message = t.content.replace(/\{#(\w+)#\}/g, (_, kind) =>
        kind === 'numeric' ? '1234' : 'Ravi',
      );
      found += index.find(message, { counter }).length;
    }
    assert.ok(found >= 200);
    return counter.steps / 200;
  };
  const small = work(1_000);
  const large = work(10_000);
  assert.ok(large < 2 * small, `steps per look-up: ${small} with 1,000, ${large} with 10,000`);
});
