import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRegistry, smsTypeOf } from './registry-rules.ts';

const entity = { entityId: '1101166000000000001', status: 'active' as const };
const header = { senderId: 'ACMECO', smsType: 'transactional' as const, status: 'active' as const };
const template = {
  templateId: '1107166000000000001',
  entityId: entity.entityId,
  category: 'transactional' as const,
  status: 'approved',
  senderIds: ['ACMECO'],
};
const request = {
  senderId: 'ACMECO',
  dltEntityId: entity.entityId,
  dltTemplateId: template.templateId,
};
const codeOf = (r: ReturnType<typeof checkRegistry>) => (r.ok ? 'ok' : r.code);

describe('checkRegistry', () => {
  it('allows a registered, linked, approved combination, with the type its category carries', () => {
    const r = checkRegistry(request, { entity, header, template }, { states: true });
    assert.equal(codeOf(r), 'ok');
    assert.equal(smsTypeOf('service-explicit'), 'service');
  });

  it('refuses each broken rule with its code and field', () => {
    const cases: [Parameters<typeof checkRegistry>[1], string, string][] = [
      [{ entity: undefined, header, template }, 'DLT_ENTITY_NOT_FOUND', 'dltEntityId'],
      [{ entity, header: undefined, template }, 'DLT_HEADER_NOT_FOUND', 'senderId'],
      [{ entity, header, template: undefined }, 'DLT_TEMPLATE_NOT_FOUND', 'dltTemplateId'],
      [
        { entity, header, template: { ...template, entityId: '1101166000000000009' } },
        'DLT_TEMPLATE_ENTITY_MISMATCH',
        'dltTemplateId',
      ],
      [
        { entity, header, template: { ...template, senderIds: ['OTHERS'] } },
        'DLT_HEADER_NOT_LINKED',
        'senderId',
      ],
      [
        { entity, header: { ...header, smsType: 'promotional' }, template },
        'DLT_HEADER_TYPE_MISMATCH',
        'senderId',
      ],
    ];
    for (const [records, code, field] of cases) {
      const r = checkRegistry(request, records, { states: true });
      assert.deepEqual(r.ok ? null : [r.code, r.field], [code, field]);
    }
    const promo = checkRegistry(
      { ...request, smsType: 'promotional' },
      { entity, header, template },
      { states: false },
    );
    assert.equal(codeOf(promo), 'DLT_CATEGORY_MISMATCH');
  });

  it('checks the states (active, approved) only when asked: they may change before sending', () => {
    const records = {
      entity: { ...entity, status: 'inactive' as const },
      header: { ...header, status: 'inactive' as const },
      template: { ...template, status: 'pending' },
    };
    assert.equal(codeOf(checkRegistry(request, records, { states: false })), 'ok');
    assert.equal(codeOf(checkRegistry(request, records, { states: true })), 'DLT_ENTITY_INACTIVE');
    assert.equal(
      codeOf(checkRegistry(request, { ...records, entity }, { states: true })),
      'DLT_HEADER_INACTIVE',
    );
    assert.equal(
      codeOf(checkRegistry(request, { ...records, entity, header }, { states: true })),
      'DLT_TEMPLATE_NOT_APPROVED',
    );
  });
});
