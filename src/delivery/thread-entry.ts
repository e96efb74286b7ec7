/**
 * The delivery thread's entry (see src/delivery/thread.ts): opens its own store connection and
 * runs the delivery stack in it, reporting to the server's thread.
 */

import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { openStore } from '../store/index.ts';
import { adoptWriteLocks } from '../store/sqlite/write-lock.ts';
import type { MessageStatus } from '../store/types.ts';
import { startDelivery } from './stack.ts';
import {
  type DeliveryReport,
  REPORT_MS,
  type ThreadData,
  type ToMain,
  type ToThread,
} from './thread.ts';

const port = parentPort!;
const { config, logLevel, sqliteLocks } = workerData as ThreadData;
adoptWriteLocks(sqliteLocks);
const post = (message: ToMain) => port.postMessage(message);

const logger = pino(
  { level: logLevel, name: 'callflow' },
  { write: (line: string) => post({ type: 'log', line }) },
);
const clock = () => new Date();

const submitted = new Map<string, number>();
let receiptLatencies: number[] = [];
let deliveries: DeliveryReport['deliveries'] = [];
let callbackFailures = 0;
const metrics = {
  submitted(parts: number, carrier = '') {
    submitted.set(carrier, (submitted.get(carrier) ?? 0) + parts);
  },
  receiptLatency(seconds: number) {
    receiptLatencies.push(seconds);
  },
  delivery(carrier: string, status: MessageStatus, seconds: number) {
    deliveries.push([carrier, status, seconds]);
  },
  callbackFailed() {
    callbackFailures++;
  },
};

const store = await openStore({
  ...(config.databaseUrl !== undefined
    ? {
        databaseUrl: config.databaseUrl,
        ...(config.databaseSchema !== undefined && { schema: config.databaseSchema }),
      }
    : { dataDir: config.dataDir }),
  // The server's thread migrated the store before starting this one.
  migrate: false,
});
const stack = await startDelivery({ config, store, logger, metrics, clock });

function report(id?: number): void {
  const r: DeliveryReport = {
    carriers: stack.pool.all().map((c) => c.status()),
    active: stack.pool.active().map((c) => c.status()),
    views: stack.pool.views(),
    submitted: [...submitted],
    receiptLatencies,
    deliveries,
    callbackFailures,
  };
  submitted.clear();
  receiptLatencies = [];
  deliveries = [];
  callbackFailures = 0;
  post({ type: 'report', report: r, ...(id !== undefined && { id }) });
}

const timer = setInterval(report, REPORT_MS);
let stopping = false;
port.on('message', async (message: ToThread) => {
  if (message.type === 'sync') report(message.id);
  else if (message.type === 'sync-carriers') {
    try {
      await stack.pool.sync();
    } catch (error) {
      logger.error({ err: error }, 'could not apply the carriers and routes in the store');
    }
    report(message.id);
  } else if (message.type === 'stop' && !stopping) {
    stopping = true;
    clearInterval(timer);
    await stack.stop();
    await store.close();
    report();
    post({ type: 'stopped' });
    port.close();
  }
});
post({ type: 'started', simulatorPort: stack.simulatorPort });
report();
