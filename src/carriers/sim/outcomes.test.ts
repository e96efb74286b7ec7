import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drawOutcome, MAGIC_RULES, ruleFor, seededRandom } from './outcomes.ts';

test('the draw is repeatable for a seed and follows the mix', () => {
  const mix = { delivered: 0.9, undelivered: 0.05, expired: 0.03, rejected: 0.02 };
  const draw = (seed: number) => {
    const random = seededRandom(seed);
    return Array.from({ length: 2000 }, () => drawOutcome(mix, random));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const delivered = draw(7).filter((o) => o === 'delivered').length;
  assert.ok(delivered > 1700 && delivered < 1900, `${delivered}`);
  assert.ok(draw(7).includes('rejected'));
});

test('an empty mix delivers; a single outcome always wins', () => {
  const random = seededRandom(1);
  assert.equal(drawOutcome({}, random), 'delivered');
  assert.equal(drawOutcome({ expired: 1 }, random), 'expired');
});

test('magic numbers by suffix', () => {
  assert.equal(ruleFor(MAGIC_RULES, '919876540000')?.receipt, 'undelivered');
  assert.equal(ruleFor(MAGIC_RULES, '919876540003')?.submitStatus, 0x0b);
  assert.equal(ruleFor(MAGIC_RULES, '919876540005')?.respond, false);
  assert.equal(ruleFor(MAGIC_RULES, '919876543210'), undefined);
});
