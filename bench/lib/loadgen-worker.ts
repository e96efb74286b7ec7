/**
 * The worker-thread side of loadgen.ts: sends `count` requests, keeping `concurrency` in flight,
 * and posts back one LoadResult.
 */

import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { LoadResult, LoadSpec } from './loadgen.ts';

const spec = workerData as LoadSpec;
const url = new URL(spec.origin);
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const okStatuses = new Set(spec.okStatuses);
const now = () => performance.timeOrigin + performance.now();

const latencies = new Float64Array(spec.count);
let accepted = 0;
let refused = 0;
let errors = 0;
let sample: string | null = null;
const statuses: Record<string, number> = {};
let next = 0;

function fill(template: string, i: number): string {
  return template
    .replaceAll('{i}', String(i))
    .replaceAll('{msisdn}', String((spec.msisdnBase ?? 0) + i));
}

function one(index: number, dueAt?: number): Promise<void> {
  const i = spec.first + index;
  const body = spec.body === null ? null : Buffer.from(fill(spec.body, i));
  const headers: Record<string, string | number> = { ...spec.headers };
  if (body !== null) headers['content-length'] = body.length;
  const started = dueAt ?? now();
  return new Promise<void>((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: spec.method,
        path: fill(spec.path, i),
        headers,
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (okStatuses.has(status)) {
            latencies[accepted++] = now() - started;
          } else {
            refused++;
            sample ??= `${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`;
          }
          resolve();
        });
        res.on('error', (error) => {
          errors++;
          sample ??= String(error);
          resolve();
        });
      },
    );
    req.on('error', (error) => {
      errors++;
      sample ??= String(error);
      resolve();
    });
    if (body !== null) req.end(body);
    else req.end();
  });
}

const startedAt = now();
const stopAt = startedAt + (spec.maxMs ?? Number.POSITIVE_INFINITY);

const interval = spec.ratePerSecond === undefined ? 0 : 1000 / spec.ratePerSecond;

async function lane(): Promise<void> {
  if (interval === 0) {
    while (next < spec.count && now() < stopAt) await one(next++);
    return;
  }
  while (next < spec.count) {
    const dueAt = startedAt + next * interval;
    if (dueAt >= stopAt) return;
    const index = next++;
    const wait = dueAt - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await one(index, dueAt);
  }
}

await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.count) }, lane));
const finishedAt = now();
agent.destroy();
const sorted = latencies.slice(0, accepted).sort();
const cpu = process.threadCpuUsage();
const result: LoadResult = {
  startedAt,
  finishedAt,
  sent: next,
  accepted,
  refused,
  errors,
  statuses,
  sample,
  cpuMs: (cpu.user + cpu.system) / 1000,
  latenciesMs: sorted,
};
parentPort!.postMessage(result, [sorted.buffer]);
