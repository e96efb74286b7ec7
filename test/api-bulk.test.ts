import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, json, smsBody } from './api-helpers.ts';

interface BulkResponse {
  accepted: number;
  refused: number;
  results: {
    index: number;
    ok: boolean;
    message?: { sid: string; to: string };
    code?: string;
    error?: string;
    field?: string;
    details?: { path: string }[];
  }[];
}

describeApi('POST /api/v1/sms/bulk', (fx) => {
  it('answers 202 with one result per item, in order, for mixed valid and invalid items', async () => {
    const { a } = fx();
    const messages = [
      smsBody(a, { to: '+919812345601' }),
      smsBody(a, { to: 'not a number' }),
      smsBody(a, { to: '+919812345603', dltTemplateId: '1107000000000000999' }),
      { to: '+919812345604' },
      smsBody(a, { to: '+919812345605', smsType: 'bulk' }),
      smsBody(a, { to: '+919812345606' }),
    ];
    const res = await fx().call({ method: 'POST', url: '/api/v1/sms/bulk', payload: { messages } });
    assert.equal(res.statusCode, 202, res.body);
    const body = json<BulkResponse>(res);
    assert.equal(body.accepted, 2);
    assert.equal(body.refused, 4);
    assert.deepEqual(
      body.results.map((r) => [r.index, r.ok, r.code ?? null]),
      [
        [0, true, null],
        [1, false, 'INVALID_NUMBER'],
        [2, false, 'DLT_TEMPLATE_NOT_FOUND'],
        [3, false, 'VALIDATION_FAILED'],
        [4, false, 'VALIDATION_FAILED'],
        [5, true, null],
      ],
    );
    assert.equal(body.results[0]!.message!.to, '+919812345601');
    assert.equal(body.results[1]!.field, 'to');
    const paths = body.results[3]!.details!.map((d) => d.path);
    assert.ok(paths.includes('/messages/3/body'), JSON.stringify(paths));
    assert.ok(body.results[4]!.details!.some((d) => d.path === '/messages/4/smsType'));

    for (const r of body.results.filter((r) => r.ok)) {
      const got = await fx().call({ method: 'GET', url: `/api/v1/sms/${r.message!.sid}` });
      assert.equal(got.statusCode, 200);
    }
  });

  it('accepts all-valid items without per-item validation errors', async () => {
    const { a } = fx();
    const messages = Array.from({ length: 20 }, (_, i) =>
      smsBody(a, { to: `+9198123400${String(i).padStart(2, '0')}` }),
    );
    const body = json<BulkResponse>(
      await fx().call({ method: 'POST', url: '/api/v1/sms/bulk', payload: { messages } }),
    );
    assert.equal(body.accepted, 20);
    assert.equal(new Set(body.results.map((r) => r.message!.sid)).size, 20);
  });

  it('makes a retried bulk request with the same Idempotency-Key send nothing twice', async () => {
    const { a } = fx();
    const headers = { 'idempotency-key': 'campaign-7' };
    const messages = [smsBody(a, { to: '+919812345611' }), smsBody(a, { to: '+919812345612' })];
    const first = json<BulkResponse>(
      await fx().call({ method: 'POST', url: '/api/v1/sms/bulk', headers, payload: { messages } }),
    );
    const again = json<BulkResponse>(
      await fx().call({ method: 'POST', url: '/api/v1/sms/bulk', headers, payload: { messages } }),
    );
    assert.deepEqual(
      again.results.map((r) => r.message?.sid),
      first.results.map((r) => r.message?.sid),
    );
    const swapped = json<BulkResponse>(
      await fx().call({
        method: 'POST',
        url: '/api/v1/sms/bulk',
        headers,
        payload: { messages: [messages[1], messages[0]] },
      }),
    );
    assert.deepEqual(
      swapped.results.map((r) => r.code),
      ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_REUSED'],
    );
  });

  it('refuses a malformed Idempotency-Key even when items are invalid too', async () => {
    const { a } = fx();
    for (const messages of [[smsBody(a)], [smsBody(a), { to: 'x' }]]) {
      const res = await fx().call({
        method: 'POST',
        url: '/api/v1/sms/bulk',
        headers: { 'idempotency-key': 'has space' },
        payload: { messages },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(json(res).code, 'VALIDATION_FAILED');
      assert.equal((json(res).details as { in: string }[])[0]!.in, 'headers');
    }
  });

  it('refuses more than 1,000 items, none, or no array with 400 VALIDATION_FAILED', async () => {
    const { a } = fx();
    const item = smsBody(a);
    for (const payload of [
      { messages: Array.from({ length: 1001 }, () => item) },
      { messages: [] },
      { messages: 'x' },
      {},
    ]) {
      const res = await fx().call({ method: 'POST', url: '/api/v1/sms/bulk', payload });
      assert.equal(res.statusCode, 400, res.body.slice(0, 200));
      assert.equal(json(res).code, 'VALIDATION_FAILED');
    }
  });
});
