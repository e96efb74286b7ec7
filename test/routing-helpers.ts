/**
 * Shared set-up of the routing tests: real carrier simulators (each behind a proxy that can be cut,
 * as a carrier that goes down), a store of either kind with a running clock, the carrier pool and
 * a delivery worker, and a sender.
 */

import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { Route } from '../src/carriers/routing.ts';
import { CarrierSimulator } from '../src/carriers/simulator.ts';
import type { SmppCarrierConfig } from '../src/carriers/smpp/config.ts';
import { type CarrierPool, createCarrierPool } from '../src/delivery/carrier-pool.ts';
import { createSender, type SmsRequest } from '../src/delivery/send.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../src/delivery/worker.ts';
import { createMetrics, type Metrics } from '../src/metrics.ts';
import {
  createTestAccount,
  openTestStore,
  type StoreKind,
  seedTestRegistry,
  TEST_ENTITY_ID,
  TEST_EPOCH,
  TEST_PROMO_TEMPLATE_ID,
  TEST_TEMPLATE_ID,
  type TestClock,
  type TestStore,
} from '../src/store/testing.ts';
import type { Account, Message } from '../src/store/types.ts';

export const SYSTEM_ID = 'acme';
export const PASSWORD = 'secret';

/** Real time, started at TEST_EPOCH (inside the promotional window, whatever the hour). */
export function runningClock(): TestClock {
  const offset = TEST_EPOCH.getTime() - Date.now();
  const clock = (() => new Date(Date.now() + offset)) as TestClock;
  clock.set = () => {
    throw new Error('a running clock cannot be set');
  };
  clock.advance = () => {
    throw new Error('a running clock cannot be advanced');
  };
  return clock;
}

/** A TCP proxy that can be cut (every connection dropped, new ones refused) and restored. */
export interface Cuttable {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function cuttableProxy(target: number): Promise<Cuttable> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | null = null;
  const open = async () => {
    const s = createServer((client) => {
      const upstream = connect(target, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const shut = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await open();
  return {
    get port() {
      return port;
    },
    cut: shut,
    restore: open,
    close: shut,
  };
}

export interface Smsc {
  name: string;
  sim: CarrierSimulator;
  proxy: Cuttable;
  config: SmppCarrierConfig;
  /** Destination numbers received, in E.164. */
  destinations(): string[];
}

/** A simulator behind a cuttable proxy, and the carrier settings that reach it. */
export async function startSmsc(
  t: TestContext,
  name: string,
  more: Partial<SmppCarrierConfig> = {},
): Promise<Smsc> {
  const sim = new CarrierSimulator({ systemId: SYSTEM_ID, password: PASSWORD, rules: [] });
  const { port } = await sim.start();
  const proxy = await cuttableProxy(port);
  t.after(async () => {
    await proxy.close();
    await sim.stop();
  });
  return {
    name,
    sim,
    proxy,
    config: {
      name,
      host: '127.0.0.1',
      port: proxy.port,
      systemId: SYSTEM_ID,
      password: PASSWORD,
      window: 20,
      segmentsPerSecond: 5000,
      responseTimeoutMs: 2000,
      enquireLinkSeconds: 1,
      reconnect: { minMs: 50, maxMs: 200 },
      ...more,
    },
    destinations: () => sim.received().map((r) => `+${r.destinationAddr}`),
  };
}

export interface Rig {
  ts: TestStore;
  account: Account;
  pool: CarrierPool;
  worker: DeliveryWorker;
  /** What /metrics would show, fed by the worker. */
  metrics: Metrics;
  send(overrides?: Partial<SmsRequest>): Promise<Message>;
  get(sid: string): Promise<Message>;
  /** Waits until every given message is final; returns them. */
  settle(sids: string[], timeoutMs?: number): Promise<Message[]>;
}

export const otp = (to = '+919876543210'): Partial<SmsRequest> => ({
  to,
  senderId: 'ACMECO',
  body: 'Your OTP is 123456.',
  dltTemplateId: TEST_TEMPLATE_ID,
  dltEntityId: TEST_ENTITY_ID,
});

export const promo = (to = '+919876543210'): Partial<SmsRequest> => ({
  to,
  senderId: '123456',
  body: 'Big sale at Acme today!',
  dltTemplateId: TEST_PROMO_TEMPLATE_ID,
  dltEntityId: TEST_ENTITY_ID,
  smsType: 'promotional',
});

export async function startRig(
  t: TestContext,
  kind: StoreKind,
  file: { carriers: SmppCarrierConfig[]; routes?: Route[] },
  opts: { balancePaise?: number } = {},
): Promise<Rig> {
  const clock = runningClock();
  const ts = await openTestStore(kind, { clock });
  const account = await createTestAccount(ts.store, { balancePaise: opts.balancePaise ?? 1e7 });
  await seedTestRegistry(ts.store, account.sid);
  const pool = createCarrierPool({ store: ts.store, syncMs: 100, file });
  const metrics = createMetrics({
    store: ts.store,
    carriers: () => pool.all().map((c) => c.status()),
  });
  const worker = createDeliveryWorker({
    store: ts.store,
    carriers: pool,
    clock,
    metrics,
    config: {
      registryCacheMs: 0,
      pollMs: 20,
      retryBaseMs: 50,
      retryMaxMs: 500,
      windowWaitMs: 1000,
      leaseMs: 10_000,
    },
  });
  await worker.start();
  await pool.start();
  t.after(async () => {
    await worker.stop();
    await pool.stop();
    await ts.cleanup();
  });
  const sender = createSender({
    store: ts.store,
    clock,
    outbound: { allowPrivateAddresses: true },
  });
  const get = async (sid: string) => (await ts.store.messages.getBySid(sid))!;
  return {
    ts,
    account,
    pool,
    worker,
    metrics,
    async send(overrides = {}) {
      const result = await sender.sendSms(account.sid, { ...otp(), ...overrides } as SmsRequest, {
        kind: 'api',
      });
      if (!result.ok) throw new Error(JSON.stringify(result));
      return result.message;
    },
    get,
    async settle(sids, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = await Promise.all(sids.map(get));
        const open = all.filter((m) => !['delivered', 'undelivered', 'failed'].includes(m.status));
        if (open.length === 0) return all;
        if (Date.now() > deadline) {
          throw new Error(
            `${open.length} of ${sids.length} messages not final: ${JSON.stringify(
              open.slice(0, 3).map((m) => [m.status, m.reasonCode, m.reasonDetail, m.carrier]),
            )}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

/** Polls until `probe` is truthy. */
export async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
