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
 * CALLFLOW_BENCH_PIPELINE_ONLY=sqlite,postgres,kannel,sustain,memory runs only those (to profile
 * one side; sustain is the sustained run after each store's peak run, memory the RSS with
 * CALLFLOW_BENCH_PIPELINE_QUEUED messages queued, default 100,000);
 * CALLFLOW_BENCH_PIPELINE_SUSTAIN_S sets the sustained run's length (default 60);
 * CALLFLOW_BENCH_PIPELINE_THREAD=0 runs callflow's delivery on the server's event loop;
 * CALLFLOW_BENCH_KANNEL_DIR looks for bearerbox and smsbox only there.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { coerceError } from '../src/errors.ts';
import { startServer } from '../src/server.ts';
import { openStore } from '../src/store/index.ts';
import {
  bodyFor,
  ENTITY_ID,
  SENDER_ID,
  seedAccount,
  smsRequest,
  spawnServer,
  TEMPLATE_ID,
} from '../test/helpers/pipeline.ts';
import { ownProcessCpuMs, processCpuMs } from './lib/cpu.ts';
import { startDlrReceiver } from './lib/dlr-receiver.ts';
import { findKannel, freePort, KANNEL_INSTALL_HINT, startKannel } from './lib/kannel.ts';
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
/** Targets, as ratios to Kannel in the same run: accepted/s, delivered/s. */
const TARGET_ACCEPT_RATIO = 2;
const TARGET_DELIVERED_RATIO = 1.5;
/** The sustained run: this long, at this share of the peak (the lower of accepted/s and delivered/s). */
const SUSTAIN_MS = Number(process.env.CALLFLOW_BENCH_PIPELINE_SUSTAIN_S ?? 60) * 1000;
const SUSTAIN_SHARE = 0.8;
/** How often the queue depth is sampled during the sustained run. */
const DEPTH_EVERY_MS = 5000;
/** Messages queued (no carrier bound) before the gateway's RSS is read. */
const QUEUED = Number(process.env.CALLFLOW_BENCH_PIPELINE_QUEUED ?? 100_000);
/** CALLFLOW_BENCH_PIPELINE_THREAD=0 runs delivery on the server's event loop (delivery.thread false). */
const THREAD = process.env.CALLFLOW_BENCH_PIPELINE_THREAD !== '0';
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

export interface Sustained {
  offeredPerSecond: number;
  sent: number;
  accepted: number;
  p50: number;
  p99: number;
  /** Messages delivered per second over the run (sending start to the last sample). */
  deliveredPerSecond: number;
  /** [seconds since the start, due messages (queue depth), accepted and not yet final]. */
  depth: [number, number, number][];
  note: string;
}

function callflowConfig(
  dataDir: string,
  databaseUrl: string | undefined,
  carrier: { host: string; port: number },
) {
  return loadConfig({
    env: {},
    overrides: {
      dataDir,
      databaseUrl,
      port: 0,
      logLevel: 'warn',
      carriers: [
        {
          name: 'sim',
          host: carrier.host,
          port: carrier.port,
          systemId: SYSTEM_ID,
          password: SMSC_PASSWORD,
          window: WINDOW,
          segmentsPerSecond: 1_000_000,
        },
      ],
      delivery: { thread: THREAD },
      // The sustained and queueing runs send more than the default 12,000 a minute per account.
      api: { rateLimitPerMinute: 0 },
    },
  });
}

function callflowLoad(origin: string, auth: string) {
  return {
    origin,
    method: 'POST' as const,
    path: '/api/v1/sms',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify(smsRequest('B{i}', '+91{msisdn}')),
    msisdnBase: MSISDN_BASE,
    concurrency: CONCURRENCY,
    okStatuses: [202],
  };
}

/**
 * callflow in this process against the simulator, on SQLite (no URL) or PostgreSQL: the peak
 * run, then, when `sustain` is given, the sustained run at that share of the peak.
 */
async function measureCallflow(
  databaseUrl: string | undefined,
  sustain?: number,
): Promise<{ m: Measured; sustained?: Sustained | { error: string } }> {
  const sim = await startSimulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-bench-pipeline-'));
  try {
    const server = await startServer(callflowConfig(dataDir, databaseUrl, sim));
    try {
      const account = await seedAccount(server.store);
      const delivered = async () => (await server.store.messages.stats()).byStatus.delivered;
      const spec = callflowLoad(server.url!, account.auth);
      const warm = await runLoad({ ...spec, first: 0, count: WARMUP });
      if (warm.accepted !== WARMUP) throw new Error(`warm-up refused: ${warm.sample}`);
      const base = await waitForCount(delivered, WARMUP, DRAIN_TIMEOUT_MS);
      if (base.at === null) throw new Error(`warm-up: only ${base.count} of ${WARMUP} delivered`);
      // Every delivered message had its receipt acknowledged to the SMSC first (the receipt is
      // stored before deliver_sm_resp), so the simulator's count bounds the store's: the store
      // is counted only once it could be done.
      const ackedBefore = (await sim.stats()).receiptsAcked;
      const m = await drive({
        loading: runLoad({ ...spec, first: WARMUP, count: N, maxMs: SEND_CAP_MS }),
        delivered: async () => (await delivered()) - WARMUP,
        upperBound: async () => (await sim.stats()).receiptsAcked - ackedBefore,
        pollMs: POLL_MS,
        // This process less the simulator's and the load generator's threads.
        cpuMs: async () => ownProcessCpuMs() - (await sim.cpuMs()),
        loadInside: true,
      });
      if (sustain === undefined) return { m };
      const rate = Math.max(
        1,
        Math.round(sustain * Math.min(m.acceptPerSecond, m.deliveredPerSecond)),
      );
      let sustained: Sustained | { error: string };
      try {
        sustained = await sustainCallflow(server, spec, rate);
      } catch (error) {
        sustained = { error: String((error as Error).message ?? error).split('\n')[0]! };
      }
      return { m, sustained };
    } finally {
      await server.stop();
    }
  } finally {
    await sim.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** SUSTAIN_MS at `rate` requests a second (open loop), sampling the queue every DEPTH_EVERY_MS. */
async function sustainCallflow(
  server: Awaited<ReturnType<typeof startServer>>,
  spec: ReturnType<typeof callflowLoad>,
  rate: number,
): Promise<Sustained> {
  const stats = () => server.store.messages.stats();
  const before = await stats();
  const deliveredBefore = before.byStatus.delivered;
  const count = Math.ceil((rate * SUSTAIN_MS) / 1000);
  const startedAt = now();
  const loading = runLoad({
    ...spec,
    first: WARMUP + N,
    count,
    maxMs: SUSTAIN_MS,
    ratePerSecond: rate,
    // Open loop: enough lanes that a slow answer does not delay the next request's start.
    concurrency: Math.max(CONCURRENCY, Math.ceil(rate / 10)),
  });
  let done = false;
  loading.finally(() => {
    done = true;
  });
  const depth: [number, number, number][] = [];
  const sample = async () => {
    const s = await stats();
    const open = s.byStatus.queued + s.byStatus.sending + s.byStatus.submitted;
    depth.push([Math.round((now() - startedAt) / 1000), s.due, open]);
    return s;
  };
  while (!done) {
    await sleep(100);
    if (!done && now() >= startedAt + (depth.length + 1) * DEPTH_EVERY_MS) await sample();
  }
  const l = await loading;
  const last = await sample();
  const elapsed = now() - startedAt;
  const notes: string[] = [];
  if (l.accepted < l.sent) notes.push(`${l.sent - l.accepted} refused (${l.sample})`);
  return {
    offeredPerSecond: rate,
    sent: l.sent,
    accepted: l.accepted,
    p50: quantile(l.latenciesMs, 0.5),
    p99: quantile(l.latenciesMs, 0.99),
    deliveredPerSecond: ((last.byStatus.delivered - deliveredBefore) * 1000) / elapsed,
    depth,
    note: notes.join('; '),
  };
}

/**
 * The gateway's resident memory with QUEUED messages waiting: `callflow serve` as its own process
 * (so the figure is the gateway's, not this benchmark's) on SQLite, with its one carrier
 * unreachable so that nothing is claimed, loaded over HTTP; VmRSS of that process, idle and with
 * the messages queued.
 */
async function queuedMemory(): Promise<{ idleMb: number; queuedMb: number; queued: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-bench-queued-'));
  try {
    const file = join(dataDir, 'callflow.json');
    writeFileSync(
      file,
      JSON.stringify({
        dataDir,
        carriers: [
          {
            name: 'down',
            host: '127.0.0.1',
            port: await freePort(),
            systemId: SYSTEM_ID,
            password: SMSC_PASSWORD,
            reconnect: { minMs: 1000, maxMs: 30_000 },
          },
        ],
        delivery: { thread: THREAD },
        api: { rateLimitPerMinute: 0 },
      }),
    );
    const store = await openStore({ dataDir });
    const account = await seedAccount(store);
    const server = await spawnServer(['--config', file, '--port', '0'], { LOG_LEVEL: 'error' });
    try {
      const rss = () => {
        const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
        return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
      };
      const spec = callflowLoad(server.url, account.auth);
      await runLoad({ ...spec, first: 0, count: 200 });
      const idleMb = rss();
      const l = await runLoad({ ...spec, first: 200, count: QUEUED });
      if (l.accepted !== QUEUED) throw new Error(`queueing refused: ${l.sample}`);
      await sleep(2000);
      const queued = (await store.messages.stats()).byStatus.queued;
      return { idleMb, queuedMb: rss(), queued };
    } finally {
      await server.stop();
      await store.close();
    }
  } finally {
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
function wanted(part: 'sqlite' | 'postgres' | 'kannel' | 'sustain' | 'memory'): boolean {
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
  const sustainShare = wanted('sustain') ? SUSTAIN_SHARE : undefined;
  const sustained: Record<'SQLite' | 'PostgreSQL', Sustained | { error: string } | undefined> = {
    SQLite: undefined,
    PostgreSQL: undefined,
  };
  const sqlite = wanted('sqlite')
    ? await outcome(async () => {
        const r = await measureCallflow(undefined, sustainShare);
        sustained.SQLite = r.sustained;
        return r.m;
      })
    : skipped;
  const database = wanted('postgres') ? await scratchDatabase() : { error: skipped.why };
  let postgres: Outcome;
  if ('error' in database) postgres = { ok: false, why: database.error };
  else {
    try {
      postgres = await outcome(async () => {
        const r = await measureCallflow(database.url, sustainShare);
        sustained.PostgreSQL = r.sustained;
        return r.m;
      });
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
  let memory: Awaited<ReturnType<typeof queuedMemory>> | { error: string } | undefined;
  if (wanted('memory')) {
    try {
      memory = await queuedMemory();
    } catch (error) {
      memory = { error: String((error as Error).message ?? error).split('\n')[0]! };
    }
  }
  const peerName = `Kannel ${kannel.version ?? '1.4.5'}`;
  const shape = {
    n: N,
    concurrency: CONCURRENCY,
    window: WINDOW,
    pollMs: POLL_MS,
    targetAcceptRatio: TARGET_ACCEPT_RATIO,
    targetDeliveredRatio: TARGET_DELIVERED_RATIO,
  };
  const rows = [
    ...rowsFor('SQLite', sqlite, kannel, peerName, shape),
    ...rowsFor('PostgreSQL', postgres, kannel, peerName, shape),
  ];
  const own = (name: string, value: number, unit: string, notes: string): BenchResult => ({
    name,
    ours: value,
    peer: Number.NaN,
    peerName: 'none (callflow alone)',
    unit,
    ratio: Number.NaN,
    notes,
  });
  for (const store of ['SQLite', 'PostgreSQL'] as const) {
    const r = sustained[store];
    if (r === undefined) continue;
    if ('error' in r) {
      rows.push(own(`sustained run (${store})`, Number.NaN, '', `failed: ${r.error}`));
      continue;
    }
    const shape = `${fmt(r.offeredPerSecond)}/s offered (${SUSTAIN_SHARE * 100} % of the peak) for ${SUSTAIN_MS / 1000} s, open loop; ${fmt(r.accepted)} of ${fmt(r.sent)} accepted${r.note ? `; ${r.note}` : ''}`;
    const series = r.depth.map(([t, due, open]) => `${t}s ${fmt(due)}/${fmt(open)}`).join(', ');
    rows.push(own(`sustained accept p50 latency (${store})`, r.p50, 'ms', shape));
    rows.push(own(`sustained accept p99 latency (${store})`, r.p99, 'ms', shape));
    rows.push(
      own(
        `sustained delivered/s (${store})`,
        r.deliveredPerSecond,
        'messages/s',
        `queue depth over time (due / accepted and not final): ${series}`,
      ),
    );
  }
  if (memory !== undefined) {
    rows.push(
      'error' in memory
        ? own(
            'gateway RSS with queued messages (SQLite)',
            Number.NaN,
            'MiB',
            `failed: ${memory.error}`,
          )
        : own(
            `gateway RSS with ${fmt(memory.queued)} queued (SQLite)`,
            memory.queuedMb,
            'MiB',
            `callflow serve as its own process, VmRSS; ${fmt(memory.idleMb)} MiB idle after 200 messages; carrier unreachable, so nothing is claimed`,
          ),
    );
  }
  rows[0]!.notes = `${rows[0]!.notes}; ${cpus().length} cores, load average ${load} at start, delivery ${THREAD ? 'in its thread' : 'on the server event loop'}`;
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
