/**
 * The delivery side in a worker thread of its own (`delivery.thread`, the default): the worker,
 * the carrier binds and the status callbacks run on a second core with their own store
 * connection, while the server's event loop serves HTTP and the flows.
 *
 * - New messages wake it as they wake a worker in another process: PostgreSQL's NOTIFY, or on
 *   SQLite the store's channel between the threads of a process (src/store/sqlite/index.ts).
 * - Its metrics (submits, receipt latencies, deliveries by carrier, failed callbacks) and its carriers' states come to
 *   this thread in reports, at least every REPORT_MS and whenever asked (before a scrape or a
 *   readiness check), so /metrics and /readyz read the same figures as with one event loop; the
 *   admin API reads the carriers' views from them too, and has a change applied by the thread's
 *   carrier pool (syncCarriers) before it answers.
 * - Its log lines are written to this thread's logger's destination as they are.
 * - A thread that dies (an uncaught error, a crash) is logged as an error and started again
 *   after a backoff, as a supervisor restarts a worker process; what it had claimed is claimed
 *   again when the lease ends, and at most one carrier window is submitted twice. It never stops
 *   delivering silently.
 * - stop() drains it as the one-loop server drains: no more claims, submits in flight finished
 *   or released, carriers unbound, callbacks stopped, its store closed.
 */

import { Worker } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import type { CarrierStatus } from '../carriers/types.ts';
import type { Config } from '../config.ts';
import { releaseHeldBy, shareWriteLocks } from '../store/sqlite/write-lock.ts';
import type { MessageStatus } from '../store/types.ts';
import type { CarrierView } from './carrier-pool.ts';
import type { DeliveryMetrics } from './stack.ts';

/** How often the thread reports its carriers and metrics unasked, milliseconds. */
export const REPORT_MS = 250;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
/** A thread that ran this long before dying restarts after the shortest backoff again. */
const HEALTHY_MS = 60_000;

export interface DeliveryReport {
  /** Every bind, draining ones included (metrics). */
  carriers: CarrierStatus[];
  /** The binds that take new messages (readiness). */
  active: CarrierStatus[];
  /** What the admin API shows of each carrier. */
  views: CarrierView[];
  submitted: [carrier: string, parts: number][];
  receiptLatencies: number[];
  deliveries: [carrier: string, status: MessageStatus, seconds: number][];
  callbackFailures: number;
}

export type ToMain =
  | { type: 'started'; simulatorPort: number | null }
  | { type: 'report'; id?: number; report: DeliveryReport }
  | { type: 'log'; line: string }
  | { type: 'stopped' };

export type ToThread =
  | { type: 'sync'; id: number }
  | { type: 'sync-carriers'; id: number }
  | { type: 'stop' };

export interface ThreadData {
  config: Config;
  logLevel: string;
  /** The SQLite write locks of the server's thread (src/store/sqlite/write-lock.ts). */
  sqliteLocks: Record<string, SharedArrayBuffer>;
}

export interface DeliveryThread {
  /** The carriers' states as last reported: every bind, and those that take new messages. */
  carriers(): CarrierStatus[];
  activeCarriers(): CarrierStatus[];
  /** The carriers as the admin API shows them, as last reported. */
  views(): CarrierView[];
  /** Has the thread read the carriers and routes from the store now and apply what changed. */
  syncCarriers(): Promise<void>;
  /** The built-in simulator's port, when no carrier is configured. */
  simulatorPort: number | null;
  /** Times the thread died and was started again. */
  restarts(): number;
  /** Brings the carriers' states and the metrics up to date. */
  sync(): Promise<void>;
  /** Ends the thread as a crash would (tests): it is started again. */
  crash(): Promise<void>;
  /** Drains the thread and waits for it to end. */
  stop(): Promise<void>;
}

const ENTRY = new URL('./thread-entry.ts', import.meta.url);

/** Writes the thread's log lines, already formatted by pino, to `logger`'s own destination. */
function logSink(logger: Logger): (line: string) => void {
  const stream = (logger as unknown as Record<symbol, { write?(s: string): unknown }>)[
    pino.symbols.streamSym
  ];
  if (stream && typeof stream.write === 'function') return (line) => stream.write!(line);
  return (line) => process.stdout.write(line);
}

export async function startDeliveryThread(deps: {
  config: Config;
  logger: Logger;
  metrics: DeliveryMetrics;
}): Promise<DeliveryThread> {
  const { config, logger, metrics } = deps;
  const writeLog = logSink(logger);
  let carriers: CarrierStatus[] = [];
  let active: CarrierStatus[] = [];
  let views: CarrierView[] = [];
  let restarts = 0;
  let stopping = false;
  let current: Worker | null = null;
  let exited: Promise<void> = Promise.resolve();
  let restartTimer: NodeJS.Timeout | null = null;
  let nextSync = 0;
  const syncs = new Map<number, () => void>();

  const apply = (report: DeliveryReport) => {
    carriers = report.carriers;
    active = report.active;
    views = report.views;
    for (const [carrier, parts] of report.submitted) metrics.submitted(parts, carrier);
    for (const seconds of report.receiptLatencies) metrics.receiptLatency(seconds);
    for (const [carrier, status, seconds] of report.deliveries)
      metrics.delivery(carrier, status, seconds);
    for (let i = 0; i < report.callbackFailures; i++) metrics.callbackFailed();
  };

  /** Starts one thread; resolves once its carriers and worker are started. */
  function spawn(): Promise<number | null> {
    const data: ThreadData = { config, logLevel: logger.level, sqliteLocks: shareWriteLocks() };
    const worker = new Worker(ENTRY, { workerData: data, name: 'callflow-delivery' });
    current = worker;
    const startedAt = Date.now();
    let started = false;
    return new Promise<number | null>((resolve, reject) => {
      exited = new Promise<void>((resolveExit) => {
        worker.on('message', (message: ToMain) => {
          switch (message.type) {
            case 'log':
              writeLog(message.line);
              break;
            case 'report':
              apply(message.report);
              if (message.id !== undefined) {
                syncs.get(message.id)?.();
                syncs.delete(message.id);
              }
              break;
            case 'started':
              started = true;
              resolve(message.simulatorPort);
              break;
            case 'stopped':
              break;
          }
        });
        let failure: unknown = null;
        worker.on('error', (error) => {
          failure = error;
          logger.error({ err: error }, 'the delivery thread failed');
        });
        const id = worker.threadId;
        worker.on('exit', (code) => {
          if (current === worker) current = null;
          // A thread ended inside a transaction leaves the store's write lock to this one.
          releaseHeldBy(id);
          // Whoever waits for a report from this thread gets the last one.
          for (const done of syncs.values()) done();
          syncs.clear();
          carriers = carriers.map((c) => ({ ...c, state: 'closed', inFlight: 0 }));
          active = active.map((c) => ({ ...c, state: 'closed', inFlight: 0 }));
          views = views.map((v) => ({ ...v, running: false, windowInUse: 0 }));
          resolveExit();
          if (!started) {
            reject(
              failure ?? new Error(`the delivery thread ended with code ${code} before it started`),
            );
            return;
          }
          if (stopping) return;
          const ranMs = Date.now() - startedAt;
          const delay =
            ranMs >= HEALTHY_MS
              ? RESTART_MIN_MS
              : Math.min(RESTART_MAX_MS, RESTART_MIN_MS * 2 ** Math.min(restarts, 10));
          restarts++;
          logger.error(
            { code, restarts, restartInMs: delay },
            'the delivery thread ended unexpectedly: starting it again',
          );
          restartTimer = setTimeout(() => {
            restartTimer = null;
            if (stopping) return;
            spawn().catch((error: unknown) => {
              // Not even started: try again later, loudly, rather than stop delivering.
              logger.error({ err: error }, 'the delivery thread could not start again');
            });
          }, delay);
        });
      });
    });
  }

  /** Asks the running thread for something and waits for the report that answers it. */
  function ask(type: 'sync' | 'sync-carriers'): Promise<void> {
    const worker = current;
    if (worker === null) return Promise.resolve();
    const id = ++nextSync;
    return new Promise<void>((resolve) => {
      syncs.set(id, resolve);
      worker.postMessage({ type, id } satisfies ToThread);
    });
  }

  const simulatorPort = await spawn();

  return {
    carriers: () => carriers,
    activeCarriers: () => active,
    views: () => views,
    simulatorPort,
    restarts: () => restarts,
    sync: () => ask('sync'),
    syncCarriers: () => ask('sync-carriers'),
    async crash() {
      const worker = current;
      if (worker === null) return;
      const before = restarts;
      await worker.terminate();
      // Resolves once the next thread is up.
      while (restarts === before || current === null) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      stopping = true;
      if (restartTimer !== null) clearTimeout(restartTimer);
      const worker = current;
      if (worker === null) return;
      worker.postMessage({ type: 'stop' } satisfies ToThread);
      await exited;
    },
  };
}
