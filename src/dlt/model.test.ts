import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isReasonCode } from '../errors.ts';
import {
  categoryAllows,
  checkCategory,
  DEFAULT_DLT_LIMITS,
  type DltTemplateCategory,
  hasTypicalDltIdLength,
  resolveLimits,
  type SmsType,
  validateEntityId,
  validateHeader,
  validateTemplateId,
} from './model.ts';

test('entity and template IDs are 12 to 19 digits, as strings', () => {
  for (const ok of ['110200001000', '1201177860312735154', '1234567890123']) {
    assert.equal(validateEntityId(ok), null);
    assert.equal(validateTemplateId(ok), null);
  }
  for (const bad of [
    '11020000100',
    '12011778603127351540',
    '1201177860312735a54',
    ' 1201177860312735154',
    '',
    120117786031, // a number, not a string
    null,
    undefined,
  ]) {
    assert.equal(validateEntityId(bad), 'INVALID_ENTITY_ID');
    assert.equal(validateTemplateId(bad), 'INVALID_TEMPLATE_ID');
  }
  assert.ok(isReasonCode(validateEntityId('x')));
  assert.ok(isReasonCode(validateTemplateId('x')));
});

test('a valid ID of other than 19 digits is flagged as unusual', () => {
  assert.equal(hasTypicalDltIdLength('1207177979441360359'), true);
  assert.equal(hasTypicalDltIdLength('110200001000'), false);
});

test('headers: 6 capital letters for transactional and service, 6 digits for promotional', () => {
  assert.equal(validateHeader('ACMEIN', 'transactional'), null);
  assert.equal(validateHeader('ACMEIN', 'service'), null);
  assert.equal(validateHeader('123456', 'promotional'), null);
  for (const bad of ['AcmeIN', 'ACMEI', 'ACMEINX', 'ACME1N', 'VM-ACMEIN', 'ACMEIN-S', '123456']) {
    assert.equal(validateHeader(bad, 'transactional'), 'INVALID_HEADER', bad);
  }
  for (const bad of ['ACMEIN', '12345', '1234567', '12345a']) {
    assert.equal(validateHeader(bad, 'promotional'), 'INVALID_HEADER', bad);
  }
  assert.equal(validateHeader(123456, 'promotional'), 'INVALID_HEADER');
  assert.ok(isReasonCode(validateHeader('x', 'service')));
});

test('header rules are configurable', () => {
  assert.equal(validateHeader('TATA', 'service', { alphaMin: 3, alphaMax: 8 }), null);
  assert.equal(
    validateHeader('TATADOCOMO', 'service', { alphaMin: 3, alphaMax: 8 }),
    'INVALID_HEADER',
  );
  assert.equal(validateHeader('1234567', 'promotional', { numericLength: 7 }), null);
  assert.equal(validateHeader('ACMEIN', 'promotional', { promotionalAllowsAlpha: true }), null);
});

test('template categories allow exactly their SMS type by default', () => {
  const allowed: Record<DltTemplateCategory, SmsType[]> = {
    transactional: ['transactional'],
    'service-implicit': ['service'],
    'service-explicit': ['service'],
    promotional: ['promotional'],
  };
  const types: SmsType[] = ['transactional', 'service', 'promotional'];
  for (const [category, ok] of Object.entries(allowed) as [DltTemplateCategory, SmsType[]][]) {
    for (const smsType of types) {
      assert.equal(
        categoryAllows(category, smsType),
        ok.includes(smsType),
        `${category} / ${smsType}`,
      );
      assert.equal(
        checkCategory(category, smsType),
        ok.includes(smsType) ? null : 'DLT_CATEGORY_MISMATCH',
      );
    }
  }
});

test('service-explicit may carry promotional traffic when configured (retired May 2025)', () => {
  assert.equal(categoryAllows('service-explicit', 'promotional'), false);
  assert.equal(
    categoryAllows('service-explicit', 'promotional', { serviceExplicitAsPromotional: true }),
    true,
  );
  assert.equal(
    categoryAllows('transactional', 'promotional', { serviceExplicitAsPromotional: true }),
    false,
  );
});

test('limits default to the TRAI figures and can be overridden one by one', () => {
  assert.deepEqual(DEFAULT_DLT_LIMITS, {
    varMaxLength: 30,
    alphanumericMaxLength: 40,
    maxVariables: 2,
    maxVariablesWithReason: 3,
    minFixedTextRatio: 0.3,
  });
  assert.equal(resolveLimits({ varMaxLength: 40 }).varMaxLength, 40);
  assert.equal(resolveLimits({ varMaxLength: 40 }).alphanumericMaxLength, 40);
  assert.equal(resolveLimits().maxVariables, 2);
});
