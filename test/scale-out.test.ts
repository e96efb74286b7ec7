/**
 * Scale-out against one PostgreSQL: `callflow serve --role api` and two `--role worker` processes,
 * the carrier simulator in this process. Each worker reaches the simulator through its own TCP
 * proxy, which counts the submit_sm it forwards, so the test can tell who did the work.
 *
 * Messages go in over HTTP; one worker is killed with SIGKILL mid-load. Then: every message
 * reaches a final state; both workers submitted; the simulator saw each message once, except
 * those the killed worker had submitted without recording the answer (its leases expire and the
 * other worker submits them again), at most its carrier window of them.
 *
 * Runs when CALLFLOW_TEST_DATABASE_URL is set (CI sets it, with CALLFLOW_REQUIRE_POSTGRES=1).
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { issueApiKey } from '../src/accounts.ts';
import { CarrierSimulator } from '../src/carriers/simulator.ts';
import { openStore } from '../src/store/index.ts';
import {
  createTestAccount,
  describeForStore,
  seedTestRegistry,
  storeKinds,
  TEST_ENTITY_ID,
  TEST_TEMPLATE_ID,
} from '../src/store/testing.ts';
import type { Store } from '../src/store/types.ts';
import { basicAuth } from './api-helpers.ts';

const CLI = new URL('../src/cli.ts', import.meta.url).pathname;
const MESSAGES = 300;
const WINDOW = 8;
const SUBMIT_SM = 0x00000004;

/** A TCP proxy to the simulator that counts the submit_sm PDUs its client sends. */
async function countingProxy(
  target: number,
): Promise<{ port: number; submits: () => number; close(): Promise<void> }> {
  let submits = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && pending.length >= pending.readUInt32BE(0)) {
        if (pending.readUInt32BE(4) === SUBMIT_SM) submits++;
        pending = pending.subarray(pending.readUInt32BE(0));
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as import('node:net').AddressInfo).port,
    submits: () => submits,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function start(args: string[], env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  return Object.assign(child, { output: () => output });
}

async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

for (const kind of storeKinds()) {
  if (kind !== 'postgres') continue;
  describeForStore(kind, 'scale-out: one API process and two workers on PostgreSQL', () => {
    const url = process.env.CALLFLOW_TEST_DATABASE_URL!;
    const schema = `cf_scale_${process.pid}_${randomBytes(3).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'callflow-scale-'));
    const children: ChildProcess[] = [];
    let store: Store;
    let simulator: CarrierSimulator;
    const proxies: Awaited<ReturnType<typeof countingProxy>>[] = [];

    before(async () => {
      store = await openStore({ databaseUrl: url, schema, poolSize: 4 });
      simulator = new CarrierSimulator({
        systemId: 'callflow',
        password: 'secret',
        receiptDelayMs: 150,
        responseDelayMs: 20,
        rules: [],
      });
      const { port } = await simulator.start();
      proxies.push(await countingProxy(port), await countingProxy(port));
    });

    after(async () => {
      await Promise.all(children.map(stop));
      for (const p of proxies) await p.close();
      await simulator?.stop();
      await store?.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
      rmSync(dir, { recursive: true, force: true });
    });

    it('shares the load, submits each message once, and loses nothing when a worker dies', async (t) => {
      const account = await createTestAccount(store, { balancePaise: 10_000_000 });
      await seedTestRegistry(store, account.sid);
      const { apiKey, token } = await issueApiKey(store, account.sid, 'scale');
      const env = {
        ...process.env,
        DATABASE_URL: url,
        DATABASE_SCHEMA: schema,
        DATA_DIR: dir,
        LOG_LEVEL: 'warn',
        SIP_ENABLED: 'false',
        CALLFLOW_CONFIG: '',
      };
      const configs = proxies.map((proxy, i) => {
        const file = join(dir, `worker${i + 1}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            carriers: [
              {
                name: 'sim',
                host: '127.0.0.1',
                port: proxy.port,
                systemId: 'callflow',
                password: 'secret',
                window: WINDOW,
                segmentsPerSecond: 120,
              },
            ],
            delivery: {
              batchSize: 20,
              leaseMs: 2000,
              pollMs: 100,
              retryBaseMs: 200,
              retryMaxMs: 1000,
            },
          }),
        );
        return file;
      });

      const api = start(['--role', 'api', '--port', '0'], env);
      const workers = configs.map((file) =>
        start(['--role', 'worker', '--config', file, '--port', '0'], env),
      );
      children.push(api, ...workers);
      const base = await until(
        'the API process',
        () => /callflow is running at (http:\/\/\S+)/.exec(api.output())?.[1],
        20_000,
      );
      await until('both workers to bind', () => simulator.stats().binds >= 2 || undefined, 20_000);
      // Each worker serves its own health and metrics.
      for (const worker of workers) {
        const ops = await until(
          'a worker to print its health address',
          () => /health and metrics at (http:\/\/\S+)/.exec(worker.output())?.[1],
          20_000,
        );
        const ready = await until(
          'the worker to be ready',
          async () => ((await fetch(`${ops}/readyz`)).status === 200 ? true : undefined),
          20_000,
        );
        assert.equal(ready, true);
        assert.match(await (await fetch(`${ops}/metrics`)).text(), /callflow_carrier_state/);
      }

      // Every message to its own number, so the simulator's records tell messages apart.
      const numbers = Array.from(
        { length: MESSAGES },
        (_, i) => `+91987650${String(i).padStart(4, '0')}`,
      );
      for (let i = 0; i < MESSAGES; i += 100) {
        const res = await fetch(`${base}/api/v1/sms/bulk`, {
          method: 'POST',
          headers: {
            authorization: basicAuth(apiKey.key, token),
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            messages: numbers.slice(i, i + 100).map((to, j) => ({
              to,
              senderId: 'ACMECO',
              body: `Your OTP is ${i + j}.`,
              dltEntityId: TEST_ENTITY_ID,
              dltTemplateId: TEST_TEMPLATE_ID,
            })),
          }),
        });
        const text = await res.text();
        assert.equal(res.status, 202, text);
        assert.equal((JSON.parse(text) as { accepted: number }).accepted, 100);
      }

      // Kill the first worker once it has done a share of the work, while messages are in flight.
      await until(
        'the first worker to submit',
        () => proxies[0]!.submits() >= 40 || undefined,
        20_000,
      );
      const died = new Promise((resolve) => workers[0]!.once('exit', resolve));
      workers[0]!.kill('SIGKILL');
      await died;
      // What it wrote before dying may still be crossing the proxy.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const killedAt = proxies[0]!.submits();

      const final = await until(
        'every message to reach a final state',
        async () => {
          const { byStatus } = await store.messages.stats();
          const done = byStatus.delivered + byStatus.undelivered + byStatus.failed;
          return done === MESSAGES ? byStatus : undefined;
        },
        30_000,
      );
      assert.equal(final.delivered, MESSAGES, JSON.stringify(final));

      const received = simulator.received();
      const perNumber = new Map<string, number>();
      for (const r of received)
        perNumber.set(r.destinationAddr, (perNumber.get(r.destinationAddr) ?? 0) + 1);
      assert.equal(perNumber.size, MESSAGES, 'every message reached the carrier');
      const duplicates = received.length - MESSAGES;
      assert.ok(
        duplicates <= WINDOW,
        `${duplicates} messages submitted twice; at most the killed worker's window (${WINDOW}) may be`,
      );
      const [first, second] = proxies.map((p) => p.submits());
      t.diagnostic(
        `submits: killed worker ${first}, surviving worker ${second}; resubmitted ${duplicates}`,
      );
      assert.ok(
        killedAt >= 40 && first === killedAt,
        'the killed worker submitted nothing after it died',
      );
      assert.ok(second! >= MESSAGES - killedAt, 'the surviving worker took over the rest');
      assert.equal(first! + second!, received.length);
      assert.match(api.output(), /callflow is running at/);
    });
  });
}
