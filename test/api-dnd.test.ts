import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, json } from './api-helpers.ts';

describeApi('DND and consent API', (fx) => {
  it('sets, reads and removes preferences under the E.164 number', async () => {
    const put = await fx().call({
      method: 'PUT',
      url: '/api/v1/dnd/09812300001',
      payload: { preferences: [3, 1] },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(json(put).number, '+919812300001');
    assert.deepEqual(json(put).preferences, [1, 3]);

    const got = await fx().call({ method: 'GET', url: '/api/v1/dnd/%2B919812300001' });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(json(got).preferences, [1, 3]);

    const other = await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300001', as: fx().b });
    assert.equal(other.statusCode, 404, "one account's DND list is not another's");

    const del = await fx().call({ method: 'DELETE', url: '/api/v1/dnd/9812300001' });
    assert.equal(del.statusCode, 204);
    assert.equal(
      (await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300001' })).statusCode,
      404,
    );
    assert.equal(
      (await fx().call({ method: 'DELETE', url: '/api/v1/dnd/9812300001' })).statusCode,
      404,
    );
  });

  it('refuses invalid numbers and preferences', async () => {
    const bad = await fx().call({
      method: 'PUT',
      url: '/api/v1/dnd/12',
      payload: { preferences: [0] },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad).code, 'INVALID_NUMBER');
    for (const preferences of [[8], [-1], [1, 1], 'all']) {
      const res = await fx().call({
        method: 'PUT',
        url: '/api/v1/dnd/9812300002',
        payload: { preferences },
      });
      assert.equal(res.statusCode, 400, JSON.stringify(preferences));
      assert.equal(json(res).code, 'VALIDATION_FAILED');
    }
  });

  it('records, finds and revokes consents', async () => {
    const { a } = fx();
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/consents',
      payload: { number: '9812300003', entityId: a.entityId, templateId: a.promoTemplateId },
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = json(created);
    assert.equal(c.number, '+919812300003');
    assert.equal(c.templateId, a.promoTemplateId);
    assert.equal(c.grantedAt, fx().clock().toISOString());
    assert.equal(c.expiresAt, null);
    assert.equal(c.revokedAt, null);

    const query = `number=%2B919812300003&entityId=${a.entityId}&templateId=${a.promoTemplateId}`;
    const found = await fx().call({ method: 'GET', url: `/api/v1/dnd/consents?${query}` });
    assert.equal(found.statusCode, 200, found.body);

    const revoke = await fx().call({ method: 'DELETE', url: `/api/v1/dnd/consents?${query}` });
    assert.equal(revoke.statusCode, 204);
    assert.equal(
      (await fx().call({ method: 'GET', url: `/api/v1/dnd/consents?${query}` })).statusCode,
      404,
    );

    const entityWide = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/consents',
      payload: { number: '9812300004', entityId: a.entityId },
    });
    assert.equal(json(entityWide).templateId, null);
    const covers = await fx().call({
      method: 'GET',
      url: `/api/v1/dnd/consents?number=9812300004&entityId=${a.entityId}&templateId=${a.templateId}`,
    });
    assert.equal(covers.statusCode, 200, 'an entity-wide consent covers every template');
  });

  it('refuses consents with bad IDs or an expiry in the past', async () => {
    const { a } = fx();
    const past = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/consents',
      payload: { number: '9812300005', entityId: a.entityId, expiresAt: '2020-01-01T00:00:00Z' },
    });
    assert.equal(json(past).code, 'VALIDATION_FAILED');
    const badEntity = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/consents',
      payload: { number: '9812300005', entityId: 'x' },
    });
    assert.equal(json(badEntity).code, 'INVALID_ENTITY_ID');
  });
});
