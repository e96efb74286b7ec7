/** The BenchResult rows of the pipeline benchmark, from callflow's and Kannel's measurements. */

import type { BenchResult } from '../types.ts';

export interface Measured {
  sent: number;
  accepted: number;
  acceptPerSecond: number;
  p50: number;
  p99: number;
  delivered: number;
  /** Messages delivered per second, first request to last delivery. */
  deliveredPerSecond: number;
  /** CPU of the gateway itself (callflow's process less the bench's threads; Kannel's two processes), ms per message. */
  cpuMsPerMessage: number;
  note: string;
}

export type Outcome = { ok: true; m: Measured } | { ok: false; why: string };

export interface RunShape {
  n: number;
  concurrency: number;
  window: number;
  pollMs: number;
  /** Targets as ratios to the peer in the same run. */
  targetAcceptRatio: number;
  targetDeliveredRatio: number;
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';

/** Rows for one of callflow's stores against the one Kannel run. */
export function rowsFor(
  store: 'SQLite' | 'PostgreSQL',
  ours: Outcome,
  peer: Outcome,
  peerName: string,
  shape: RunShape,
): BenchResult[] {
  const o = ours.ok ? ours.m : null;
  const p = peer.ok ? peer.m : null;
  const val = (m: Measured | null, pick: (m: Measured) => number) => (m ? pick(m) : Number.NaN);
  const row = (
    name: string,
    unit: string,
    pick: (m: Measured) => number,
    lowerIsBetter: boolean,
    notes: string,
  ): BenchResult => {
    const a = val(o, pick);
    const b = val(p, pick);
    return {
      name: `${name} (${store})`,
      ours: a,
      peer: b,
      peerName,
      unit,
      ratio: lowerIsBetter ? b / a : a / b,
      notes,
    };
  };
  /** The target as a ratio to the peer (ours / peer for rates, peer / ours for latencies). */
  const target = (pick: (m: Measured) => number, goal: number, lowerIsBetter = false) => {
    const a = val(o, pick);
    const b = val(p, pick);
    if (!Number.isFinite(a) || !Number.isFinite(b)) return '';
    const ratio = lowerIsBetter ? b / a : a / b;
    const what = lowerIsBetter && goal === 1 ? 'below the peer' : `≥${goal}× the peer`;
    return `; target ${what}: ${ratio >= goal && (!lowerIsBetter || b > a) ? 'met' : 'MISSED'}`;
  };
  const load = `N=${fmt(shape.n)}, ${shape.concurrency} in flight`;
  const rows = [
    row(
      'SMS accept rate',
      'requests/s',
      (m) => m.acceptPerSecond,
      false,
      `${load}${target((m) => m.acceptPerSecond, shape.targetAcceptRatio)}`,
    ),
    row(
      'end-to-end delivered/s',
      'messages/s',
      (m) => m.deliveredPerSecond,
      false,
      `first request to last delivered, window ${shape.window}${target((m) => m.deliveredPerSecond, shape.targetDeliveredRatio)}; ` +
        `callflow: its store, polled every ${shape.pollMs} ms; Kannel: its dlr-url callbacks`,
    ),
    row('accept p50 latency', 'ms', (m) => m.p50, true, load),
    row('accept p99 latency', 'ms', (m) => m.p99, true, `${load}${target((m) => m.p99, 1, true)}`),
    row(
      'gateway CPU per message',
      'ms',
      (m) => m.cpuMsPerMessage,
      true,
      'callflow: its process less the load generator and simulator threads; Kannel: bearerbox + smsbox' +
        (store === 'PostgreSQL' ? '; excludes the PostgreSQL server' : '') +
        '; less moved than the rates by other load on the machine',
    ),
  ];
  const problems = [
    o?.note && `callflow: ${o.note}`,
    p?.note && `Kannel: ${p.note}`,
    !ours.ok && ours.why,
    !peer.ok && peer.why,
  ].filter(Boolean);
  if (problems.length > 0) for (const r of rows) r.notes = `${r.notes}; ${problems.join('; ')}`;
  return rows;
}
