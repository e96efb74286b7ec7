/**
 * The SMS pipeline: how fast `POST /api/v1/sms` accepts messages and how fast they reach
 * `delivered` through an uncapped SMSC, on SQLite and on PostgreSQL, against Kannel 1.4.5
 * (bearerbox + smsbox, `GET /cgi-bin/sendsms` with a dlr-url) in the same run, against the same
 * SMSC: callflow's carrier simulator on loopback, in a worker thread, answering at once and
 * sending every receipt at once.
 *
 * For each gateway: a warm-up of WARMUP messages (waited for until delivered), then N messages
 * sent as fast as the gateway accepts them with CONCURRENCY requests in flight over keep-alive
 * connections (bench/lib/loadgen.ts, in a worker thread); no new request after SEND_CAP_MS, so a
 * slow gateway cannot stretch the run (the notes then say how many were sent).
 * - accept rate: accepted requests / time from the first request to the last response;
 *   latencies are per request, p50 and p99;
 * - end to end: messages delivered / time from the first request to the moment the last was
 *   delivered. callflow: its store's count of `delivered` messages, polled every POLL_MS once the
 *   simulator has had every receipt acknowledged (so up to POLL_MS pessimistic); Kannel: its
 *   dlr-url callbacks (dlr-mask=1, delivered), counted by a local HTTP receiver as they come.
 *   Each message goes to its own number.
 *
 * Both gateways get the same window (100 submit_sm outstanding) and no throughput cap, send the
 * DLT entity and template IDs as TLVs 0x1400/0x1401, and keep accepted messages durably (callflow
 * in its store before answering 202, Kannel in its spool store). callflow runs in this process;
 * Kannel runs in its own two processes. The load generator, the simulator and (for Kannel) the
 * DLR receiver run on the same 2 cores and take CPU from both. Kannel has no store choice, so
 * the SQLite and PostgreSQL rows are both compared with the one Kannel run.
 *
 * Run alone with `node bench/pipeline.bench.ts`. Env: CALLFLOW_BENCH_DATABASE_URL (else
 * CALLFLOW_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test): a server where a
 * database bench_pipeline_<pid> may be created and dropped. CALLFLOW_BENCH_PIPELINE_N overrides N;
 * CALLFLOW_BENCH_PIPELINE_ONLY=sqlite,postgres,kannel runs only those (to profile one side);
 * CALLFLOW_BENCH_KANNEL_DIR looks for bearerbox and smsbox only there.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { coerceError } from '../src/errors.ts';
import { startServer } from '../src/server.ts';
import {
  bodyFor,
  ENTITY_ID,
  SENDER_ID,
  seedAccount,
  smsRequest,
  TEMPLATE_ID,
} from '../test/helpers/pipeline.ts';
import { ownProcessCpuMs, processCpuMs } from './lib/cpu.ts';
import { startDlrReceiver } from './lib/dlr-receiver.ts';
import { findKannel, KANNEL_INSTALL_HINT, startKannel } from './lib/kannel.ts';
import { acceptRate, type LoadResult, quantile, runLoad } from './lib/loadgen.ts';
import { fmt, type Measured, type Outcome, rowsFor } from './lib/pipeline-report.ts';
import { type SimulatorThread, startSimulatorThread } from './lib/simulator-thread.ts';
import type { BenchResult } from './types.ts';

const N = Number(process.env.CALLFLOW_BENCH_PIPELINE_N ?? 10_000);
const WARMUP = 500;
const CONCURRENCY = 64;
const WINDOW = 100;
/** No new request after this long: bounds the run when a gateway is slow. */
const SEND_CAP_MS = 40_000;
/** How often the end of a run is looked for (callflow: the simulator's count, then the store). */
const POLL_MS = 20;
/** Longest wait for the last delivery after the last request was answered. */
const DRAIN_TIMEOUT_MS = 30_000;
const TARGET_ACCEPT = 2000;
const TARGET_DELIVERED = 1000;
const SYSTEM_ID = 'bench';
const SMSC_PASSWORD = 'secret';
/** Each message goes to its own number: +91 98765 00000 onwards (valid Indian mobiles). */
const MSISDN_BASE = 9_876_500_000;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startSimulator(): Promise<SimulatorThread> {
  return startSimulatorThread({
    systemId: SYSTEM_ID,
    password: SMSC_PASSWORD,
    receiptDelayMs: 0,
    responseDelayMs: 0,
    outcomes: { delivered: 1 },
    rules: [],
  });
}

/** Polls `count` until it reaches `target`; the time it did, or null past the timeout. */
async function waitForCount(
  count: () => Promise<number> | number,
  target: number,
  timeoutMs: number,
): Promise<{ at: number | null; count: number }> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const n = await count();
    if (n >= target) return { at: now(), count: n };
    if (now() > deadline) return { at: null, count: n };
    await sleep(50);
  }
}

interface Drive {
  /** The measured load, already started. */
  loading: Promise<LoadResult>;
  /** Messages of the measured load delivered so far. */
  delivered(): Promise<number> | number;
  /** A cheap upper bound of delivered(): while it is short of the target, delivered() is not asked. */
  upperBound?: () => Promise<number>;
  /** When the last one was delivered, when known more precisely than the poll. */
  lastDeliveredAt?: () => number;
  pollMs: number;
  /** CPU ms of the gateway so far. */
  cpuMs(): Promise<number> | number;
  /** The load generator runs inside the measured process (callflow's): take its CPU out. */
  loadInside: boolean;
}

/** Waits for the load to end and what it got accepted to be delivered (or the drain timeout). */
async function drive(d: Drive): Promise<Measured> {
  const cpuBefore = await d.cpuMs();
  let load: LoadResult | null = null;
  let failure: unknown = null;
  d.loading.then(
    (l) => {
      load = l;
    },
    (error: unknown) => {
      failure = error;
    },
  );
  let at: number | null = null;
  let count = 0;
  for (;;) {
    if (failure !== null) throw failure;
    const finished = load as LoadResult | null;
    const target = finished?.accepted ?? N;
    if (finished !== null && now() > finished.finishedAt + DRAIN_TIMEOUT_MS) {
      count = await d.delivered();
      break;
    }
    if (d.upperBound === undefined || (await d.upperBound()) >= target) {
      count = await d.delivered();
      if (count >= target) {
        at = d.lastDeliveredAt?.() ?? now();
        break;
      }
    }
    await sleep(d.pollMs);
  }
  const cpuAfter = await d.cpuMs();
  const l = await d.loading;
  const cpuMs = cpuAfter - cpuBefore - (d.loadInside ? l.cpuMs : 0);
  const notes: string[] = [];
  if (l.sent < N)
    notes.push(`sending stopped after ${SEND_CAP_MS / 1000} s: ${l.sent} of ${N} sent`);
  if (l.accepted < l.sent) notes.push(`${l.sent - l.accepted} refused (${l.sample})`);
  if (at === null)
    notes.push(`only ${count} of ${l.accepted} delivered within ${DRAIN_TIMEOUT_MS / 1000} s`);
  return {
    sent: l.sent,
    accepted: l.accepted,
    acceptPerSecond: acceptRate(l),
    p50: quantile(l.latenciesMs, 0.5),
    p99: quantile(l.latenciesMs, 0.99),
    delivered: count,
    deliveredPerSecond: (count * 1000) / ((at ?? now()) - l.startedAt),
    cpuMsPerMessage: cpuMs / Math.max(1, l.accepted),
    note: notes.join('; '),
  };
}

/** callflow in this process against the simulator, on SQLite (no URL) or PostgreSQL. */
async function measureCallflow(databaseUrl: string | undefined): Promise<Measured> {
  const sim = await startSimulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-bench-pipeline-'));
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir,
        databaseUrl,
        port: 0,
        logLevel: 'warn',
        carriers: [
          {
            name: 'sim',
            host: sim.host,
            port: sim.port,
            systemId: SYSTEM_ID,
            password: SMSC_PASSWORD,
            window: WINDOW,
            segmentsPerSecond: 1_000_000,
          },
        ],
      },
    });
    const server = await startServer(config);
    try {
      const account = await seedAccount(server.store);
      const delivered = async () => (await server.store.messages.stats()).byStatus.delivered;
      const spec = {
        origin: server.url!,
        method: 'POST' as const,
        path: '/api/v1/sms',
        headers: { authorization: account.auth, 'content-type': 'application/json' },
        body: JSON.stringify(smsRequest('B{i}', '+91{msisdn}')),
        msisdnBase: MSISDN_BASE,
        concurrency: CONCURRENCY,
        okStatuses: [202],
      };
      const warm = await runLoad({ ...spec, first: 0, count: WARMUP });
      if (warm.accepted !== WARMUP) throw new Error(`warm-up refused: ${warm.sample}`);
      const base = await waitForCount(delivered, WARMUP, DRAIN_TIMEOUT_MS);
      if (base.at === null) throw new Error(`warm-up: only ${base.count} of ${WARMUP} delivered`);
      // Every delivered message had its receipt acknowledged to the SMSC first (the receipt is
      // stored before deliver_sm_resp), so the simulator's count bounds the store's: the store
      // is counted only once it could be done.
      const ackedBefore = (await sim.stats()).receiptsAcked;
      return await drive({
        loading: runLoad({ ...spec, first: WARMUP, count: N, maxMs: SEND_CAP_MS }),
        delivered: async () => (await delivered()) - WARMUP,
        upperBound: async () => (await sim.stats()).receiptsAcked - ackedBefore,
        pollMs: POLL_MS,
        // This process less the simulator's and the load generator's threads.
        cpuMs: async () => ownProcessCpuMs() - (await sim.cpuMs()),
        loadInside: true,
      });
    } finally {
      await server.stop();
    }
  } finally {
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Kannel's bearerbox and smsbox against the simulator, or why it could not run. */
async function measureKannel(): Promise<Outcome & { version?: string }> {
  const binaries = findKannel();
  if (!binaries.ok) {
    return {
      ok: false,
      why: `Kannel unavailable (${binaries.missing.join(', ')} not found): ${KANNEL_INSTALL_HINT}`,
    };
  }
  const sim = await startSimulator();
  const receiver = await startDlrReceiver(WARMUP + N);
  try {
    const kannel = await startKannel(binaries, {
      smscHost: sim.host,
      smscPort: sim.port,
      systemId: SYSTEM_ID,
      password: SMSC_PASSWORD,
      window: WINDOW,
      storeType: 'spool',
    });
    try {
      // The text and the dlr-url end with the index, so only `{i}` is left unencoded.
      const mark = 'IDX';
      const text = encodeURIComponent(bodyFor(`B${mark}`)).replace(mark, '{i}');
      const dlrUrl = `${encodeURIComponent(`${receiver.origin}/dlr?s=%d&i=`)}{i}`;
      const metaData = encodeURIComponent(`?smpp?PE_ID=${ENTITY_ID}&TEMPLATE_ID=${TEMPLATE_ID}`);
      const spec = {
        origin: kannel.sendsmsOrigin,
        method: 'GET' as const,
        path:
          `/cgi-bin/sendsms?username=${kannel.username}&password=${kannel.password}` +
          `&from=${SENDER_ID}&to=91{msisdn}&text=${text}&dlr-mask=1&dlr-url=${dlrUrl}&meta-data=${metaData}`,
        headers: {},
        body: null,
        msisdnBase: MSISDN_BASE,
        concurrency: CONCURRENCY,
        okStatuses: [202],
      };
      const warm = await runLoad({ ...spec, first: 0, count: WARMUP });
      if (warm.accepted !== WARMUP) throw new Error(`Kannel warm-up refused: ${warm.sample}`);
      const base = await waitForCount(
        () => receiver.delivered(0, WARMUP),
        WARMUP,
        DRAIN_TIMEOUT_MS,
      );
      if (base.at === null) {
        throw new Error(
          `Kannel warm-up: only ${base.count} of ${WARMUP} DLRs (others ${JSON.stringify(receiver.others())}):\n${kannel.logTail()}`,
        );
      }
      const first = await sim.submit(0);
      if (first?.dlt?.entityId !== ENTITY_ID || first.dlt.templateId !== TEMPLATE_ID) {
        throw new Error(`Kannel did not send the DLT TLVs: ${JSON.stringify(first)}`);
      }
      const kannelCpu = () => kannel.pids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
      const m = await drive({
        loading: runLoad({ ...spec, first: WARMUP, count: N, maxMs: SEND_CAP_MS }),
        delivered: () => receiver.delivered(WARMUP, WARMUP + N),
        lastDeliveredAt: receiver.lastAt,
        pollMs: POLL_MS,
        cpuMs: kannelCpu,
        loadInside: false,
      });
      return { ok: true, m, version: binaries.version };
    } finally {
      await kannel.stop();
    }
  } finally {
    await receiver.close();
    await sim.stop();
  }
}

/** A fresh database on the PostgreSQL server, dropped by `drop`; null when the server is unreachable. */
async function scratchDatabase(): Promise<
  { url: string; drop(): Promise<void> } | { error: string }
> {
  const adminUrl =
    process.env.CALLFLOW_BENCH_DATABASE_URL ??
    process.env.CALLFLOW_TEST_DATABASE_URL ??
    'postgres://postgres@127.0.0.1:5432/test';
  const name = `bench_pipeline_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    await admin.end().catch(() => {});
    return { error: `PostgreSQL unavailable at ${adminUrl}: ${coerceError(error).message}` };
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** CALLFLOW_BENCH_PIPELINE_ONLY=sqlite,kannel runs only those (for profiling one side). */
function wanted(part: 'sqlite' | 'postgres' | 'kannel'): boolean {
  const only = process.env.CALLFLOW_BENCH_PIPELINE_ONLY;
  return only === undefined || only === '' || only.split(',').includes(part);
}

export async function run(): Promise<BenchResult[]> {
  const load = loadavg()[0]!.toFixed(1);
  const outcome = async (f: () => Promise<Measured>): Promise<Outcome> => {
    try {
      return { ok: true, m: await f() };
    } catch (error) {
      return { ok: false, why: coerceError(error).message.split('\n')[0]! };
    }
  };

  const skipped: Outcome = { ok: false, why: 'skipped (CALLFLOW_BENCH_PIPELINE_ONLY)' };
  const sqlite = wanted('sqlite') ? await outcome(() => measureCallflow(undefined)) : skipped;
  const database = wanted('postgres') ? await scratchDatabase() : { error: skipped.why };
  let postgres: Outcome;
  if ('error' in database) postgres = { ok: false, why: database.error };
  else {
    try {
      postgres = await outcome(() => measureCallflow(database.url));
    } finally {
      await database.drop();
    }
  }
  let kannel: Outcome & { version?: string } = skipped;
  try {
    if (wanted('kannel')) kannel = await measureKannel();
  } catch (error) {
    kannel = {
      ok: false,
      why: `Kannel run failed: ${coerceError(error).message.split('\n')[0]}`,
    };
  }
  const peerName = `Kannel ${kannel.version ?? '1.4.5'}`;
  const shape = {
    n: N,
    concurrency: CONCURRENCY,
    window: WINDOW,
    pollMs: POLL_MS,
    targetAccept: TARGET_ACCEPT,
    targetDelivered: TARGET_DELIVERED,
  };
  const rows = [
    ...rowsFor('SQLite', sqlite, kannel, peerName, shape),
    ...rowsFor('PostgreSQL', postgres, kannel, peerName, shape),
  ];
  rows[0]!.notes = `${rows[0]!.notes}; ${cpus().length} cores, load average ${load} at start`;
  return rows;
}

if (import.meta.main) {
  for (const r of await run()) {
    console.log(
      `${r.name}: ours ${fmt(r.ours, r.unit === 'ms' ? 2 : 0)} ${r.unit}, ${r.peerName} ${fmt(r.peer, r.unit === 'ms' ? 2 : 0)} ${r.unit}, ` +
        `ratio ${fmt(r.ratio, 2)}× (${r.notes})`,
    );
  }
}
