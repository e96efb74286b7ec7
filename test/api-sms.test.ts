import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, json, smsBody } from './api-helpers.ts';

describeApi('POST /api/v1/sms', (fx) => {
  it('accepts a message (202) and returns the queued resource', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { customField: 'order-42', statusCallback: 'https://example.com/cb' }),
    });
    assert.equal(res.statusCode, 202, res.body);
    const m = json(res);
    assert.match(String(m.sid), /^[0-9a-f]{32}$/);
    assert.equal(m.accountSid, a.sid);
    assert.equal(m.status, 'queued');
    assert.equal(m.to, '+919812345678');
    assert.equal(m.from, 'ACMECO');
    assert.equal(m.smsType, 'transactional');
    assert.equal(m.dltEntityId, a.entityId);
    assert.equal(m.dltTemplateId, a.templateId);
    assert.equal(m.encoding, 'GSM-7');
    assert.equal(m.segments, 1);
    assert.equal(m.pricePaise, null);
    assert.equal(m.price, null);
    assert.equal(m.reasonCode, null);
    assert.deepEqual(m.origin, { kind: 'api' });
    assert.equal(m.customField, 'order-42');
    assert.equal(m.statusCallback, 'https://example.com/cb');
    assert.deepEqual(m.carrierMessageIds, []);
    assert.equal(m.createdAt, fx().clock().toISOString());
    assert.ok(Date.parse(String(m.validUntil)) > Date.parse(String(m.createdAt)));
    assert.equal('transitions' in m, false, 'the accept response is the summary resource');
  });

  it('accepts `from` as the sender ID and a national number as the recipient', async () => {
    const { a } = fx();
    const body = smsBody(a, { to: '09812345678' });
    body.from = body.senderId;
    delete body.senderId;
    const res = await fx().call({ method: 'POST', url: '/api/v1/sms', payload: body });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(json(res).from, 'ACMECO');
    assert.equal(json(res).to, '+919812345678');
  });

  it('accepts a form-urlencoded body', async () => {
    const { a } = fx();
    const form = new URLSearchParams(smsBody(a) as Record<string, string>).toString();
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    assert.equal(res.statusCode, 202, res.body);
  });

  it('reads back the message with its timeline; another account gets 404', async () => {
    const { a, b } = fx();
    const sent = json(await fx().call({ method: 'POST', url: '/api/v1/sms', payload: smsBody(a) }));
    const res = await fx().call({ method: 'GET', url: `/api/v1/sms/${sent.sid}` });
    assert.equal(res.statusCode, 200);
    const m = json(res);
    assert.equal(m.sid, sent.sid);
    assert.deepEqual(
      (m.transitions as { status: string }[]).map((t) => t.status),
      ['queued'],
    );
    assert.deepEqual(m.parts, []);

    const other = await fx().call({ method: 'GET', url: `/api/v1/sms/${sent.sid}`, as: b });
    assert.equal(other.statusCode, 404);
    assert.equal(json(other).code, 'NOT_FOUND');
    const missing = await fx().call({ method: 'GET', url: `/api/v1/sms/${'0'.repeat(32)}`, as: b });
    assert.deepEqual(
      json(other),
      json(missing),
      'another account’s message looks exactly like none',
    );
  });

  it('shows a failed message with its reason, description and transitions', async () => {
    const { a, store } = fx();
    const sent = json(await fx().call({ method: 'POST', url: '/api/v1/sms', payload: smsBody(a) }));
    await store.messages.fail(String(sent.sid), null, 'DND_BLOCKED', 'preference 0');
    const m = json(await fx().call({ method: 'GET', url: `/api/v1/sms/${sent.sid}` }));
    assert.equal(m.status, 'failed');
    assert.equal(m.reasonCode, 'DND_BLOCKED');
    assert.equal(
      m.reasonDescription,
      "The recipient's DND preferences block this message's category. (preference 0)",
    );
    const transitions = m.transitions as { status: string; reasonCode: string | null }[];
    assert.deepEqual(
      transitions.map((t) => [t.status, t.reasonCode]),
      [
        ['queued', null],
        ['failed', 'DND_BLOCKED'],
      ],
    );
  });

  it('returns the same message for a retry with the same Idempotency-Key (200)', async () => {
    const { a } = fx();
    const headers = { 'idempotency-key': 'order-1001' };
    const first = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers,
      payload: smsBody(a),
    });
    assert.equal(first.statusCode, 202);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers,
      payload: smsBody(a),
    });
    assert.equal(again.statusCode, 200);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(json(again).sid, json(first).sid);

    const list = json<{ items: { sid: string }[] }>(
      await fx().call({ method: 'GET', url: '/api/v1/sms?limit=1000' }),
    );
    assert.equal(list.items.filter((m) => m.sid === json(first).sid).length, 1);
  });

  it('refuses an Idempotency-Key reused for a different request (422)', async () => {
    const { a, b } = fx();
    const headers = { 'idempotency-key': 'order-2002' };
    await fx().call({ method: 'POST', url: '/api/v1/sms', headers, payload: smsBody(a) });
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers,
      payload: smsBody(a, { body: 'Your OTP is 111111. Do not share it.' }),
    });
    assert.equal(res.statusCode, 422);
    assert.equal(json(res).code, 'IDEMPOTENCY_KEY_REUSED');

    const spaced = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { 'idempotency-key': 'order 2002' },
      payload: smsBody(a),
    });
    assert.equal(spaced.statusCode, 400);
    assert.equal(json(spaced).code, 'VALIDATION_FAILED');
    assert.equal((json(spaced).details as { in: string }[])[0]!.in, 'headers');

    // Keys are per account: another account may use the same key.
    const other = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers,
      payload: smsBody(b),
      as: b,
    });
    assert.equal(other.statusCode, 202);
  });
});

describeApi('POST /api/v1/sms refusals', (fx) => {
  const cases: [
    string,
    (t: ReturnType<typeof fx>['a']) => Record<string, unknown>,
    string,
    string,
  ][] = [
    ['an invalid number', (t) => smsBody(t, { to: '12345' }), 'INVALID_NUMBER', 'to'],
    ['a fixed-line number', (t) => smsBody(t, { to: '+911123456789' }), 'NOT_MOBILE', 'to'],
    [
      'a malformed entity ID',
      (t) => smsBody(t, { dltEntityId: '12ab' }),
      'INVALID_ENTITY_ID',
      'dltEntityId',
    ],
    [
      'a malformed template ID',
      (t) => smsBody(t, { dltTemplateId: '99' }),
      'INVALID_TEMPLATE_ID',
      'dltTemplateId',
    ],
    [
      'an unknown entity',
      (t) => smsBody(t, { dltEntityId: '1101000000000000999' }),
      'DLT_ENTITY_NOT_FOUND',
      'dltEntityId',
    ],
    [
      'an unknown template',
      (t) => smsBody(t, { dltTemplateId: '1107000000000000999' }),
      'DLT_TEMPLATE_NOT_FOUND',
      'dltTemplateId',
    ],
    [
      'a template of another entity',
      (t) => smsBody(t, { dltTemplateId: t.otherTemplateId }),
      'DLT_TEMPLATE_ENTITY_MISMATCH',
      'dltTemplateId',
    ],
    [
      'an unregistered header',
      (t) => smsBody(t, { senderId: 'OTHERS' }),
      'DLT_HEADER_NOT_FOUND',
      'senderId',
    ],
    [
      'a header in the wrong case',
      (t) => smsBody(t, { senderId: 'AcmeCo' }),
      'DLT_HEADER_NOT_FOUND',
      'senderId',
    ],
    [
      'a header the template is not linked to',
      (t) => smsBody(t, { senderId: '123456' }),
      'DLT_HEADER_NOT_LINKED',
      'senderId',
    ],
    [
      'a transactional SMS from a promotional header',
      (t) =>
        smsBody(t, {
          senderId: '123456',
          dltTemplateId: t.promoTemplateId,
          body: 'Sale now on at Acme today',
        }),
      'DLT_HEADER_TYPE_MISMATCH',
      'senderId',
    ],
    [
      'an SMS type the category forbids',
      (t) => smsBody(t, { smsType: 'promotional' }),
      'DLT_CATEGORY_MISMATCH',
      'smsType',
    ],
  ];

  for (const [what, body, code, field] of cases) {
    it(`refuses ${what} with 400 ${code}`, async () => {
      const res = await fx().call({ method: 'POST', url: '/api/v1/sms', payload: body(fx().a) });
      assert.equal(res.statusCode, 400, res.body);
      const err = json(res);
      assert.equal(err.code, code);
      assert.equal(typeof err.message, 'string');
      assert.deepEqual(err.details, { field });
    });
  }

  it("refuses another account's entity as unknown", async () => {
    const { a, b } = fx();
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { dltEntityId: b.entityId, dltTemplateId: b.templateId }),
    });
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'DLT_ENTITY_NOT_FOUND');
  });

  it('answers VALIDATION_FAILED with details for a body that breaks the schema', async () => {
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: {
        senderId: 'ACMECO',
        body: 'x',
        dltTemplateId: 1,
        smsType: 'bulk',
        validitySeconds: 0,
      },
    });
    assert.equal(res.statusCode, 400);
    const err = json<{
      code: string;
      message: string;
      details: { in: string; path: string; message: string }[];
    }>(res);
    assert.equal(err.code, 'VALIDATION_FAILED');
    const paths = err.details.map((d) => d.path).sort();
    assert.ok(paths.includes('/to'), JSON.stringify(err.details));
    assert.ok(paths.includes('/dltEntityId'), JSON.stringify(err.details));
    assert.ok(paths.includes('/smsType'), JSON.stringify(err.details));
    assert.ok(paths.includes('/validitySeconds'), JSON.stringify(err.details));
    assert.ok(err.details.every((d) => d.in === 'body' && d.message.length > 0));
  });

  it('requires a sender ID (senderId or from) and refuses two different ones', async () => {
    const { a } = fx();
    const none = smsBody(a);
    delete none.senderId;
    const res = await fx().call({ method: 'POST', url: '/api/v1/sms', payload: none });
    assert.equal(res.statusCode, 400);
    assert.equal(json(res).code, 'VALIDATION_FAILED');
    assert.deepEqual(json(res).details, { field: 'senderId' });

    const two = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { from: 'OTHERS' }),
    });
    assert.equal(two.statusCode, 400);
    assert.equal(json(two).code, 'VALIDATION_FAILED');
  });

  it('refuses malformed JSON (400), another content type (415) and an oversize body (413)', async () => {
    const bad = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { 'content-type': 'application/json' },
      payload: '{"to": ',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad).code, 'MALFORMED_REQUEST');

    const text = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.equal(text.statusCode, 415);
    assert.equal(json(text).code, 'UNSUPPORTED_MEDIA_TYPE');

    const big = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(fx().a, { body: 'x'.repeat(1024 * 1024 + 1) }),
    });
    assert.equal(big.statusCode, 413);
    assert.equal(json(big).code, 'PAYLOAD_TOO_LARGE');
  });

  it('answers unknown routes with NOT_FOUND', async () => {
    const res = await fx().call({ method: 'GET', url: '/api/v1/nothing-here' });
    assert.equal(res.statusCode, 404);
    assert.equal(json(res).code, 'NOT_FOUND');
  });

  it('sees a template registered through the API at once (cache invalidated)', async () => {
    const { a } = fx();
    const templateId = '1107000000000004242';
    const before = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { dltTemplateId: templateId, body: 'Order 7 shipped' }),
    });
    assert.equal(json(before).code, 'DLT_TEMPLATE_NOT_FOUND');
    const created = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/templates',
      payload: {
        templateId,
        entityId: a.entityId,
        content: 'Order {#numeric#} shipped',
        category: 'transactional',
        senderIds: ['ACMECO'],
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const after = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { dltTemplateId: templateId, body: 'Order 7 shipped' }),
    });
    assert.equal(after.statusCode, 202, after.body);
  });
});
