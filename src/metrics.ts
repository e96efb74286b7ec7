/**
 * Prometheus metrics for `/metrics`, in a registry of their own (never prom-client's global one,
 * so several apps in one process, as in tests, do not collide).
 *
 * Two kinds:
 * - gauges read at scrape time from the store (messages by status, outbox depth and the age of the
 *   oldest due message, callbacks waiting or given up) and from this process's carriers (bind
 *   state, parts in flight, parts submitted and throttled since start);
 * - counters and a histogram fed by events through this object: `submitted(parts)` from the
 *   delivery worker, `receiptLatency(seconds)` and `delivery(carrier, status, seconds)` when a
 *   receipt makes a message final (delivery rate and time to delivery by carrier),
 *   `callbackFailed()` per failed callback attempt, `callCompleted(flowId)` from the flow runtime.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthRefusal, AuthSurface } from './auth-throttle.ts';
import type { CarrierStatus } from './carriers/types.ts';
import { MESSAGE_STATUSES, type MessageStatus, type Store } from './store/types.ts';

export interface MetricsSource {
  store: Store;
  /** This process's carriers (none in a process that runs no delivery). */
  carriers?: () => CarrierStatus[];
  /** Brings carriers() and the fed counters up to date before a scrape (a delivery thread). */
  sync?: () => Promise<void>;
  clock?: () => Date;
}

export interface Metrics {
  readonly registry: Registry;
  /** Parts accepted by a carrier (submit_sm_resp OK). */
  submitted(parts: number, carrier?: string): void;
  /** Time from submit to the final delivery receipt, seconds. */
  receiptLatency(seconds: number): void;
  /** A message of this carrier ended (delivered or undelivered), `seconds` after its submit. */
  delivery(carrier: string, status: MessageStatus, seconds: number): void;
  /** One failed status-callback attempt. */
  callbackFailed(): void;
  /** A call finished in a flow. */
  callCompleted(flowId: string): void;
  /** A failed authentication refused by the throttle (src/auth-throttle.ts). */
  authRefused(surface: AuthSurface): void;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

const CARRIER_STATES = ['connecting', 'bound', 'disconnected', 'closed'] as const;

/** Receipt latency buckets, seconds: most receipts come within seconds, some after hours. */
export const RECEIPT_LATENCY_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 7200];

export function createMetrics(source: MetricsSource): Metrics {
  const registry = new Registry();
  const clock = source.clock ?? (() => new Date());
  const carriers = source.carriers ?? (() => []);

  const storeUp = new Gauge({
    name: 'callflow_store_up',
    help: 'Whether the store answered the last scrape (1) or not (0)',
    registers: [registry],
  });
  let stats: Awaited<ReturnType<Store['messages']['stats']>> | null = null;
  let callbackStats: { pending: number; failed: number } | null = null;

  // One store round trip per scrape (in scrape(), before the registry is read) feeds the gauges
  // below: prom-client collects every metric at once, so they cannot wait for each other.
  async function refresh(): Promise<void> {
    try {
      [stats, callbackStats] = await Promise.all([
        source.store.messages.stats(),
        source.store.callbacks.stats(),
      ]);
      storeUp.set(1);
    } catch {
      stats = null;
      callbackStats = null;
      storeUp.set(0);
    }
  }

  new Gauge({
    name: 'callflow_messages',
    help: 'Messages by status (all accounts)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      if (stats) for (const s of MESSAGE_STATUSES) this.set({ status: s }, stats.byStatus[s]);
    },
  });
  new Gauge({
    name: 'callflow_outbox_due',
    help: 'Queued messages due for a worker now (queue depth)',
    registers: [registry],
    collect() {
      if (stats) this.set(stats.due);
    },
  });
  new Gauge({
    name: 'callflow_outbox_oldest_due_age_seconds',
    help: 'How long the oldest due message has waited for a worker; 0 when none is due',
    registers: [registry],
    collect() {
      if (!stats) return;
      const oldest = stats.oldestDueAt;
      this.set(oldest === null ? 0 : Math.max(0, (clock().getTime() - oldest.getTime()) / 1000));
    },
  });
  new Gauge({
    name: 'callflow_callbacks',
    help: 'Status callbacks waiting to be sent (pending) or given up after every attempt (failed)',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      if (!callbackStats) return;
      this.set({ status: 'pending' }, callbackStats.pending);
      this.set({ status: 'failed' }, callbackStats.failed);
    },
  });

  new Gauge({
    name: 'callflow_carrier_state',
    help: "Carrier connection state: 1 for the bind's current state",
    labelNames: ['carrier', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of carriers()) {
        for (const state of CARRIER_STATES)
          this.set({ carrier: c.name, state }, c.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'callflow_carrier_in_flight',
    help: 'Parts sent to the carrier and waiting for submit_sm_resp',
    labelNames: ['carrier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of carriers()) this.set({ carrier: c.name }, c.inFlight);
    },
  });
  new Counter({
    name: 'callflow_carrier_parts_submitted_total',
    help: 'Parts the carrier accepted since this process started',
    labelNames: ['carrier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of carriers()) this.inc({ carrier: c.name }, c.submitted);
    },
  });
  new Counter({
    name: 'callflow_carrier_throttled_total',
    help: 'Parts the carrier answered ESME_RTHROTTLED or ESME_RMSGQFUL since this process started',
    labelNames: ['carrier'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of carriers()) this.inc({ carrier: c.name }, c.throttled);
    },
  });

  const submits = new Counter({
    name: 'callflow_submits_total',
    help: 'Parts submitted and accepted by a carrier; rate() gives submits per second',
    labelNames: ['carrier'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'callflow_delivery_receipt_latency_seconds',
    help: 'Time from submit to the final delivery receipt',
    buckets: RECEIPT_LATENCY_BUCKETS,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'callflow_carrier_deliveries_total',
    help: 'Messages ended by a final receipt, by carrier and outcome (delivered or undelivered); delivered / all gives the delivery rate',
    labelNames: ['carrier', 'status'],
    registers: [registry],
  });
  const deliverySeconds = new Histogram({
    name: 'callflow_carrier_delivery_seconds',
    help: 'Time from submit to the delivered receipt, by carrier (time to delivery)',
    labelNames: ['carrier'],
    buckets: RECEIPT_LATENCY_BUCKETS,
    registers: [registry],
  });
  const callbackFailures = new Counter({
    name: 'callflow_callback_failures_total',
    help: 'Status callback attempts that failed (a non-2xx answer, a timeout, a refused connection)',
    registers: [registry],
  });
  const authRefusals = new Counter({
    name: 'callflow_auth_throttled_total',
    help: 'Failed authentications refused by the per-address throttle (429 AUTH_THROTTLED), by surface',
    labelNames: ['surface'],
    registers: [registry],
  });
  const calls = new Counter({
    name: 'callflow_calls_total',
    help: 'Calls completed, by flow',
    labelNames: ['flow'],
    registers: [registry],
  });

  return {
    registry,
    submitted(parts, carrier = '') {
      if (parts > 0) submits.inc({ carrier }, parts);
    },
    receiptLatency(seconds) {
      if (Number.isFinite(seconds) && seconds >= 0) latency.observe(seconds);
    },
    delivery(carrier, status, seconds) {
      if (status !== 'delivered' && status !== 'undelivered') return;
      deliveries.inc({ carrier, status });
      if (status === 'delivered' && Number.isFinite(seconds) && seconds >= 0)
        deliverySeconds.observe({ carrier }, seconds);
    },
    callbackFailed() {
      callbackFailures.inc();
    },
    callCompleted(flowId) {
      calls.inc({ flow: flowId });
    },
    authRefused(surface) {
      authRefusals.inc({ surface });
    },
    async scrape() {
      await Promise.all([refresh(), source.sync?.()]);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * What to do with a refused authentication: count it, and log the first refusal of an address in
 * a run of them (a flood of wrong credentials must not flood the log too).
 */
export function reportAuthRefusal(sinks: {
  metrics: Pick<Metrics, 'authRefused'>;
  log: { warn(details: object, message: string): void };
}): (refusal: AuthRefusal) => void {
  return (refusal) => {
    sinks.metrics.authRefused(refusal.surface);
    if (refusal.first) {
      sinks.log.warn(
        {
          surface: refusal.surface,
          address: refusal.address,
          retryAfterSeconds: refusal.retryAfterSeconds,
        },
        'too many failed authentications from one address: refusing its further failures',
      );
    }
  };
}
