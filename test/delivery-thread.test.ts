// The delivery thread (`delivery.thread`, the default): HTTP on the server's event loop, the
// worker, carriers and callbacks in a worker thread with their own store connection. A thread that
// dies is started again and loses nothing; /metrics and /readyz see its carriers and counters;
// SIGTERM drains it. Real SMPP over loopback, real SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CarrierSimulator } from '../src/carriers/index.ts';
import { loadConfig } from '../src/config.ts';
import { startServer } from '../src/server.ts';
import { openStore } from '../src/store/index.ts';
import type { Message, Store } from '../src/store/types.ts';
import { seedAccount, smsRequest, spawnServer, waitFor } from './helpers/pipeline.ts';

const FINAL = new Set(['delivered', 'undelivered', 'failed']);
const WINDOW = 10;

async function allMessages(store: Store, accountSid: string): Promise<Message[]> {
  const out: Message[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.messages.list(accountSid, {}, cursor, 1000);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const refOf = (text: string) => /order (\S+) has/.exec(text)?.[1];

function receivedCounts(sim: CarrierSimulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of sim.received()) {
    const ref = refOf(s.text);
    if (ref) counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}

async function startSim(t: import('node:test').TestContext, receiptDelayMs = 20) {
  const sim = new CarrierSimulator({
    systemId: 'acme',
    password: 'secret',
    receiptDelayMs,
    responseDelayMs: 15,
    rules: [],
  });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  return { sim, port };
}

const carrier = (port: number) => ({
  name: 'sim',
  host: '127.0.0.1',
  port,
  systemId: 'acme',
  password: 'secret',
  window: WINDOW,
  segmentsPerSecond: 1000,
  reconnect: { minMs: 50, maxMs: 500 },
});

test('a delivery thread that dies mid-load is started again and loses nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-thread-'));
  const { sim, port } = await startSim(t);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      port: 0,
      logLevel: 'fatal',
      carriers: [carrier(port)],
      delivery: { retryBaseMs: 50, retryMaxMs: 500, leaseMs: 1000, pollMs: 50 },
    },
  });
  const server = await startServer(config);
  t.after(() => server.stop());
  assert.ok(server.deliveryThread, 'delivery runs in a thread by default');
  assert.equal(server.worker, null);
  const account = await seedAccount(server.store);
  const total = 200;
  for (let i = 0; i < total; i += 25) {
    await Promise.all(
      Array.from({ length: 25 }, async (_, j) => {
        const res = await server.app!.inject({
          method: 'POST',
          url: '/api/v1/sms',
          headers: { authorization: account.auth },
          payload: smsRequest(`T${i + j}`),
        });
        assert.equal(res.statusCode, 202, res.body);
      }),
    );
  }
  await waitFor('submits to reach the carrier', async () =>
    sim.received().length >= 30 ? true : undefined,
  );
  const atCrash = await allMessages(server.store, account.accountSid);
  await server.deliveryThread.crash();
  const sendingAtCrash = new Set(
    atCrash
      .filter((m) => m.status === 'sending' || m.status === 'queued')
      .map((m) => refOf(m.body)),
  );
  assert.ok(
    atCrash.some((m) => !FINAL.has(m.status)),
    'the thread died while messages were in flight',
  );
  assert.equal(server.deliveryThread.restarts(), 1);

  const finalMessages = await waitFor(
    'every message to reach a final state',
    async () => {
      const all = await allMessages(server.store, account.accountSid);
      return all.length === total && all.every((m) => FINAL.has(m.status)) ? all : undefined;
    },
    60_000,
  );
  assert.deepEqual(
    finalMessages.filter((m) => m.status !== 'delivered').map((m) => [m.sid, m.status]),
    [],
  );
  const counts = receivedCounts(sim);
  assert.equal(counts.size, total, 'every message reached the carrier');
  const twice = [...counts].filter(([, n]) => n > 1).map(([ref]) => ref);
  for (const ref of twice)
    assert.ok(sendingAtCrash.has(ref), `${ref} was submitted twice but was not in flight`);
  assert.ok(twice.length <= WINDOW, `${twice.length} duplicates, more than the window`);
  t.diagnostic(`${twice.length} submitted twice after the thread died`);
  // Each message was charged exactly once, and the ledger says the same.
  const balance = (await server.store.accounts.get(account.accountSid))!.balancePaise;
  assert.equal(balance, 10_000_000 - total * 20);
});

test("/metrics and /readyz read the delivery thread's carriers and counters", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-thread-metrics-'));
  // The receipt comes well after the submit is recorded, so it is what ends the message (a
  // receipt that beats the submit's record is applied with it, and times no latency).
  const { port } = await startSim(t, 500);
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      port: 0,
      logLevel: 'fatal',
      carriers: [carrier(port)],
      delivery: { pollMs: 50 },
    },
  });
  const server = await startServer(config);
  t.after(() => server.stop());
  const account = await seedAccount(server.store);
  await waitFor('the carrier to bind', async () => {
    const res = await server.app!.inject({ method: 'GET', url: '/readyz' });
    return res.statusCode === 200 ? true : undefined;
  });
  const res = await server.app!.inject({
    method: 'POST',
    url: '/api/v1/sms',
    headers: { authorization: account.auth },
    payload: smsRequest('M1'),
  });
  assert.equal(res.statusCode, 202, res.body);
  const sid = res.json().sid as string;
  await waitFor('the message to be delivered', async () =>
    (await server.store.messages.get(account.accountSid, sid))?.status === 'delivered'
      ? true
      : undefined,
  );
  const metrics = await server.app!.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: account.auth },
  });
  assert.equal(metrics.statusCode, 200, metrics.body);
  assert.match(metrics.body, /callflow_submits_total\{carrier="sim"\} 1\b/);
  assert.match(metrics.body, /callflow_carrier_state\{carrier="sim",state="bound"\} 1\b/);
  assert.match(metrics.body, /callflow_delivery_receipt_latency_seconds_count 1\b/);
});

test('SIGTERM drains the delivery thread: exit 0, and a restart sends the rest, nothing twice', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-thread-term-'));
  const { sim, port } = await startSim(t);
  const configFile = join(dataDir, 'callflow.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      carriers: [carrier(port)],
      delivery: {
        retryBaseMs: 50,
        retryMaxMs: 500,
        pollMs: 50,
      },
    }),
  );
  let store = await openStore({ dataDir });
  const account = await seedAccount(store);
  await store.close();
  const server = await spawnServer(['--config', configFile, '--port', '0']);
  t.after(() => server.kill());
  const total = 100;
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const res = await fetch(`${server.url}/api/v1/sms`, {
        method: 'POST',
        headers: { authorization: account.auth, 'content-type': 'application/json' },
        body: JSON.stringify(smsRequest(`S${i}`)),
      });
      assert.equal(res.status, 202, await res.text());
    }),
  );
  await waitFor('submits to reach the carrier', async () =>
    sim.received().length >= 10 ? true : undefined,
  );
  assert.equal(await server.stop(), 0, `${server.child.signalCode} ${server.output()}`);
  assert.doesNotMatch(server.output(), /"level":50/, 'no error on the way out');

  // Started again, it sends the rest at once (nothing was left leased) and nothing twice.
  const again = await spawnServer(['--config', configFile, '--port', '0']);
  t.after(() => again.kill());
  store = await openStore({ dataDir });
  t.after(() => store.close());
  const final = await waitFor(
    'every message to reach a final state',
    async () => {
      const all = await allMessages(store, account.accountSid);
      return all.every((m) => FINAL.has(m.status)) ? all : undefined;
    },
    20_000,
  );
  assert.equal(await again.stop(), 0, `${again.child.signalCode} ${again.output()}`);
  assert.equal(final.length, total);
  assert.deepEqual(
    final.filter((m) => m.status !== 'delivered').map((m) => m.sid),
    [],
  );
  const counts = receivedCounts(sim);
  assert.equal(counts.size, total, 'every message reached the carrier');
  assert.deepEqual(
    [...counts].filter(([, n]) => n > 1),
    [],
    'a drained stop submits nothing twice',
  );
  const balance = (await store.accounts.get(account.accountSid))!.balancePaise;
  assert.equal(balance, 10_000_000 - total * 20);
});
