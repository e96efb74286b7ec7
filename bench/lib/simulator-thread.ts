/**
 * callflow's carrier simulator (an SMPP server on loopback) in a worker thread: the SMSC both
 * gateways talk to in the pipeline benchmark. In its own thread it takes no time from the event
 * loop of the in-process callflow server, just as it takes none from Kannel's processes.
 */

import { Worker } from 'node:worker_threads';
import type {
  SimulatedSubmit,
  SimulatorOptions,
  SimulatorStats,
} from '../../src/carriers/index.ts';

export interface SimulatorThread {
  host: string;
  port: number;
  stats(): Promise<SimulatorStats>;
  /** CPU time of the simulator's thread so far, ms. */
  cpuMs(): Promise<number>;
  /** The submit received at `index` (0 = first), as the simulator recorded it. */
  submit(index: number): Promise<SimulatedSubmit | undefined>;
  stop(): Promise<void>;
}

type Reply = { id: number; value?: unknown; error?: string };

export async function startSimulatorThread(options: SimulatorOptions): Promise<SimulatorThread> {
  const worker = new Worker(new URL('./simulator-worker.ts', import.meta.url), {
    workerData: options,
  });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 0;
  let failed: Error | null = null;
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) p?.reject(new Error(reply.error));
    else p?.resolve(reply.value);
  });
  worker.on('error', (error) => {
    failed = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  });
  const call = <T>(op: string, arg?: unknown): Promise<T> => {
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, op, arg });
    });
  };
  const { host, port } = await call<{ host: string; port: number }>('start');
  return {
    host,
    port,
    stats: () => call<SimulatorStats>('stats'),
    cpuMs: () => call<number>('cpu'),
    submit: (index) => call<SimulatedSubmit | undefined>('submit', index),
    async stop() {
      await call('stop').catch(() => {});
      await worker.terminate();
    },
  };
}
