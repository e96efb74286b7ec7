/**
 * Call flows: the SMS applet's step latency (wall clock, from entering the SMS applet to entering
 * the next applet), p50 and p99, while 1,000 simulated calls run at once, on SQLite and on
 * PostgreSQL, and the calls completed per second. Target: p99 under 5 ms.
 *
 * The peer, measured in the same run: a blocking SMS step, as Twilio Studio's Send Message widget
 * and Retell's SMS node behave: the flow goes on only once the carrier has accepted the message
 * (submit_sm_resp, our `submitted`), taking a sent/failed transition. It is the same engine, the
 * same flow and the same pipeline; only the SMS applet differs: a variant of ours that, after
 * handing the message to sendSms, waits for the delivery worker to record it `submitted` (told
 * at once by a wrapper on the store's markSubmitted, so the peer pays no polling delay).
 *
 * Each run: a fresh store (SQLite file, or a fresh PostgreSQL schema), the pipeline as
 * `npm start` wires it (createSender; a delivery worker with the default config; an SMPP carrier,
 * window 50, bound to callflow's carrier simulator on loopback in a worker thread, answering at
 * once and sending receipts after RECEIPT_DELAY_MS), and calls placed through FlowService.startCall
 * (the route read, the call row, the session, the saved log) on the real clock: telephony waits
 * take real time, as they do on a real call, so the process is as idle or as busy as it would be.
 *
 * Our SMS applet gets the SmsSid from sendSms at once and moves on while the outbox row commits;
 * the call's log is saved only once it has. The time from the hand-over to that commit is
 * reported too ("on disk"), so what the call does not wait for is still measured.
 *
 * The flow is the guide's post-call confirmation: Greeting → Connect → SMS → Greeting → Hangup.
 * CONCURRENCY calls start in the first second; each caller hears a 1 s greeting, its agent
 * answers after 0.5-2 s and talks 0-24 s (uniform: the calls reach the SMS applet spread over
 * 28 s), then a 1 s goodbye. A call that ends is replaced at once, so CONCURRENCY calls stay in
 * flight: about 40 calls, and as many SMS, per second (real contact-centre calls last minutes;
 * this is several times the load 1,000 of them make). SMS steps entered and calls ended between
 * WARMUP_MS and WARMUP_MS + MEASURE_MS are counted; at the end every caller still on the line
 * hangs up (after the window), which ends the run without waiting out the conversations.
 *
 * Run alone with `node bench/flows.bench.ts`. Env: CALLFLOW_BENCH_DATABASE_URL (else
 * CALLFLOW_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test): a PostgreSQL where a
 * schema may be created and dropped; CALLFLOW_BENCH_FLOWS_STORES=sqlite to skip PostgreSQL.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import pg from 'pg';
import { createAccount } from '../src/accounts.ts';
import { createCarrier } from '../src/carriers/index.ts';
import { createSender } from '../src/delivery/send.ts';
import { createDeliveryWorker } from '../src/delivery/worker.ts';
import { DEMO_ENTITY_ID, DEMO_SENDER_ID, DEMO_TEMPLATES } from '../src/demo.ts';
import { coerceError } from '../src/errors.ts';
import { type AnyAppletDefinition, appletDefinition } from '../src/flows/registry.ts';
import { createFlowService } from '../src/flows/service.ts';
import type { FlowDocument, SmsLogEntry } from '../src/flows/types.ts';
import { openStore } from '../src/store/index.ts';
import type { Store } from '../src/store/types.ts';
import { quantile } from './lib/loadgen.ts';
import { startSimulatorThread } from './lib/simulator-thread.ts';
import type { BenchResult } from './types.ts';

const CONCURRENCY = 1000;
const RAMP_MS = 1000;
const WARMUP_MS = 3000;
const MEASURE_MS = 12_000;
/** After the window, the callers still on the line hang up this much later. */
const HANGUP_AFTER_WINDOW_MS = 500;
const RECEIPT_DELAY_MS = 500;
/** A blocking step that waits longer than this counts as failed (it never happened here). */
const PEER_WAIT_LIMIT_MS = 30_000;
const TARGET_P99_MS = 5;
const EXOPHONE = '+918045678900';
const AGENT = '+919812345678';
const TEMPLATE = DEMO_TEMPLATES.find((t) => t.templateId === '1107166000000000002')!;

const PG_URL =
  process.env.CALLFLOW_BENCH_DATABASE_URL ??
  process.env.CALLFLOW_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

type Kind = 'sqlite' | 'postgres';
type Variant = 'ours' | 'blocking';

const FLOW: FlowDocument = {
  name: 'Post-call confirmation (bench)',
  start: 'welcome',
  applets: {
    welcome: { type: 'greeting', config: { text: 'Hello, Acme.' }, next: { default: 'agent' } },
    agent: {
      type: 'connect',
      config: { numbers: [AGENT], ringSeconds: 20 },
      next: { completed: 'confirm', 'no-answer': 'confirm', busy: 'confirm', failed: 'confirm' },
    },
    confirm: {
      type: 'sms',
      config: {
        to: { kind: 'caller' },
        senderId: DEMO_SENDER_ID,
        body: 'Thanks for contacting Acme Corp. Your reference number is {CallSid}.',
        dltTemplateId: TEMPLATE.templateId,
        dltEntityId: DEMO_ENTITY_ID,
        smsType: 'transactional',
      },
      next: { default: 'goodbye' },
    },
    goodbye: { type: 'greeting', config: { text: 'Goodbye.' }, next: { default: 'bye' } },
    bye: { type: 'hangup' },
  },
};

export interface FlowRun {
  kind: Kind;
  variant: Variant;
  /** SMS step latencies in the window, ms, sorted. */
  latencies: Float64Array;
  /**
   * From the hand-over to the outbox row's commit, ms, sorted: how long after the call moved on
   * the message was on disk (the call's log is saved only after that).
   */
  storedLatencies: Float64Array;
  callsPerSecond: number;
  /** SMS the calls produced that were not queued, or (blocking) never submitted. */
  errors: number;
  /** Calls that ended any other way than at the hangup applet or by the caller hanging up. */
  abnormal: number;
  /** Event-loop delay in the window (perf_hooks, 1 ms resolution): p99, ms. */
  loopDelayP99: number;
  /** Share of the window the event loop was busy. */
  loopUtilization: number;
  /** CPU time of this process in the window (every thread), ms per second. */
  cpuMsPerSecond: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for messages to reach `submitted` (or fail), told by the store as the worker records it. */
function submissionWatch() {
  const done = new Set<string>();
  const waiting = new Map<string, () => void>();
  const settle = (sid: string) => {
    done.add(sid);
    waiting.get(sid)?.();
    waiting.delete(sid);
  };
  return {
    wrap(store: Store): Store {
      const messages = store.messages;
      return {
        ...store,
        messages: {
          ...messages,
          async markSubmitted(sid, owner, carrier, ids) {
            const after = await messages.markSubmitted(sid, owner, carrier, ids);
            if (after) settle(sid);
            return after;
          },
          async fail(...args: Parameters<Store['messages']['fail']>) {
            const after = await messages.fail(...args);
            settle(args[0]);
            return after;
          },
        },
      };
    },
    /** Resolves true once submitted (or failed), false after PEER_WAIT_LIMIT_MS. */
    submitted(sid: string): Promise<boolean> {
      if (done.has(sid)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(sid);
          resolve(false);
        }, PEER_WAIT_LIMIT_MS);
        waiting.set(sid, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}

/** The peer's SMS applet: ours, then wait until the carrier has accepted the message. */
function blockingSms(
  watch: ReturnType<typeof submissionWatch>,
  onTimeout: () => void,
): AnyAppletDefinition {
  const sms = appletDefinition('sms')!;
  return {
    ...sms,
    async run(ctx, config) {
      let entry: SmsLogEntry | undefined;
      const exit = await sms.run(
        {
          ...ctx,
          recordSms: (e) => {
            entry = ctx.recordSms(e);
            return entry;
          },
        },
        config,
      );
      if (entry?.sid && !(await watch.submitted(entry.sid))) onTimeout();
      return exit;
    },
  };
}

async function openRunStore(kind: Kind): Promise<{ store: Store; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-flows-'));
    const store = await openStore({ dataDir: dir });
    return {
      store,
      async cleanup() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_flows_${process.pid}_${randomBytes(3).toString('hex')}`;
  const store = await openStore({ databaseUrl: PG_URL, schema });
  return {
    store,
    async cleanup() {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

async function seed(store: Store): Promise<string> {
  const { account } = await createAccount(store, { name: 'Bench', balancePaise: 1_000_000_000 });
  await store.dlt.upsertEntity({
    accountSid: account.sid,
    entityId: DEMO_ENTITY_ID,
    name: 'Acme Corp',
    status: 'active',
    tmChain: [],
  });
  await store.dlt.upsertHeader({
    accountSid: account.sid,
    entityId: DEMO_ENTITY_ID,
    senderId: DEMO_SENDER_ID,
    smsType: 'transactional',
    status: 'active',
  });
  await store.dlt.upsertTemplate({ ...TEMPLATE, accountSid: account.sid });
  return account.sid;
}

/** A caller whose agent answers after 0.5-2 s and talks 0-24 s; gone at `hangupAt` at the latest. */
function script(hangupAt: number) {
  return {
    from: `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
    to: EXOPHONE,
    defaultAgent: {
      behaviour: 'answer' as const,
      answerAfterSeconds: 0.5 + Math.random() * 1.5,
      talkSeconds: Math.random() * 24,
    },
    hangupAfterSeconds: Math.max(0, (hangupAt - performance.now()) / 1000),
  };
}

export async function runFlows(kind: Kind, variant: Variant): Promise<FlowRun> {
  const { store: raw, cleanup } = await openRunStore(kind);
  const watch = submissionWatch();
  const store = watch.wrap(raw);
  const sim = await startSimulatorThread({
    systemId: 'bench',
    password: 'secret',
    receiptDelayMs: RECEIPT_DELAY_MS,
    responseDelayMs: 0,
    outcomes: { delivered: 1 },
    rules: [],
  });
  const carrier = createCarrier({
    name: 'simulator',
    host: sim.host,
    port: sim.port,
    systemId: 'bench',
    password: 'secret',
    window: 50,
    segmentsPerSecond: 5000,
  });
  const worker = createDeliveryWorker({ store, carriers: [carrier] });
  try {
    const accountSid = await seed(store);
    await worker.start();
    await carrier.start();
    const sender = createSender({ store });

    const entered = new Map<string, number>();
    const latencies: number[] = [];
    const storedLatencies: number[] = [];
    let errors = 0;
    let abnormal = 0;
    let completed = 0;
    const started = performance.now();
    const from = started + WARMUP_MS;
    const to = from + MEASURE_MS;
    const inWindow = (t: number) => t >= from && t < to;
    const blocking = blockingSms(watch, () => errors++);

    const service = createFlowService({
      store,
      sendSms: (sid, request, origin) => {
        const handedAt = performance.now();
        const handover = sender.handOver(sid, request, origin);
        if (handover.ok && inWindow(handedAt)) {
          void handover.stored.then(() => storedLatencies.push(performance.now() - handedAt));
        }
        return handover;
      },
      session: {
        onStepEntered(step, log) {
          const now = performance.now();
          const smsAt = entered.get(log.callSid);
          if (smsAt !== undefined) {
            entered.delete(log.callSid);
            if (inWindow(smsAt)) latencies.push(now - smsAt);
          }
          if (step.type === 'sms') entered.set(log.callSid, now);
        },
        ...(variant === 'blocking'
          ? { resolveApplet: (type) => (type === 'sms' ? blocking : appletDefinition(type)) }
          : {}),
      },
    });
    const flow = await service.createFlow(accountSid, { document: FLOW });
    await service.publish(accountSid, flow.id);
    await service.assignNumber(accountSid, EXOPHONE, flow.id);

    let inFlight = 0;
    const place = (): void => {
      inFlight++;
      service
        .startCall(accountSid, script(to + HANGUP_AFTER_WINDOW_MS), { realTime: true })
        .then((call) => call.done)
        .then((log) => {
          // Callers sent away after the window end with caller-hangup; that is not abnormal.
          if (log.endReason !== 'hangup-applet' && log.endReason !== 'caller-hangup') abnormal++;
          if (log.sms.some((s) => s.sid === undefined)) errors++;
          if (inWindow(performance.now())) completed++;
        })
        .catch(() => {
          abnormal++;
        })
        .finally(() => {
          inFlight--;
          if (performance.now() < to) place();
        });
    };
    for (let i = 0; i < CONCURRENCY; i++) setTimeout(place, (i * RAMP_MS) / CONCURRENCY);
    await sleep(from - performance.now());
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    await sleep(to - performance.now());
    delay.disable();
    const busy = performance.eventLoopUtilization(elu).utilization;
    const cpuUsed = process.cpuUsage(cpu);
    while (inFlight > 0) await sleep(50);
    await service.drain();
    return {
      kind,
      variant,
      latencies: Float64Array.from(latencies).sort(),
      storedLatencies: Float64Array.from(storedLatencies).sort(),
      callsPerSecond: completed / (MEASURE_MS / 1000),
      errors,
      abnormal,
      loopDelayP99: delay.percentile(99) / 1e6,
      loopUtilization: busy,
      cpuMsPerSecond: (cpuUsed.user + cpuUsed.system) / 1000 / (MEASURE_MS / 1000),
    };
  } finally {
    await worker.stop();
    await carrier.stop();
    await sim.stop();
    await cleanup();
  }
}

/** The event loop's delay p99 with nothing to do, ms: what the machine's scheduling adds to any step. */
export async function idleLoopDelayP99(ms = 2000): Promise<number> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await sleep(ms);
  delay.disable();
  return delay.percentile(99) / 1e6;
}

async function postgresReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return coerceError(error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

export function describeRun(r: FlowRun): string {
  return `${r.kind} ${r.variant}: SMS step p50 ${ms(quantile(r.latencies, 0.5))}, p99 ${ms(quantile(r.latencies, 0.99))}, max ${ms(r.latencies.at(-1) ?? Number.NaN)} over ${r.latencies.length} steps; stored p50 ${ms(quantile(r.storedLatencies, 0.5))}, p99 ${ms(quantile(r.storedLatencies, 0.99))} after the hand-over; ${r.callsPerSecond.toFixed(1)} calls/s; event loop busy ${(r.loopUtilization * 100).toFixed(0)} %, delay p99 ${ms(r.loopDelayP99)}; CPU ${r.cpuMsPerSecond.toFixed(0)} ms/s; ${r.errors} SMS errors, ${r.abnormal} abnormal calls`;
}

export async function run(): Promise<BenchResult[]> {
  const kinds: Kind[] =
    process.env.CALLFLOW_BENCH_FLOWS_STORES === 'sqlite' ? ['sqlite'] : ['sqlite', 'postgres'];
  const results: BenchResult[] = [];
  for (const kind of kinds) {
    if (kind === 'postgres') {
      const why = await postgresReachable();
      if (why) {
        console.log(`  flows: PostgreSQL at ${PG_URL} unreachable (${why}); skipped`);
        continue;
      }
    }
    const idle = await idleLoopDelayP99();
    console.log(`  idle event-loop delay p99 before the ${kind} runs: ${ms(idle)}`);
    const ours = await runFlows(kind, 'ours');
    console.log(`  ${describeRun(ours)}`);
    const peer = await runFlows(kind, 'blocking');
    console.log(`  ${describeRun(peer)}`);
    const oursP99 = quantile(ours.latencies, 0.99);
    const peerP99 = quantile(peer.latencies, 0.99);
    const store = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    results.push({
      name: `SMS step p99, ${CONCURRENCY.toLocaleString('en-US')} calls at once, ${store}`,
      ours: oursP99,
      peer: peerP99,
      peerName: 'blocking SMS step (Twilio Studio / Retell)',
      unit: 'ms',
      ratio: peerP99 / oursP99,
      notes: `p50 ${ms(quantile(ours.latencies, 0.5))} vs ${ms(quantile(peer.latencies, 0.5))}; ours on disk p99 ${ms(quantile(ours.storedLatencies, 0.99))} after the hand-over; target p99 < ${TARGET_P99_MS} ms ${oursP99 < TARGET_P99_MS ? 'met' : 'MISSED'}; idle event-loop delay p99 ${ms(idle)}`,
    });
    results.push({
      name: `Calls completed per second, ${CONCURRENCY.toLocaleString('en-US')} calls at once, ${store}`,
      ours: ours.callsPerSecond,
      peer: peer.callsPerSecond,
      peerName: 'blocking SMS step (Twilio Studio / Retell)',
      unit: 'calls/s',
      ratio: ours.callsPerSecond / peer.callsPerSecond,
      notes: `calls of 2.5-28 s, replaced as they end; ${ours.errors + peer.errors} SMS errors`,
    });
  }
  return results;
}

if (import.meta.main) {
  for (const r of await run()) {
    console.log(
      `${r.name}: ours ${r.ours.toFixed(2)} ${r.unit}, ${r.peerName} ${r.peer.toFixed(2)} ${r.unit}, ratio ${r.ratio.toFixed(2)}× (${r.notes})`,
    );
  }
}
