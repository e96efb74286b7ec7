import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, dltId, json } from './api-helpers.ts';

describeApi('DLT registry API', (fx) => {
  it('creates, reads, lists, updates and deactivates an entity', async () => {
    const entityId = dltId('1101');
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/entities',
      payload: { entityId, name: 'Acme Retail' },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(json(created).status, 'active');
    assert.deepEqual(json(created).tmChain, []);

    const upserted = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/entities',
      payload: { entityId, name: 'Acme Retail Ltd' },
    });
    assert.equal(upserted.statusCode, 200);
    assert.equal(json(upserted).name, 'Acme Retail Ltd');

    const one = await fx().call({ method: 'GET', url: `/api/v1/dlt/entities/${entityId}` });
    assert.equal(one.statusCode, 200);
    assert.equal(json(one).entityId, entityId);

    const list = json<{ items: { entityId: string }[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/dlt/entities' }),
    );
    assert.ok(list.items.some((e) => e.entityId === entityId));
    assert.ok(list.items.some((e) => e.entityId === fx().a.entityId));
    assert.ok(!list.items.some((e) => e.entityId === fx().b.entityId), "not another account's");

    const tm = dltId('1101');
    const patched = await fx().call({
      method: 'PATCH',
      url: `/api/v1/dlt/entities/${entityId}`,
      payload: { status: 'inactive', tmChain: [tm] },
    });
    assert.equal(patched.statusCode, 200);
    assert.equal(json(patched).status, 'inactive');
    assert.deepEqual(json(patched).tmChain, [tm]);
    assert.equal(json(patched).name, 'Acme Retail Ltd');
  });

  it('validates entity IDs and hides other accounts’ entities', async () => {
    const bad = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/entities',
      payload: { entityId: '12345', name: 'x' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad).code, 'INVALID_ENTITY_ID');
    const badParam = await fx().call({ method: 'GET', url: '/api/v1/dlt/entities/abc' });
    assert.equal(json(badParam).code, 'INVALID_ENTITY_ID');

    for (const [method, url] of [
      ['GET', `/api/v1/dlt/entities/${fx().b.entityId}`],
      ['GET', `/api/v1/dlt/entities/${fx().b.entityId}/headers`],
      ['GET', `/api/v1/dlt/entities/${fx().b.entityId}/whitelist`],
      ['GET', `/api/v1/dlt/templates/${fx().b.templateId}`],
    ] as const) {
      const res = await fx().call({ method, url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(json(res).code, 'NOT_FOUND');
    }
    const patch = await fx().call({
      method: 'PATCH',
      url: `/api/v1/dlt/entities/${fx().b.entityId}`,
      payload: { status: 'inactive' },
    });
    assert.equal(patch.statusCode, 404);
  });

  it('registers headers under an entity and checks their form', async () => {
    const { a } = fx();
    const base = `/api/v1/dlt/entities/${a.entityId}/headers`;
    const created = await fx().call({
      method: 'POST',
      url: base,
      payload: { senderId: 'ACMEIN', smsType: 'service' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const { createdAt, updatedAt, ...header } = json(created);
    assert.deepEqual(header, {
      entityId: a.entityId,
      senderId: 'ACMEIN',
      smsType: 'service',
      status: 'active',
    });
    assert.equal(createdAt, fx().clock().toISOString());
    assert.equal(updatedAt, createdAt);
    for (const [senderId, smsType] of [
      ['acmein', 'transactional'],
      ['ACME1', 'transactional'],
      ['ACMEIN', 'promotional'],
      ['VM-ACMEIN', 'service'],
    ]) {
      const res = await fx().call({ method: 'POST', url: base, payload: { senderId, smsType } });
      assert.equal(res.statusCode, 400, senderId);
      assert.equal(json(res).code, 'INVALID_HEADER', senderId);
    }
    const list = json<{ items: { senderId: string }[] }>(
      await fx().call({ method: 'GET', url: base }),
    );
    assert.deepEqual(list.items.map((h) => h.senderId).sort(), ['123456', 'ACMECO', 'ACMEIN']);

    const off = await fx().call({
      method: 'PATCH',
      url: `${base}/ACMEIN`,
      payload: { status: 'inactive' },
    });
    assert.equal(off.statusCode, 200);
    assert.equal(json(off).status, 'inactive');
    const got = await fx().call({ method: 'GET', url: `${base}/ACMEIN` });
    assert.equal(json(got).status, 'inactive');
    const missing = await fx().call({ method: 'GET', url: `${base}/NOSUCH` });
    assert.equal(missing.statusCode, 404);
  });

  it('registers templates with lint findings, filters them, and updates them', async () => {
    const { a } = fx();
    const templateId = dltId('1107');
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/templates',
      payload: {
        templateId,
        entityId: a.entityId,
        name: 'adjacent',
        content: 'Dear {#var#} {#var#}, your order is ready',
        category: 'service-implicit',
        senderIds: ['ACMECO'],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const t = json<{ status: string; lint: { code: string; severity: string; at?: number }[] }>(
      created,
    );
    assert.equal(t.status, 'approved');
    assert.ok(
      t.lint.some((f) => f.code === 'TEMPLATE_ADJACENT_VARIABLES'),
      JSON.stringify(t.lint),
    );

    const clean = json<{ lint: unknown[] }>(
      await fx().call({ method: 'GET', url: `/api/v1/dlt/templates/${a.templateId}` }),
    );
    assert.deepEqual(clean.lint, []);

    const byEntity = json<{ items: { templateId: string }[] }>(
      await fx().call({ method: 'GET', url: `/api/v1/dlt/templates?entityId=${a.otherEntityId}` }),
    );
    assert.deepEqual(
      byEntity.items.map((x) => x.templateId),
      [a.otherTemplateId],
    );
    const bySender = json<{ items: { templateId: string }[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/dlt/templates?senderId=123456' }),
    );
    assert.deepEqual(
      bySender.items.map((x) => x.templateId),
      [a.promoTemplateId],
    );

    const patched = await fx().call({
      method: 'PATCH',
      url: `/api/v1/dlt/templates/${templateId}`,
      payload: { content: 'Dear {#var#}, your order {#numeric#} is ready', status: 'inactive' },
    });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual(json(patched).lint, []);
    assert.equal(json(patched).status, 'inactive');
    const inactive = json<{ items: { templateId: string }[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/dlt/templates?status=inactive' }),
    );
    assert.ok(inactive.items.some((x) => x.templateId === templateId));
  });

  it('refuses templates that cannot be right', async () => {
    const { a, b } = fx();
    const post = (payload: Record<string, unknown>) =>
      fx().call({ method: 'POST', url: '/api/v1/dlt/templates', payload });
    const base = {
      templateId: dltId('1107'),
      entityId: a.entityId,
      content: 'Hi {#var#}',
      category: 'transactional',
    };

    const badId = await post({ ...base, templateId: '1107x' });
    assert.equal(json(badId).code, 'INVALID_TEMPLATE_ID');
    const unknownEntity = await post({ ...base, entityId: b.entityId });
    assert.equal(unknownEntity.statusCode, 400);
    assert.equal(json(unknownEntity).code, 'DLT_ENTITY_NOT_FOUND');
    const unknownHeader = await post({ ...base, senderIds: ['NOSUCH'] });
    assert.equal(json(unknownHeader).code, 'DLT_HEADER_NOT_FOUND');
    const moved = await post({ ...base, templateId: a.templateId, entityId: a.otherEntityId });
    assert.equal(moved.statusCode, 409);
    assert.equal(json(moved).code, 'CONFLICT');
    const badCategory = await post({ ...base, category: 'marketing' });
    assert.equal(json(badCategory).code, 'VALIDATION_FAILED');
  });

  it('whitelists URLs and callback numbers per entity', async () => {
    const { a } = fx();
    const base = `/api/v1/dlt/entities/${a.entityId}/whitelist`;
    const url = await fx().call({
      method: 'POST',
      url: base,
      payload: { kind: 'url', value: ' https://acme.in/track ' },
    });
    assert.equal(url.statusCode, 201, url.body);
    assert.equal(json(url).value, 'https://acme.in/track');
    const cbn = await fx().call({
      method: 'POST',
      url: base,
      payload: { kind: 'cbn', value: '1800-123-4567' },
    });
    assert.equal(cbn.statusCode, 201, cbn.body);
    assert.equal(json(cbn).value, '18001234567');
    const bad = await fx().call({
      method: 'POST',
      url: base,
      payload: { kind: 'cbn', value: 'call us' },
    });
    assert.equal(json(bad).code, 'INVALID_NUMBER');

    const list = json<{ items: { kind: string; value: string }[] }>(
      await fx().call({ method: 'GET', url: base }),
    );
    assert.deepEqual(list.items.map((e) => `${e.kind}:${e.value}`).sort(), [
      'cbn:18001234567',
      'url:https://acme.in/track',
    ]);

    const del = await fx().call({
      method: 'DELETE',
      url: `${base}?kind=url&value=${encodeURIComponent('https://acme.in/track')}`,
    });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    const again = await fx().call({
      method: 'DELETE',
      url: `${base}?kind=url&value=${encodeURIComponent('https://acme.in/track')}`,
    });
    assert.equal(again.statusCode, 404);
  });
});
