/**
 * Stores for tests: a temporary SQLite file always, and PostgreSQL when
 * CALLFLOW_TEST_DATABASE_URL is set, each opened in a fresh schema that cleanup drops. With
 * CALLFLOW_REQUIRE_POSTGRES=1 a missing or unreachable PostgreSQL fails the run (CI must never
 * pass by skipping the PostgreSQL half of the contract). Without either, the PostgreSQL suites are
 * still registered, as skipped tests that say why and which variable runs them. Every store reads
 * a controllable clock.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, test } from 'node:test';
import pg from 'pg';
import { CallflowError, coerceError } from '../errors.ts';
import { openStore } from './index.ts';
import type { Account, NewMessage, Rates, ReceiptInput, Store } from './types.ts';

export type StoreKind = 'sqlite' | 'postgres';

export interface TestClock {
  (): Date;
  set(at: Date | string | number): void;
  advance(ms: number): void;
}

/** Starts at Monday 2 June 2025, 12:00 in Asia/Kolkata: inside the promotional window. */
export const TEST_EPOCH = new Date('2025-06-02T06:30:00.000Z');

export function createTestClock(start: Date | string | number = TEST_EPOCH): TestClock {
  let now = new Date(start).getTime();
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (at) => {
    now = new Date(at).getTime();
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

export interface TestStore {
  name: StoreKind;
  store: Store;
  clock: TestClock;
  /** Opens another store on the same database (a second process, or a restart). */
  open(opts?: { migrate?: boolean; clock?: () => Date }): Promise<Store>;
  /** Runs raw SQL on the test database over its own connection (to set up what the API cannot). */
  sql(statement: string): Promise<void>;
  /** Closes every store opened here and deletes the file or drops the schema. */
  cleanup(): Promise<void>;
}

const PG_URL = () => process.env.CALLFLOW_TEST_DATABASE_URL || undefined;

/** PostgreSQL's default local address, where a contributor's own server usually listens. */
const LOCAL_POSTGRES = { host: '127.0.0.1', port: 5432 };

/** Whether something accepts a connection at `address` within a moment. */
function answers(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Asked once per test process, and only when the PostgreSQL tests would be skipped. */
const localPostgres =
  PG_URL() === undefined && process.env.CALLFLOW_REQUIRE_POSTGRES !== '1'
    ? await answers(LOCAL_POSTGRES)
    : false;

/**
 * Why the tests of a store kind cannot run here, or false when they can. Throws when PostgreSQL
 * is required (CALLFLOW_REQUIRE_POSTGRES=1) but not configured.
 */
export function storeSkip(kind: StoreKind): string | false {
  if (kind === 'sqlite' || PG_URL()) return false;
  if (process.env.CALLFLOW_REQUIRE_POSTGRES === '1') {
    throw new Error(
      'CALLFLOW_REQUIRE_POSTGRES=1 but CALLFLOW_TEST_DATABASE_URL is not set: the PostgreSQL contract tests must run.',
    );
  }
  const { host, port } = LOCAL_POSTGRES;
  return localPostgres
    ? `PostgreSQL answers at ${host}:${port}, but CALLFLOW_TEST_DATABASE_URL is not set: set it (e.g. postgres://postgres@${host}:${port}/postgres) to run these tests`
    : 'CALLFLOW_TEST_DATABASE_URL is not set: set it to a PostgreSQL URL to run these tests';
}

/** Every store kind; storeSkip says which of them cannot run here. */
export function storeKinds(): StoreKind[] {
  storeSkip('postgres');
  return ['sqlite', 'postgres'];
}

/**
 * Declares a suite for one store kind: with `describe` when the kind can run here, otherwise as
 * one skipped test under the same name that says why (a skipped `describe` would not be counted).
 */
export function describeForStore(kind: StoreKind, title: string, body: () => void): void {
  const skip = storeSkip(kind);
  if (skip === false) describe(title, body);
  else test(title, { skip }, () => {});
}

let schemaCounter = 0;

export async function openTestStore(
  kind: StoreKind,
  opts: { clock?: TestClock; migrate?: boolean; poolSize?: number } = {},
): Promise<TestStore> {
  const clock = opts.clock ?? createTestClock();
  const opened: Store[] = [];
  let base: Parameters<typeof openStore>[0];
  let remove: () => Promise<void>;
  let sql: (statement: string) => Promise<void>;

  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'callflow-test-'));
    const file = join(dir, 'callflow.db');
    base = { file };
    remove = async () => rmSync(dir, { recursive: true, force: true });
    sql = async (statement) => {
      const db = new DatabaseSync(file);
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
    };
  } else {
    const url = PG_URL();
    if (!url) throw new Error('CALLFLOW_TEST_DATABASE_URL is not set');
    const schema = `cf_t${process.pid}_${++schemaCounter}_${randomBytes(3).toString('hex')}`;
    // Test schemas need no durability: without a WAL flush per commit the suite runs far faster.
    base = { databaseUrl: url, schema, poolSize: opts.poolSize ?? 6, synchronousCommit: 'off' };
    sql = async (statement) => {
      const client = new pg.Client({
        connectionString: url,
        options: `-c search_path=${schema} -c synchronous_commit=off`,
      });
      await client.connect();
      try {
        await client.query(statement);
      } finally {
        await client.end();
      }
    };
    remove = () => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }

  const open = async (o: { migrate?: boolean; clock?: () => Date } = {}) => {
    let store: Store;
    try {
      store = await openStore({ ...base, clock: o.clock ?? clock, migrate: o.migrate ?? true });
    } catch (error) {
      if (error instanceof CallflowError) throw error;
      throw new Error(`cannot open the ${kind} test store: ${coerceError(error).message}`, {
        cause: error,
      });
    }
    opened.push(store);
    return store;
  };
  const store = await open({ migrate: opts.migrate ?? true });
  return {
    name: kind,
    store,
    clock,
    open,
    sql,
    async cleanup() {
      for (const s of opened.splice(0)) await s.close();
      await remove();
    },
  };
}

/** One test store per kind: SQLite always, PostgreSQL when configured. */
export async function testStores(opts: { clock?: TestClock } = {}): Promise<TestStore[]> {
  const stores: TestStore[] = [];
  for (const kind of storeKinds()) {
    if (storeSkip(kind) === false) stores.push(await openTestStore(kind, opts));
  }
  return stores;
}

/**
 * Declares the same suite once per store kind, with a fresh store (and clock) for every test:
 * `describeEachStore('accounts', (current) => { it('…', async () => { const { store } = current(); }) })`.
 */
export function describeEachStore(title: string, body: (current: () => TestStore) => void): void {
  for (const kind of storeKinds()) {
    describeForStore(kind, `${title} [${kind}]`, () => {
      let current: TestStore | undefined;
      beforeEach(async () => {
        current = await openTestStore(kind);
      });
      afterEach(async () => {
        await current?.cleanup();
        current = undefined;
      });
      body(() => {
        if (!current) throw new Error('no test store: use current() inside a test');
        return current;
      });
    });
  }
}

// Fixtures shared by the store and delivery tests.

export const TEST_RATES: Rates = { transactional: 20, service: 22, promotional: 25 };
export const TEST_ENTITY_ID = '1101166000000000001';
/** Transactional, 'Your OTP is {#numeric#}.', linked to ACMECO. */
export const TEST_TEMPLATE_ID = '1107166000000000001';
/** Promotional, 'Big sale at {#var#} today!', linked to 123456, NCPR category 5. */
export const TEST_PROMO_TEMPLATE_ID = '1107166000000000010';
/** Service-explicit, 'Hi {#var#}, your plan renews soon.', any header, no NCPR category. */
export const TEST_EXPLICIT_TEMPLATE_ID = '1107166000000000011';
/** Service-implicit, 'Hi {#var#}, your order shipped.', any header. */
export const TEST_IMPLICIT_TEMPLATE_ID = '1107166000000000012';
/** Transactional, linked to ACMECO: TEST_LONG_TEMPLATE, two GSM-7 segments once filled in. */
export const TEST_LONG_TEMPLATE_ID = '1107166000000000013';
export const TEST_LONG_TEMPLATE =
  'Your order {#var#} has been packed and will reach you within two working days. Track it any time in the Acme app, and call our support line for help. Thank you for shopping with Acme.';

export async function createTestAccount(
  store: Store,
  overrides: Partial<Pick<Account, 'sid' | 'balancePaise' | 'rates' | 'webhookSecret'>> = {},
): Promise<Account> {
  return store.accounts.create({
    sid: overrides.sid ?? `AC${randomBytes(8).toString('hex')}`,
    name: 'Acme Corp',
    balancePaise: overrides.balancePaise ?? 100_000,
    rates: overrides.rates ?? TEST_RATES,
    webhookSecret: overrides.webhookSecret ?? 'whsec_test',
  });
}

/**
 * A registry where the default test message passes every DLT check: entity TEST_ENTITY_ID
 * (active), headers ACMECO (transactional), ACMEIN (service) and 123456 (promotional), and the
 * TEST_*_TEMPLATE_ID templates, approved.
 */
export async function seedTestRegistry(store: Store, accountSid: string): Promise<void> {
  await store.dlt.upsertEntity({
    accountSid,
    entityId: TEST_ENTITY_ID,
    name: 'Acme',
    status: 'active',
    tmChain: [],
  });
  for (const [senderId, smsType] of [
    ['ACMECO', 'transactional'],
    ['ACMEIN', 'service'],
    ['123456', 'promotional'],
  ] as const) {
    await store.dlt.upsertHeader({
      accountSid,
      entityId: TEST_ENTITY_ID,
      senderId,
      smsType,
      status: 'active',
    });
  }
  const base = { accountSid, entityId: TEST_ENTITY_ID, name: 'test', status: 'approved' as const };
  await store.dlt.upsertTemplates([
    {
      ...base,
      templateId: TEST_TEMPLATE_ID,
      content: 'Your OTP is {#numeric#}.',
      category: 'transactional',
      senderIds: ['ACMECO'],
    },
    {
      ...base,
      templateId: TEST_PROMO_TEMPLATE_ID,
      content: 'Big sale at {#var#} today!',
      category: 'promotional',
      senderIds: ['123456'],
      ncprCategory: 5,
    },
    {
      ...base,
      templateId: TEST_EXPLICIT_TEMPLATE_ID,
      content: 'Hi {#var#}, your plan renews soon.',
      category: 'service-explicit',
      senderIds: [],
    },
    {
      ...base,
      templateId: TEST_IMPLICIT_TEMPLATE_ID,
      content: 'Hi {#var#}, your order shipped.',
      category: 'service-implicit',
      senderIds: [],
    },
    {
      ...base,
      templateId: TEST_LONG_TEMPLATE_ID,
      content: TEST_LONG_TEMPLATE,
      category: 'transactional',
      senderIds: ['ACMECO'],
    },
  ]);
}

export function newTestMessage(
  accountSid: string,
  overrides: Partial<NewMessage> = {},
): NewMessage {
  return {
    sid: randomBytes(16).toString('hex'),
    accountSid,
    origin: { kind: 'api' },
    to: '+919876543210',
    senderId: 'ACMECO',
    body: 'Your OTP is 123456.',
    smsType: 'transactional',
    dltEntityId: TEST_ENTITY_ID,
    dltTemplateId: TEST_TEMPLATE_ID,
    encoding: 'GSM-7',
    segments: 1,
    statusCallback: null,
    callbackFormat: 'json',
    customField: null,
    idempotencyKey: null,
    requestHash: null,
    validUntil: new Date(TEST_EPOCH.getTime() + 86_400_000),
    ...overrides,
  };
}

/**
 * Watches a store's `messages` wake-ups, as a worker in another process would: `ready()` waits
 * until the watcher can hear them (on PostgreSQL the LISTEN connection wakes its listeners once
 * it is up), `next()` for the next one (5 s at most), `count` says how many came.
 */
export function watchWakes(watcher: Store, kind: StoreKind) {
  let wake: () => void = () => {};
  const nextWake = () => {
    const next = new Promise<void>((resolve, reject) => {
      wake = resolve;
      setTimeout(() => reject(new Error('no wake-up within 5 s')), 5000).unref();
    });
    // The wait armed after the last one a test awaits is never awaited: its timeout must not
    // become an unhandled rejection that fails the file when the file runs long (a loaded
    // machine). An awaited wait still rejects.
    next.catch(() => {});
    return next;
  };
  let woken = nextWake();
  const state = { count: 0 };
  const off = watcher.onNotify('messages', () => {
    state.count++;
    wake();
  });
  return {
    get count() {
      return state.count;
    },
    async ready() {
      if (kind === 'postgres') await woken;
      woken = nextWake();
    },
    async next() {
      await woken;
      woken = nextWake();
    },
    off,
  };
}

/** A final (or ENROUTE / ACCEPTED) receipt from carrier `sim` for one carrier message ID. */
export function testReceipt(
  t: TestStore,
  id: string,
  state: ReceiptInput['state'],
  more: Partial<ReceiptInput> = {},
): ReceiptInput {
  return {
    carrier: 'sim',
    carrierMessageId: id,
    state,
    final: state !== 'ENROUTE' && state !== 'ACCEPTED',
    errorCode: null,
    receivedAt: t.clock(),
    ...more,
  };
}
