/**
 * The carriers of a running process, and the routing table in force (carrier-state.ts: the config
 * file's, with the changes made while running over them), kept in step with the store.
 *
 * - A carrier added (or enabled) binds: a new connection is made and joins the pool once started.
 * - A carrier disabled or removed takes no new messages at once; it is unbound once its window has
 *   drained (parts on the wire answered or timed out), so nothing it holds is lost.
 * - A carrier whose settings change is replaced: the new bind takes new messages, the old one
 *   drains and unbinds.
 * - The routing table is swapped whole: a message is routed by one table, never by half of two.
 *
 * The pool reads the store's routing version every `syncMs` and reloads when it moved, so a change
 * made by another process or the CLI is in force within that; `sync()` reloads at once (the API of
 * this process calls it after a change).
 *
 * `fixed` carriers (the built-in simulator) are not in the store and stay for the pool's life.
 */

import { isDeepStrictEqual } from 'node:util';
import { createCarrier as createSmppCarrier } from '../carriers/index.ts';
import { createRouter, type Route, type Router } from '../carriers/routing.ts';
import type { SmppCarrierConfig } from '../carriers/smpp/config.ts';
import type { Carrier, CarrierStatus, ReceiptHandler } from '../carriers/types.ts';
import type { Store } from '../store/types.ts';
import { type CarrierInForce, type FileCarriers, loadInForce } from './carrier-state.ts';
import type { DeliveryLogger } from './config.ts';
import { silentLogger } from './config.ts';

/** What the delivery worker reads of its carriers. */
export interface CarrierSource {
  /** The carriers that take new messages now, in their order. */
  active(): readonly Carrier[];
  /** The routing table in force. */
  router(): Router;
  /** Registers the receipt handler on every carrier, now and added later. */
  onReceipt(handler: ReceiptHandler): void;
}

/** A fixed list of carriers without routes: every carrier, failover in list order. */
export function staticCarriers(carriers: readonly Carrier[]): CarrierSource {
  const router = createRouter([], () => carriers.map((c) => c.name));
  return {
    active: () => carriers,
    router: () => router,
    onReceipt(handler) {
      for (const c of carriers) c.onReceipt(handler);
    },
  };
}

/** What the operator sees of one carrier. */
export interface CarrierView {
  name: string;
  enabled: boolean;
  /** Whether this process has a bind for it (a disabled one is unbound once drained). */
  running: boolean;
  state: CarrierStatus['state'] | 'disabled';
  lastError: string | null;
  window: number;
  /** Parts on the wire plus parts queued for a slot. */
  windowInUse: number;
  /** The configured throughput limit, segments per second. */
  segmentsPerSecond: number;
  /** Over the last few seconds. */
  submitsPerSecond: number;
  throttlesPerSecond: number;
  pricePaise: SmppCarrierConfig['pricePaise'] | null;
}

export interface CarrierPool extends CarrierSource {
  /** Every carrier with a bind, draining ones included (metrics, readiness). */
  all(): readonly Carrier[];
  views(): CarrierView[];
  /** Reads the store now and applies what changed. */
  sync(): Promise<void>;
  /** First load, binds, and the periodic sync. */
  start(): Promise<void>;
  /** Stops syncing and unbinds every carrier (after the worker has stopped). */
  stop(): Promise<void>;
}

/** How often the per-second rates are sampled, and over how many samples they are averaged. */
const SAMPLE_MS = 1000;
const SAMPLES = 5;
/** Longest wait for a disabled carrier's window to drain before it is unbound anyway. */
const DRAIN_LIMIT_MS = 60_000;

interface Entry {
  carrier: Carrier;
  config: SmppCarrierConfig;
  enabled: boolean;
  fixed: boolean;
  /** Cumulative submitted and throttled counts, newest last. */
  samples: { submitted: number; throttled: number; at: number }[];
}

export function createCarrierPool(deps: {
  store: Store;
  syncMs: number;
  /** The config file's carriers and routes. */
  file: FileCarriers;
  /** Carriers outside the store and the file, kept for the pool's life (the simulator). */
  fixed?: SmppCarrierConfig[];
  logger?: DeliveryLogger;
  createCarrier?: (config: SmppCarrierConfig) => Carrier;
  now?: () => number;
}): CarrierPool {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const make = deps.createCarrier ?? ((config) => createSmppCarrier(config));
  /** In pool order: fixed carriers first, then the store's. */
  let entries: Entry[] = [];
  /** Unbinding carriers, still answering receipts until they close. */
  const draining = new Set<Promise<void>>();
  const drainingCarriers = new Set<Carrier>();
  /** Disabled carriers' settings, for views: they have no bind (once drained). */
  let disabled: SmppCarrierConfig[] = [];
  let routes: Route[] = [];
  let router = createRouter([], () => activeNames());
  let handler: ReceiptHandler | undefined;
  let version = -1;
  let syncing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | undefined;
  let sampler: NodeJS.Timeout | undefined;
  let stopped = false;

  const activeEntries = () => entries.filter((e) => e.enabled);
  const activeNames = () => activeEntries().map((e) => e.carrier.name);

  async function bind(config: SmppCarrierConfig, fixed: boolean): Promise<Entry> {
    const carrier = make(config);
    if (handler) carrier.onReceipt(handler);
    await carrier.start();
    return { carrier, config, enabled: true, fixed, samples: [] };
  }

  /** Unbinds once nothing is on the wire or queued (bounded), in the background. */
  function retire(carrier: Carrier) {
    drainingCarriers.add(carrier);
    const done = (async () => {
      const deadline = now() + DRAIN_LIMIT_MS;
      for (;;) {
        const s = carrier.status();
        if ((s.inFlight === 0 && s.queued === 0) || now() >= deadline || stopped) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await carrier.stop();
    })()
      .catch((error: unknown) =>
        logger.warn({ err: error, carrier: carrier.name }, 'error while unbinding a carrier'),
      )
      .finally(() => {
        draining.delete(done);
        drainingCarriers.delete(carrier);
        logger.info({ carrier: carrier.name }, 'carrier unbound');
      });
    draining.add(done);
  }

  async function apply(records: CarrierInForce[], table: Route[]) {
    const byName = new Map(entries.map((e) => [e.carrier.name, e]));
    const next: Entry[] = entries.filter((e) => e.fixed);
    for (const record of records) {
      const name = record.config.name;
      const current = byName.get(name);
      byName.delete(name);
      // Deep equality, not JSON text: PostgreSQL's jsonb does not keep the order of keys.
      const same = current && isDeepStrictEqual(current.config, record.config);
      if (!record.enabled) {
        if (current) retire(current.carrier);
        continue;
      }
      if (current && same) {
        next.push(current);
        continue;
      }
      if (current) retire(current.carrier);
      logger.info({ carrier: name }, current ? 'carrier settings changed' : 'carrier added');
      try {
        next.push(await bind(record.config, false));
      } catch (error) {
        logger.error({ err: error, carrier: name }, 'could not start a carrier');
      }
    }
    // What is left was removed from the store (fixed ones were kept above).
    for (const gone of byName.values()) if (!gone.fixed) retire(gone.carrier);
    disabled = records.filter((r) => !r.enabled).map((r) => r.config);
    entries = next;
    routes = table;
    // One assignment: a message routed from here on sees the new table whole.
    router = createRouter(routes, () => activeNames());
  }

  async function load() {
    if ((await deps.store.carriers.version()) === version) return;
    const state = await loadInForce(deps.store, deps.file);
    // A fixed carrier's name in the store would be two binds with one name: the store's loses.
    const fixedNames = new Set(entries.filter((e) => e.fixed).map((e) => e.carrier.name));
    await apply(
      state.carriers.filter((c) => !fixedNames.has(c.config.name)),
      state.routes,
    );
    version = state.version;
  }

  function sync(): Promise<void> {
    // One load at a time; a sync asked for during one runs after it.
    const run = async (): Promise<void> => {
      try {
        await load();
      } catch (error) {
        logger.warn({ err: error }, 'could not read the carriers from the store');
      }
    };
    const previous = syncing ?? Promise.resolve();
    const mine = previous.then(run);
    syncing = mine.finally(() => {
      if (syncing === mine) syncing = null;
    });
    return mine;
  }

  function sample() {
    const t = now();
    for (const e of entries) {
      const s = e.carrier.status();
      e.samples.push({ submitted: s.submitted, throttled: s.throttled, at: t });
      if (e.samples.length > SAMPLES + 1) e.samples.shift();
    }
  }

  function rate(e: Entry, key: 'submitted' | 'throttled'): number {
    const first = e.samples[0];
    const last = e.samples.at(-1);
    if (!first || !last || last.at === first.at) return 0;
    return ((last[key] - first[key]) * 1000) / (last.at - first.at);
  }

  return {
    active: () => activeEntries().map((e) => e.carrier),
    all: () => [...entries.map((e) => e.carrier), ...drainingCarriers],
    router: () => router,
    onReceipt(h) {
      handler = h;
      for (const e of entries) e.carrier.onReceipt(h);
      for (const c of drainingCarriers) c.onReceipt(h);
    },
    views() {
      const running: CarrierView[] = entries.map((e) => {
        const s = e.carrier.status();
        return {
          name: e.carrier.name,
          enabled: true,
          running: true,
          state: s.state,
          lastError: s.lastError ?? null,
          window: s.window,
          windowInUse: s.inFlight + s.queued,
          segmentsPerSecond: e.config.segmentsPerSecond ?? 100,
          submitsPerSecond: rate(e, 'submitted'),
          throttlesPerSecond: rate(e, 'throttled'),
          pricePaise: e.config.pricePaise ?? null,
        };
      });
      const drainingNames = new Set([...drainingCarriers].map((c) => c.name));
      const off: CarrierView[] = disabled.map((config) => ({
        name: config.name,
        enabled: false,
        running: drainingNames.has(config.name),
        state: 'disabled',
        lastError: null,
        window: config.window ?? 10,
        windowInUse: [...drainingCarriers]
          .filter((c) => c.name === config.name)
          .reduce((n, c) => n + c.status().inFlight + c.status().queued, 0),
        segmentsPerSecond: config.segmentsPerSecond ?? 100,
        submitsPerSecond: 0,
        throttlesPerSecond: 0,
        pricePaise: config.pricePaise ?? null,
      }));
      return [...running, ...off];
    },
    sync,
    async start() {
      stopped = false;
      for (const config of deps.fixed ?? []) entries.push(await bind(config, true));
      await sync();
      timer = setInterval(() => void sync(), deps.syncMs);
      timer.unref();
      sampler = setInterval(sample, SAMPLE_MS);
      sampler.unref();
      sample();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(sampler);
      await syncing;
      const all = entries.map((e) => e.carrier);
      entries = [];
      for (const c of all) await c.stop();
      await Promise.all([...draining]);
    },
  };
}
