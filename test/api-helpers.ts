/**
 * Fixtures for the HTTP API tests: a real store (SQLite always, PostgreSQL too when
 * CALLFLOW_TEST_DATABASE_URL is set), the real sender, and tenants seeded through the Store.
 */

import { after, before } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { issueApiKey } from '../src/accounts.ts';
import { buildApp } from '../src/api/app.ts';
import type { ApiDeps } from '../src/api/types.ts';
import { createSender } from '../src/delivery/send.ts';
import {
  createTestAccount,
  describeForStore,
  openTestStore,
  storeKinds,
  type TestClock,
  type TestStore,
} from '../src/store/testing.ts';
import type { Store } from '../src/store/types.ts';

export interface Tenant {
  sid: string;
  key: string;
  token: string;
  keyId: string;
  /** Authorization header value. */
  auth: string;
  entityId: string;
  otherEntityId: string;
  templateId: string;
  otherTemplateId: string;
  promoTemplateId: string;
  senderId: string;
}

let serial = 0;
/** A fresh 19-digit DLT-style ID, unique within this process. */
export function dltId(prefix: '1101' | '1107'): string {
  serial++;
  return `${prefix}${String(Date.now() % 1e9).padStart(9, '0')}${String(serial).padStart(6, '0')}`;
}

export const basicAuth = (key: string, token: string) =>
  `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`;

/** An account with a key, two entities, a header and templates: what most tests need. */
export async function seedTenant(
  store: Store,
  opts: { balancePaise?: number } = {},
): Promise<Tenant> {
  const { sid } = await createTestAccount(store, {
    balancePaise: opts.balancePaise ?? 100_000,
    rates: { transactional: 25, service: 25, promotional: 20 },
  });
  const { apiKey, token } = await issueApiKey(store, sid, 'default');
  const entityId = dltId('1101');
  const otherEntityId = dltId('1101');
  const templateId = dltId('1107');
  const otherTemplateId = dltId('1107');
  const promoTemplateId = dltId('1107');
  const senderId = 'ACMECO';
  await store.dlt.upsertEntity({
    accountSid: sid,
    entityId,
    name: 'Acme',
    status: 'active',
    tmChain: [],
  });
  await store.dlt.upsertEntity({
    accountSid: sid,
    entityId: otherEntityId,
    name: 'Acme Two',
    status: 'active',
    tmChain: [],
  });
  await store.dlt.upsertHeader({
    accountSid: sid,
    entityId,
    senderId,
    smsType: 'transactional',
    status: 'active',
  });
  await store.dlt.upsertHeader({
    accountSid: sid,
    entityId,
    senderId: '123456',
    smsType: 'promotional',
    status: 'active',
  });
  await store.dlt.upsertTemplate({
    accountSid: sid,
    templateId,
    entityId,
    name: 'otp',
    content: 'Your OTP is {#numeric#}. Do not share it.',
    category: 'transactional',
    status: 'approved',
    senderIds: [senderId],
  });
  await store.dlt.upsertTemplate({
    accountSid: sid,
    templateId: otherTemplateId,
    entityId: otherEntityId,
    name: 'other',
    content: 'Hello from Acme Two {#var#}',
    category: 'transactional',
    status: 'approved',
    senderIds: [],
  });
  await store.dlt.upsertTemplate({
    accountSid: sid,
    templateId: promoTemplateId,
    entityId,
    name: 'sale',
    content: 'Sale now on at Acme {#var#}',
    category: 'promotional',
    status: 'approved',
    senderIds: ['123456'],
  });
  return {
    sid,
    key: apiKey.key,
    token,
    keyId: apiKey.id,
    auth: basicAuth(apiKey.key, token),
    entityId,
    otherEntityId,
    templateId,
    otherTemplateId,
    promoTemplateId,
    senderId,
  };
}

/** A valid send request for the tenant's OTP template. */
export function smsBody(
  t: Tenant,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    to: '+919812345678',
    senderId: t.senderId,
    body: 'Your OTP is 482913. Do not share it.',
    dltTemplateId: t.templateId,
    dltEntityId: t.entityId,
    smsType: 'transactional',
    ...overrides,
  };
}

export interface ApiFixture {
  app: FastifyInstance;
  store: Store;
  clock: TestClock;
  a: Tenant;
  b: Tenant;
  /** inject() as tenant `as` (default a). */
  call(opts: InjectOptions & { as?: Tenant | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function apiFixture(
  testStore: TestStore,
  deps: Partial<ApiDeps> = {},
): Promise<ApiFixture> {
  const { store, clock } = testStore;
  const sender = createSender({ store, clock });
  const app = await buildApp({ store, sender, clock, ...deps });
  const a = await seedTenant(store);
  const b = await seedTenant(store);
  return {
    app,
    store,
    clock,
    a,
    b,
    call({ as, ...opts }) {
      const tenant = as === undefined ? a : as;
      const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
      if (tenant !== null) headers.authorization = tenant.auth;
      return app.inject({ ...opts, headers });
    },
    async close() {
      await app.close();
      await testStore.cleanup();
    },
  };
}

/** The JSON body of a response. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return res.json() as T;
}

/**
 * Declares a suite once per store (SQLite; PostgreSQL too when CALLFLOW_TEST_DATABASE_URL is set),
 * with a fresh app and two tenants shared by the suite's tests.
 */
export function describeApi(
  title: string,
  body: (fx: () => ApiFixture) => void,
  deps: Partial<ApiDeps> = {},
): void {
  for (const kind of storeKinds()) {
    describeForStore(kind, `${title} [${kind}]`, () => {
      let fixture: ApiFixture | undefined;
      before(async () => {
        fixture = await apiFixture(await openTestStore(kind), deps);
      });
      after(async () => {
        await fixture?.close();
      });
      body(() => {
        if (fixture === undefined) throw new Error('fixture not ready');
        return fixture;
      });
    });
  }
}
