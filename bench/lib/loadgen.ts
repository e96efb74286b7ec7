/**
 * A small HTTP load generator for the pipeline benchmark: N requests with a fixed number in
 * flight, or at a fixed rate, over keep-alive connections (node:http with an Agent; global fetch costs more CPU per
 * request). It runs in a worker thread so that it does not share an event loop with the
 * in-process callflow server it measures; on a 2-core machine it still takes CPU from the
 * gateway under test, and the benchmark says so.
 *
 * A request is described by templates in which every `{i}` becomes the request's index and every
 * `{msisdn}` the recipient `msisdnBase + i`, so the worker can build thousands of distinct
 * requests (each to its own number) without a callback across threads.
 */

import { Worker } from 'node:worker_threads';

export interface LoadSpec {
  /** e.g. http://127.0.0.1:8080 */
  origin: string;
  method: 'GET' | 'POST';
  /** Path and query, a template (see above). */
  path: string;
  headers: Record<string, string>;
  /** Request body, a template (see above). */
  body: string | null;
  /** `{msisdn}` is this plus the index. */
  msisdnBase?: number;
  /** Index of the first request (so warm-up and measured requests differ). */
  first: number;
  count: number;
  concurrency: number;
  /** No new request is started this many ms after the first (bounds the run on a slow gateway). */
  maxMs?: number;
  /** Statuses that count as accepted. */
  okStatuses: number[];
  /**
   * Open loop: request i is due at start + i / ratePerSecond (at most `concurrency` in flight),
   * and its latency counts from when it was due, so a gateway that falls behind is charged for
   * the wait too. Without it, each lane sends its next request as soon as the last is answered.
   */
  ratePerSecond?: number;
}

export interface LoadResult {
  /** Epoch milliseconds (high resolution) of the first request and of the last response. */
  startedAt: number;
  finishedAt: number;
  /** Requests sent (fewer than `count` when `maxMs` cut the run short). */
  sent: number;
  accepted: number;
  /** Responses with another status, and transport errors. */
  refused: number;
  errors: number;
  /** Response statuses seen, with counts. */
  statuses: Record<string, number>;
  /** First refusal or error, to explain it. */
  sample: string | null;
  /** CPU time of the load generator's thread, from its start to its result, ms. */
  cpuMs: number;
  /** Latency of every accepted request, ms, sorted ascending. */
  latenciesMs: Float64Array;
}

/** Runs the load in a worker thread and resolves when every request has been answered. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const worker = new Worker(new URL('./loadgen-worker.ts', import.meta.url), { workerData: spec });
  return new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited with ${code}`));
    });
  });
}

/** The q-quantile (0..1) of ascending values, nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Accepted requests per second, from the first request to the last response. */
export function acceptRate(result: LoadResult): number {
  return (result.accepted * 1000) / (result.finishedAt - result.startedAt);
}
