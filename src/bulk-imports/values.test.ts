import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanId, mapColumns, normalizeName } from './columns.ts';
import { TEMPLATE_COLUMNS } from './templates.ts';
import {
  parseCategory,
  parseHeaders,
  parseNcprCategory,
  parsePreferences,
  parseTemplateStatus,
} from './values.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; problem: string }) => {
  assert.ok(r.ok, r.ok ? '' : r.problem);
  return r.value;
};

describe('import columns', () => {
  it('matches the header variants of DLT portal exports', () => {
    assert.equal(normalizeName('Template Content (Message)'), 'templatecontentmessage');
    const jio = mapColumns(
      [
        'Template Id',
        'Template Name',
        'Template Type',
        'Template Content (Message)',
        'Header(s)',
        'Status',
        'Entity ID',
        'Created On',
      ],
      TEMPLATE_COLUMNS,
    );
    assert.deepEqual(jio.index, {
      templateId: 0,
      name: 1,
      category: 2,
      content: 3,
      senderIds: 4,
      status: 5,
      entityId: 6,
    });
    assert.deepEqual(jio.ignored, ['Created On']);
    const other = mapColumns(
      ['CT ID', 'PE ID', 'Message', 'Category', 'HEADER', 'Template Status'],
      TEMPLATE_COLUMNS,
    );
    assert.deepEqual(other.index, {
      templateId: 0,
      entityId: 1,
      content: 2,
      category: 3,
      senderIds: 4,
      status: 5,
    });
    assert.deepEqual(mapColumns(['Template ID', 'Name'], TEMPLATE_COLUMNS).missing, [
      'content',
      'category',
    ]);
  });

  it('gives the most specific column to each field', () => {
    const m = mapColumns(['Category', 'Template Type', 'Content', 'Template ID'], TEMPLATE_COLUMNS);
    assert.equal(m.index.category, 1, '"Template Type" is the category; "Category" is left');
    assert.deepEqual(m.ignored, ['Category']);
    assert.equal(m.index.templateId, 3);
  });

  it('cleans IDs as spreadsheets leave them and refuses scientific notation', () => {
    assert.deepEqual(cleanId(" '1107166000000000001 "), { id: '1107166000000000001' });
    assert.deepEqual(cleanId("1107166000000000001'"), { id: '1107166000000000001' });
    assert.deepEqual(cleanId('="1107166000000000001"'), { id: '1107166000000000001' });
    assert.deepEqual(cleanId('110716600000.0'), { id: '110716600000' });
    const sci = cleanId('1.10717E+18');
    assert.ok('problem' in sci && /scientific notation/.test(sci.problem));
  });
});

describe('import values', () => {
  it('reads template types', () => {
    const cases: [string, string][] = [
      ['Transactional', 'transactional'],
      ['OTP', 'transactional'],
      ['Service Implicit', 'service-implicit'],
      ['SERVICE_IMPLICIT', 'service-implicit'],
      ['SI', 'service-implicit'],
      ['Service Explicit', 'service-explicit'],
      ['se', 'service-explicit'],
      ['Promotional', 'promotional'],
      ['promo', 'promotional'],
    ];
    for (const [raw, expected] of cases) assert.equal(value(parseCategory(raw)), expected, raw);
    assert.equal(parseCategory('Service').ok, false);
    assert.equal(parseCategory('Spam').ok, false);
    assert.equal(parseCategory('').ok, false);
  });

  it('reads template statuses', () => {
    const cases: [string, string][] = [
      ['Approved', 'approved'],
      ['ACTIVE', 'approved'],
      ['Pending', 'pending'],
      ['Under Review', 'pending'],
      ['Rejected', 'rejected'],
      ['Inactive', 'inactive'],
      ['Deactivated', 'inactive'],
    ];
    for (const [raw, expected] of cases)
      assert.equal(value(parseTemplateStatus(raw)), expected, raw);
    assert.equal(parseTemplateStatus('maybe').ok, false);
  });

  it('reads header lists with any separator', () => {
    assert.deepEqual(value(parseHeaders('ACMECO, ACMEIN')), ['ACMECO', 'ACMEIN']);
    assert.deepEqual(value(parseHeaders('ACMECO;ACMEIN|ACMEOK')), ['ACMECO', 'ACMEIN', 'ACMEOK']);
    assert.deepEqual(value(parseHeaders('VM-ACMECO, ACMEIN-S, ACMECO')), ['ACMECO', 'ACMEIN']);
    assert.deepEqual(value(parseHeaders('')), []);
    assert.equal(parseHeaders('ACME CO').ok, false);
  });

  it('reads NCPR categories by number or name', () => {
    assert.equal(value(parseNcprCategory('3')), 3);
    assert.equal(value(parseNcprCategory('Education')), 3);
    assert.equal(value(parseNcprCategory('Banking/Insurance/Financial products/credit cards')), 1);
    assert.equal(value(parseNcprCategory('')), null);
    assert.equal(parseNcprCategory('9').ok, false);
  });

  it('reads DND preference lists', () => {
    assert.deepEqual(value(parsePreferences('')), []);
    assert.deepEqual(value(parsePreferences('0')), [0]);
    assert.deepEqual(value(parsePreferences('5,1,3')), [1, 3, 5]);
    assert.deepEqual(value(parsePreferences('1|3')), [1, 3]);
    assert.deepEqual(value(parsePreferences('[1, 3; 3]')), [1, 3]);
    assert.equal(parsePreferences('8').ok, false);
    assert.equal(parsePreferences('1,x').ok, false);
  });
});
