// Nothing accepted is lost: a server killed with SIGKILL mid-load, and a carrier that drops the
// connection mid-window. Real SMPP over loopback, real SQLite file, real processes.
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

/** How many times the carrier received each message, by the reference in its body. */
function receivedCounts(sim: CarrierSimulator): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of sim.received()) {
    const ref = /order (\S+) has/.exec(s.text)?.[1];
    if (ref) counts.set(ref, (counts.get(ref) ?? 0) + 1);
  }
  return counts;
}

const refOf = (m: Message) => /order (\S+) has/.exec(m.body)![1]!;

test('a server killed with SIGKILL mid-load loses nothing when it starts again', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-kill-'));
  const sim = new CarrierSimulator({
    systemId: 'acme',
    password: 'secret',
    receiptDelayMs: 20,
    responseDelayMs: 15,
    rules: [],
  });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const configFile = join(dataDir, 'callflow.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir,
      carriers: [
        {
          name: 'sim',
          host: '127.0.0.1',
          port,
          systemId: 'acme',
          password: 'secret',
          window: 20,
          segmentsPerSecond: 1000,
          reconnect: { minMs: 50, maxMs: 500 },
        },
      ],
      delivery: { retryBaseMs: 50, retryMaxMs: 500, leaseMs: 2000, pollMs: 50 },
    }),
  );
  let store = await openStore({ dataDir });
  const account = await seedAccount(store);
  await store.close();

  const first = await spawnServer(['--config', configFile, '--port', '0']);
  t.after(() => first.kill());
  const total = 300;
  const accepted: string[] = [];
  const post = async (i: number) => {
    const res = await fetch(`${first.url}/api/v1/sms`, {
      method: 'POST',
      headers: { authorization: account.auth, 'content-type': 'application/json' },
      body: JSON.stringify(smsRequest(`K${i}`)),
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    accepted.push((JSON.parse(text) as { sid: string }).sid);
  };
  for (let i = 0; i < total; i += 25) {
    await Promise.all(Array.from({ length: 25 }, (_, j) => post(i + j)));
  }
  await waitFor('submits to reach the carrier', async () =>
    sim.received().length >= 40 ? true : undefined,
  );
  await first.kill();

  // What the store held at the moment of the kill.
  store = await openStore({ dataDir });
  const atKill = await allMessages(store, account.accountSid);
  await store.close();
  assert.equal(atKill.length, total, 'every accepted message was in the store');
  const sendingAtKill = new Set(atKill.filter((m) => m.status === 'sending').map(refOf));
  const unfinished = atKill.filter((m) => !FINAL.has(m.status)).length;
  assert.ok(unfinished > 0, 'the kill happened while messages were in flight');

  const second = await spawnServer(['--config', configFile, '--port', '0']);
  t.after(() => second.kill());
  store = await openStore({ dataDir });
  t.after(() => store.close());
  const finalMessages = await waitFor(
    'every message to reach a final state',
    async () => {
      const all = await allMessages(store, account.accountSid);
      return all.every((m) => FINAL.has(m.status)) ? all : undefined;
    },
    60_000,
  );
  assert.equal(await second.stop(), 0, 'the restarted server drains and exits 0');

  assert.deepEqual(new Set(finalMessages.map((m) => m.sid)), new Set(accepted));
  assert.deepEqual(
    finalMessages
      .filter((m) => m.status !== 'delivered')
      .map((m) => [m.sid, m.status, m.reasonCode]),
    [],
  );
  const counts = receivedCounts(sim);
  for (const m of finalMessages)
    assert.ok((counts.get(refOf(m)) ?? 0) >= 1, `${refOf(m)} reached the carrier`);
  const twice = [...counts].filter(([, n]) => n > 1).map(([ref]) => ref);
  // A message is submitted twice only when its submit_sm_resp was lost with the killed process:
  // it was `sending` at the kill (debited, handed to the carrier, not yet recorded as submitted).
  for (const ref of twice)
    assert.ok(sendingAtKill.has(ref), `${ref} was submitted twice but was not in flight`);
  assert.ok(twice.length <= 20, 'no more duplicates than the window');
  t.diagnostic(
    `${total} accepted, ${unfinished} unfinished at the kill (${sendingAtKill.size} sending), ${twice.length} submitted twice`,
  );
  // Each message was charged exactly once.
  const balance = (await store.accounts.get(account.accountSid))!.balancePaise;
  assert.equal(balance, 10_000_000 - total * 20);
});

test('a carrier that drops the connection mid-window loses nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-drop-'));
  const sim = new CarrierSimulator({
    systemId: 'acme',
    password: 'secret',
    receiptDelayMs: 10,
    responseDelayMs: 10,
    dropAfterSubmits: 30,
    rules: [],
  });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir,
      port: 0,
      logLevel: 'warn',
      // These tests take no real calls.
      'sip.enabled': false,
      carriers: [
        {
          name: 'sim',
          host: '127.0.0.1',
          port,
          systemId: 'acme',
          password: 'secret',
          window: 10,
          reconnect: { minMs: 50, maxMs: 200 },
        },
      ],
      delivery: { retryBaseMs: 50, retryMaxMs: 300, pollMs: 50 },
    },
  });
  const server = await startServer(config);
  t.after(() => server.stop());
  const account = await seedAccount(server.store);
  const total = 100;
  const sids: string[] = [];
  for (let i = 0; i < total; i++) {
    const res = await server.app!.inject({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { authorization: account.auth },
      payload: smsRequest(`D${i}`),
    });
    assert.equal(res.statusCode, 202, res.body);
    sids.push(res.json().sid);
  }
  const finalMessages = await waitFor(
    'every message to reach a final state',
    async () => {
      const all = await allMessages(server.store, account.accountSid);
      return all.length === total && all.every((m) => FINAL.has(m.status)) ? all : undefined;
    },
    30_000,
  );
  assert.equal(sim.stats().drops, 1, 'the carrier dropped the connection once');
  assert.deepEqual(
    finalMessages
      .filter((m) => m.status !== 'delivered')
      .map((m) => [m.sid, m.status, m.reasonCode]),
    [],
  );
  const counts = receivedCounts(sim);
  assert.equal(counts.size, total, 'every message reached the carrier');
  const twice = [...counts].filter(([, n]) => n > 1).length;
  assert.ok(
    twice >= 1,
    'the submits unanswered at the drop were submitted again after reconnecting',
  );
  assert.ok(twice <= 10, 'only submits in the window at the drop were repeated');
  t.diagnostic(`${twice} messages resubmitted after the drop`);
});
