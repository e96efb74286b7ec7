/** sendSms and handOver: request shape, encoding and segments, idempotency, and that they never throw. */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  createTestAccount,
  describeEachStore,
  TEST_ENTITY_ID,
  TEST_TEMPLATE_ID,
} from '../store/testing.ts';
import type { Origin } from '../store/types.ts';
import { createSender, type SmsRequest } from './send.ts';

const api: Origin = { kind: 'api' };
const request = (overrides: Partial<SmsRequest> = {}): SmsRequest => ({
  to: '09876543210',
  senderId: 'ACMECO',
  body: 'Your OTP is 123456.',
  dltTemplateId: TEST_TEMPLATE_ID,
  dltEntityId: TEST_ENTITY_ID,
  ...overrides,
});

async function until(condition: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a wake-up');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describeEachStore('sendSms', (current) => {
  it('counts segments as the standard does, or with clusters whole under splitGraphemes', async () => {
    const { store, clock } = current();
    const a = await createTestAccount(store);
    // क्ष straddles units 66-68: two parts cut inside it, three when it moves whole.
    const body = `${'a'.repeat(65)}क्ष${'a'.repeat(66)}`;
    const standard = await createSender({ store, clock }).sendSms(a.sid, request({ body }), api);
    assert.ok(standard.ok);
    assert.equal(standard.message.segments, 2);
    const kept = createSender({ store, clock, sms: { splitGraphemes: true } });
    assert.equal(kept.splitGraphemes, true);
    const whole = await kept.sendSms(a.sid, request({ body }), api);
    assert.ok(whole.ok);
    assert.equal(whole.message.segments, 3);
  });

  it('writes a queued outbox row with encoding, segments and validity, and wakes the workers', async () => {
    const { store, clock, name } = current();
    const a = await createTestAccount(store);
    let woken = 0;
    store.onNotify('messages', () => woken++);
    // On PostgreSQL the wake-up is a NOTIFY: the LISTEN connection says when it is up.
    if (name === 'postgres') await until(() => woken > 0);
    const before = woken;
    const sender = createSender({ store, clock });
    const flow: Origin = { kind: 'flow', callSid: 'CA1', flowId: 'FL1', appletId: 'sms' };
    const result = await sender.sendSms(
      a.sid,
      request({ body: `नमस्ते ${'x'.repeat(70)}`, customField: 'c1', validitySeconds: 600 }),
      flow,
    );
    assert.equal(result.ok, true);
    assert.ok(result.ok);
    const m = result.message;
    assert.equal(result.created, true);
    assert.match(m.sid, /^[0-9a-f]{32}$/);
    assert.equal(m.status, 'queued');
    assert.equal(m.to, '+919876543210', 'kept in E.164');
    assert.equal(m.encoding, 'UCS-2');
    assert.equal(m.segments, 2);
    assert.equal(m.smsType, 'transactional');
    assert.equal(m.callbackFormat, 'json');
    assert.equal(m.customField, 'c1');
    assert.deepEqual(m.origin, flow);
    assert.equal(m.validUntil.getTime(), clock().getTime() + 600_000);
    await until(() => woken > before);
    assert.deepEqual(await store.messages.getBySid(m.sid), m);
  });

  it('refuses a malformed request with its code and field, writing nothing', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sender = createSender({
      store,
      config: { validitySeconds: 600, maxValiditySeconds: 3600 },
    });
    const cases: [Partial<SmsRequest> | Record<string, unknown>, string, string][] = [
      [{ to: '' }, 'VALIDATION_FAILED', 'to'],
      [{ senderId: undefined }, 'VALIDATION_FAILED', 'senderId'],
      [{ senderId: 'ACME-CO' }, 'INVALID_HEADER', 'senderId'],
      [{ body: '' }, 'VALIDATION_FAILED', 'body'],
      [{ body: 42 }, 'INVALID_TEXT', 'body'],
      [{ body: 'a\u0000b' }, 'INVALID_TEXT', 'body'],
      [{ body: 'lone \ud800 surrogate' }, 'INVALID_TEXT', 'body'],
      [{ body: 'x'.repeat(2001) }, 'TEXT_TOO_LONG', 'body'],
      [{ body: '😀'.repeat(2001) }, 'TEXT_TOO_LONG', 'body'],
      [{ dltEntityId: '12345' }, 'INVALID_ENTITY_ID', 'dltEntityId'],
      [{ dltTemplateId: '1107A' }, 'INVALID_TEMPLATE_ID', 'dltTemplateId'],
      [{ smsType: 'marketing' }, 'VALIDATION_FAILED', 'smsType'],
      [{ statusCallback: 'ftp://example.com/cb' }, 'CALLBACK_URL_BLOCKED', 'statusCallback'],
      [{ statusCallback: 'http://10.0.0.5/cb' }, 'CALLBACK_URL_BLOCKED', 'statusCallback'],
      [{ statusCallback: 'not a url' }, 'CALLBACK_URL_BLOCKED', 'statusCallback'],
      [{ validitySeconds: 3601 }, 'VALIDATION_FAILED', 'validitySeconds'],
      [{ validitySeconds: 1.5 }, 'VALIDATION_FAILED', 'validitySeconds'],
      [{ idempotencyKey: 'has space' }, 'VALIDATION_FAILED', 'idempotencyKey'],
      [{ callbackFormat: 'xml' }, 'VALIDATION_FAILED', 'callbackFormat'],
    ];
    for (const [overrides, code, field] of cases) {
      const result = await sender.sendSms(a.sid, { ...request(), ...overrides } as SmsRequest, api);
      assert.equal(result.ok, false, JSON.stringify(overrides));
      assert.equal(!result.ok && result.code, code, JSON.stringify(overrides));
      assert.equal(!result.ok && result.field, field, JSON.stringify(overrides));
    }
    assert.equal((await sender.sendSms(a.sid, request({ body: 'x'.repeat(2000) }), api)).ok, true);
    assert.equal((await store.messages.list(a.sid, {}, null, 100)).items.length, 1);
  });

  it('keeps an invalid number as given for the worker to refuse', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const result = await createSender({ store }).sendSms(a.sid, request({ to: '12' }), api);
    assert.ok(result.ok);
    assert.equal(result.message.to, '12');
  });

  it('returns the same message for the same key and request, and refuses the key for another request', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sender = createSender({ store });
    const first = await sender.sendSms(a.sid, request({ idempotencyKey: 'order-7' }), api);
    assert.ok(first.ok);
    const same = await sender.sendSms(
      a.sid,
      request({ idempotencyKey: 'order-7', to: '+919876543210' }),
      api,
    );
    assert.ok(same.ok);
    assert.equal(same.created, false);
    assert.equal(same.message.sid, first.message.sid);
    const other = await sender.sendSms(
      a.sid,
      request({ idempotencyKey: 'order-7', body: 'Your OTP is 654321.' }),
      api,
    );
    assert.deepEqual(other.ok === false && [other.code, other.field], [
      'IDEMPOTENCY_KEY_REUSED',
      'idempotencyKey',
    ]);
    assert.equal((await store.messages.list(a.sid, {}, null, 10)).items.length, 1);
  });

  it('uses the Exotel callback format for the Exotel-compatible API', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const result = await createSender({ store }).sendSms(
      a.sid,
      request({ statusCallback: 'https://example.com/cb' }),
      { kind: 'exotel' },
    );
    assert.ok(result.ok);
    assert.equal(result.message.callbackFormat, 'exotel');
    assert.equal(result.message.statusCallback, 'https://example.com/cb');
  });

  it('never throws: an unknown account or a closed store is a result', async () => {
    const t = current();
    const sender = createSender({ store: t.store });
    const unknown = await sender.sendSms('ACnope', request(), api);
    assert.equal(!unknown.ok && unknown.code, 'NOT_FOUND');
    const a = await createTestAccount(t.store);
    await t.store.close();
    const closed = await sender.sendSms(a.sid, request(), api);
    assert.equal(!closed.ok && closed.code, 'STORE_UNAVAILABLE');
    t.store = await t.open({ migrate: false });
  });

  it('hands a flow its SmsSid at once, and the row it stores has that SmsSid', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sender = createSender({ store });
    const flow: Origin = { kind: 'flow', callSid: 'CA1', flowId: 'FL1', appletId: 'sms' };
    const handover = sender.handOver(a.sid, request(), flow);
    assert.ok(handover.ok);
    assert.match(handover.sid, /^[0-9a-f]{32}$/);
    const stored = await handover.stored;
    assert.ok(stored.ok && stored.created);
    assert.equal(stored.message.sid, handover.sid);
    assert.deepEqual((await store.messages.getBySid(handover.sid))?.origin, flow);

    // Refused before anything is written: synchronously, with the code sendSms gives.
    const refused = sender.handOver(a.sid, request({ senderId: 'NOT-A-HEADER' }), flow);
    assert.deepEqual(
      { ok: refused.ok, code: !refused.ok && refused.code },
      { ok: false, code: 'INVALID_HEADER' },
    );
    // A store that cannot take the row: the hand-over's promise says so; it never rejects.
    const unknown = sender.handOver('ACnope', request(), flow);
    assert.ok(unknown.ok);
    const lost = await unknown.stored;
    assert.equal(!lost.ok && lost.code, 'NOT_FOUND');
    assert.equal(await store.messages.getBySid(unknown.sid), undefined);
  });

  it('accepts a status callback on an allow-listed internal address, and only that one', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sender = createSender({ store, outbound: { allowList: ['10.1.0.0/16', '127.0.0.1'] } });
    for (const url of ['http://10.1.2.3/cb', 'http://127.0.0.1:8080/cb']) {
      const result = await sender.sendSms(a.sid, request({ statusCallback: url }), api);
      assert.equal(result.ok, true, url);
    }
    const refused = await sender.sendSms(
      a.sid,
      request({ statusCallback: 'http://10.2.0.1/cb' }),
      api,
    );
    assert.equal(!refused.ok && refused.code, 'CALLBACK_URL_BLOCKED');
  });

  it('refuses a NUL in any field it stores, on every store, before writing', async () => {
    const { store } = current();
    const a = await createTestAccount(store);
    const sender = createSender({ store, outbound: { allowPrivateAddresses: true } });
    const cases: [Partial<SmsRequest>, string, string][] = [
      [{ to: '+9198765\u000043210' }, 'INVALID_NUMBER', 'to'],
      [{ customField: 'order\u00007' }, 'INVALID_TEXT', 'customField'],
      [{ statusCallback: 'https://example.com/cb\u0000' }, 'INVALID_TEXT', 'statusCallback'],
      [{ body: 'Your OTP is 123456.\u0000' }, 'INVALID_TEXT', 'body'],
    ];
    for (const [overrides, code, field] of cases) {
      const result = await sender.sendSms(a.sid, request(overrides), api);
      assert.deepEqual(
        { code: !result.ok && result.code, field: !result.ok && result.field },
        { code, field },
        JSON.stringify(overrides),
      );
      const handover = sender.handOver(a.sid, request(overrides), api);
      assert.equal(!handover.ok && handover.code, code, 'a flow gets the same refusal at once');
    }
    assert.equal((await store.messages.stats()).byStatus.queued, 0, 'nothing was written');
  });

  it('accepts a message in a few milliseconds', async () => {
    const { store, name } = current();
    const a = await createTestAccount(store);
    const sender = createSender({ store });
    await sender.sendSms(a.sid, request(), api);
    const started = performance.now();
    const n = 200;
    for (let i = 0; i < n; i++)
      assert.equal((await sender.sendSms(a.sid, request(), api)).ok, true);
    const perMessage = (performance.now() - started) / n;
    // One at a time, PostgreSQL waits for its WAL flush on every commit (several ms on a
    // shared disk); its throughput comes from concurrent commits instead.
    assert.ok(perMessage < (name === 'sqlite' ? 5 : 50), `${perMessage.toFixed(2)} ms per message`);
  });
});
