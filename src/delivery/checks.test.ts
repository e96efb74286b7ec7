/** The worker's checks: every refusal code, in the documented order; DND, consent and the window. */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  createTestAccount,
  describeEachStore,
  newTestMessage,
  seedTestRegistry,
  TEST_ENTITY_ID,
  TEST_EXPLICIT_TEMPLATE_ID,
  TEST_IMPLICIT_TEMPLATE_ID,
  TEST_PROMO_TEMPLATE_ID,
  TEST_TEMPLATE_ID,
  type TestStore,
} from '../store/testing.ts';
import type { NewMessage, Store } from '../store/types.ts';
import { createChecks } from './checks.ts';
import {
  DEFAULT_DELIVERY_CONFIG,
  DEFAULT_PROMOTIONAL_CONFIG,
  DEFAULT_SMS_CONFIG,
  type DeliveryConfig,
  type PromotionalConfig,
} from './config.ts';

const OTHER_ENTITY = '1101166000000000002';
const PROMO_TEMPLATE = TEST_PROMO_TEMPLATE_ID;
const EXPLICIT_TEMPLATE = TEST_EXPLICIT_TEMPLATE_ID;
const IMPLICIT_TEMPLATE = TEST_IMPLICIT_TEMPLATE_ID;

async function registry(store: Store, accountSid: string) {
  await seedTestRegistry(store, accountSid);
  await store.dlt.upsertEntity({
    accountSid,
    entityId: OTHER_ENTITY,
    name: 'Other',
    status: 'active',
    tmChain: [],
  });
}

function setup(
  t: TestStore,
  config: Partial<DeliveryConfig> = {},
  promotional: Partial<PromotionalConfig> = {},
) {
  const checks = createChecks({
    store: t.store,
    config: { ...DEFAULT_DELIVERY_CONFIG, registryCacheMs: 0, ...config },
    promotional: { ...DEFAULT_PROMOTIONAL_CONFIG, ...promotional },
    sms: DEFAULT_SMS_CONFIG,
    now: () => t.clock().getTime(),
  });
  return async (accountSid: string, overrides: Partial<NewMessage>) => {
    const { message } = await t.store.messages.insert(newTestMessage(accountSid, overrides));
    return checks.check(message, t.clock());
  };
}

const promo = {
  senderId: '123456',
  dltTemplateId: PROMO_TEMPLATE,
  smsType: 'promotional',
  body: 'Big sale at Acme today!',
} as const;
const explicit = {
  senderId: 'ACMEIN',
  dltTemplateId: EXPLICIT_TEMPLATE,
  smsType: 'service',
  body: 'Hi Asha, your plan renews soon.',
} as const;
const implicit = {
  senderId: 'ACMEIN',
  dltTemplateId: IMPLICIT_TEMPLATE,
  smsType: 'service',
  body: 'Hi Asha, your order shipped.',
} as const;

describeEachStore('delivery checks', (current) => {
  it('refuses with each code in order: number, then the DLT registry, then the content', async () => {
    const t = current();
    const { store } = t;
    const a = await createTestAccount(store);
    await registry(store, a.sid);
    await store.dlt.upsertEntity({
      accountSid: a.sid,
      entityId: TEST_ENTITY_ID,
      name: 'Acme',
      status: 'inactive',
      tmChain: [],
    });
    await store.dlt.upsertHeader({
      accountSid: a.sid,
      entityId: TEST_ENTITY_ID,
      senderId: 'ACMEIN',
      smsType: 'transactional',
      status: 'inactive',
    });
    const template = (await store.dlt.getTemplate(a.sid, TEST_TEMPLATE_ID))!;
    await store.dlt.upsertTemplate({ ...template, status: 'pending' });
    await store.dlt.upsertTemplate({
      ...template,
      templateId: '1107166000000000099',
      entityId: OTHER_ENTITY,
    });
    const check = setup(t);

    // Every step mends the problem just reported; the next check reports the next one.
    const m: Partial<NewMessage> = {
      to: '12',
      dltEntityId: '1101166000000000999',
      senderId: 'acmein',
      dltTemplateId: '1107166000000000999',
      smsType: 'promotional',
      body: 'Your OTP is abc.',
    };
    const steps: [string, Partial<NewMessage> | (() => Promise<unknown>)][] = [
      ['INVALID_NUMBER', { to: '+914423456789' }],
      ['NOT_MOBILE', { to: '+919876543210' }],
      ['DLT_ENTITY_NOT_FOUND', { dltEntityId: TEST_ENTITY_ID }],
      [
        'DLT_ENTITY_INACTIVE',
        () =>
          store.dlt.upsertEntity({
            accountSid: a.sid,
            entityId: TEST_ENTITY_ID,
            name: 'Acme',
            status: 'active',
            tmChain: [],
          }),
      ],
      ['DLT_HEADER_NOT_FOUND', { senderId: 'ACMEIN' }],
      [
        'DLT_HEADER_INACTIVE',
        () =>
          store.dlt.upsertHeader({
            accountSid: a.sid,
            entityId: TEST_ENTITY_ID,
            senderId: 'ACMEIN',
            smsType: 'transactional',
            status: 'active',
          }),
      ],
      ['DLT_TEMPLATE_NOT_FOUND', { dltTemplateId: '1107166000000000099' }],
      ['DLT_TEMPLATE_ENTITY_MISMATCH', { dltTemplateId: TEST_TEMPLATE_ID }],
      [
        'DLT_HEADER_NOT_LINKED',
        () =>
          store.dlt.upsertTemplate({
            ...template,
            status: 'pending',
            senderIds: ['ACMECO', 'ACMEIN'],
          }),
      ],
      [
        'DLT_TEMPLATE_NOT_APPROVED',
        () => store.dlt.upsertTemplate({ ...template, senderIds: ['ACMECO', 'ACMEIN'] }),
      ],
      ['DLT_CATEGORY_MISMATCH', { smsType: 'transactional' }],
      ['DLT_VARIABLE_TYPE', { body: 'Your OTP is 123456!' }],
      ['DLT_TEMPLATE_MISMATCH', { body: 'Your OTP is 123456.' }],
    ];
    for (const [code, mend] of steps) {
      const outcome = await check(a.sid, m);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.ok === false && outcome.code, code);
      if (typeof mend === 'function') await mend();
      else Object.assign(m, mend);
    }
    const passed = await check(a.sid, m);
    assert.deepEqual(passed, {
      ok: true,
      to: '+919876543210',
      parts: ['Your OTP is 123456.'],
      encoding: 'GSM-7',
      pricePaise: 20,
    });
  });

  it('keeps a promotional header to promotional SMS', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await registry(t.store, a.sid);
    // The promotional template, linked to no header in particular, so only the header decides.
    const template = (await t.store.dlt.getTemplate(a.sid, PROMO_TEMPLATE))!;
    await t.store.dlt.upsertTemplate({ ...template, category: 'transactional', senderIds: [] });
    const check = setup(t);
    const asTransactional = await check(a.sid, {
      ...promo,
      smsType: 'transactional',
      body: 'Big sale at Acme today!',
    });
    assert.equal(asTransactional.ok === false && asTransactional.code, 'DLT_HEADER_TYPE_MISMATCH');
    assert.match(
      asTransactional.ok === false ? asTransactional.detail : '',
      /123456 is registered for promotional SMS, not transactional/,
    );
    // The same template and text from a transactional header passes.
    const fromAlpha = await check(a.sid, {
      ...promo,
      senderId: 'ACMECO',
      smsType: 'transactional',
    });
    assert.equal(fromAlpha.ok, true, JSON.stringify(fromAlpha));
    // A service header carries service SMS; a promotional SMS is left to the carrier.
    assert.equal((await check(a.sid, implicit)).ok, true);
    assert.equal((await check(a.sid, promo)).ok, false, 'the template is transactional now');
    await t.store.dlt.upsertTemplate({ ...template, senderIds: [] });
    assert.equal((await check(a.sid, { ...promo, senderId: 'ACMEIN' })).ok, true);
  });

  it('says where the content departs from the template', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await registry(t.store, a.sid);
    const outcome = await setup(t)(a.sid, { body: 'Your otp is 123456.' });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok === false && outcome.code, 'DLT_TEMPLATE_MISMATCH');
    assert.match(outcome.ok === false ? outcome.detail : '', /^at 5: expected "OTP/);
  });

  it('sends transactional and service-implicit to a fully blocked number; refuses promotional and service-explicit', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await registry(t.store, a.sid);
    await t.store.dnd.upsert(a.sid, '+919876543210', [0]);
    await t.store.dnd.addConsent({
      accountSid: a.sid,
      number: '+919876543210',
      entityId: TEST_ENTITY_ID,
      templateId: null,
      grantedAt: t.clock(),
      expiresAt: null,
    });
    const check = setup(t);
    assert.equal((await check(a.sid, {})).ok, true);
    assert.equal((await check(a.sid, implicit)).ok, true);
    for (const kind of [promo, explicit]) {
      const outcome = await check(a.sid, kind);
      assert.equal(
        outcome.ok === false && outcome.code,
        'DND_BLOCKED',
        'consent does not override full blocking',
      );
    }
  });

  it('scrubs partial preferences by NCPR category, strictly when the category is unknown, and honours consent', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await registry(t.store, a.sid);
    const check = setup(t);
    const n = '+919876543210';
    await t.store.dnd.upsert(a.sid, n, [3]);
    assert.equal((await check(a.sid, promo)).ok, true, 'the template is category 5');
    await t.store.dnd.upsert(a.sid, n, [3, 5]);
    assert.equal((await check(a.sid, promo)).ok === false, true);
    const outcome = await check(a.sid, explicit);
    assert.equal(
      outcome.ok === false && outcome.code,
      'DND_BLOCKED',
      'no NCPR category: any partial preference blocks',
    );
    await t.store.dnd.addConsent({
      accountSid: a.sid,
      number: n,
      entityId: TEST_ENTITY_ID,
      templateId: EXPLICIT_TEMPLATE,
      grantedAt: t.clock(),
      expiresAt: null,
    });
    assert.equal((await check(a.sid, explicit)).ok, true, 'consent lets it through');
    assert.equal((await check(a.sid, promo)).ok, false, 'consent to another template does not');
    await t.store.dnd.upsert(a.sid, n, []);
    assert.equal((await check(a.sid, promo)).ok, true, 'no preference: not scrubbed');
  });

  it('holds promotional messages outside the window, or fails them when configured', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    await registry(t.store, a.sid);
    t.clock.set('2025-06-02T16:00:00.000Z'); // 21:30 IST
    const waiting = await setup(t)(a.sid, promo);
    assert.deepEqual(waiting, {
      ok: 'wait',
      until: new Date('2025-06-03T04:30:00.000Z'),
      code: 'OUTSIDE_PROMO_WINDOW',
      detail: 'Promotional messages go out 10:00-21:00 Asia/Kolkata.',
    });
    const failing = await setup(t, {}, { outsideWindow: 'fail' })(a.sid, promo);
    assert.equal(failing.ok === false && failing.code, 'OUTSIDE_PROMO_WINDOW');
    assert.equal((await setup(t)(a.sid, explicit)).ok, true, 'service messages go out all day');
    assert.equal((await setup(t)(a.sid, {})).ok, true, 'transactional too');
    const narrow = setup(
      t,
      {},
      { windowStart: '09:00', windowEnd: '22:00', timeZone: 'Asia/Kolkata' },
    );
    assert.equal((await narrow(a.sid, promo)).ok, true, 'the window is configurable');
  });

  it('prices segments at the rate of the SMS type', async () => {
    const t = current();
    const a = await createTestAccount(t.store, {
      rates: { transactional: 13, service: 17, promotional: 29 },
    });
    await registry(t.store, a.sid);
    const check = setup(t);
    const three = await check(a.sid, {
      ...implicit,
      body: `Hi ${'x'.repeat(30)}, your order shipped.`,
      segments: 3,
    });
    assert.equal(three.ok === true && three.pricePaise, 51);
    const one = await check(a.sid, promo);
    assert.equal(one.ok === true && one.pricePaise, 29);
  });
});
