/**
 * The delivery side of a `callflow serve` process, put together from its config: the carriers
 * (the configured ones, or the built-in simulator on loopback), the delivery worker and the
 * status-callback dispatcher. It runs either on the server's event loop or in a worker thread of
 * its own (`src/delivery/thread.ts`); it is the same code in both.
 */

import { CarrierSimulator, createCarrier } from '../carriers/index.ts';
import type { SmppCarrierConfig } from '../carriers/smpp/config.ts';
import type { Config } from '../config.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';
import { type CallbackDispatcher, createCallbackDispatcher } from './callbacks.ts';
import { type CarrierPool, createCarrierPool } from './carrier-pool.ts';
import { loadInForce } from './carrier-state.ts';
import type { DeliveryLogger } from './config.ts';
import { createDeliveryWorker, type DeliveryWorker } from './worker.ts';

/** What the worker and the dispatcher report to the process's metrics. */
export type DeliveryMetrics = Pick<
  Metrics,
  'submitted' | 'receiptLatency' | 'delivery' | 'callbackFailed'
>;

export interface DeliveryStack {
  simulator: CarrierSimulator | null;
  /** The simulator's port on loopback, when it runs. */
  simulatorPort: number | null;
  /** The carriers and routes, kept in step with the store. */
  pool: CarrierPool;
  worker: DeliveryWorker;
  dispatcher: CallbackDispatcher;
  /** Drains: stops claiming, finishes or releases what was claimed, unbinds, stops callbacks. */
  stop(): Promise<void>;
}

interface Logger extends DeliveryLogger {
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Starts the carriers, the worker and the dispatcher against `store`. The worker registers its
 * receipt handler before the carriers bind, so no receipt that arrives on a fresh bind goes
 * unhandled.
 */
export async function startDelivery(deps: {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: DeliveryMetrics;
  clock: () => Date;
}): Promise<DeliveryStack> {
  const { config, store, logger, metrics, clock } = deps;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    stops.length = 0;
  };

  try {
    // Carriers and routes: the file's, with the changes made while running over them
    // (carrier-state.ts); the built-in simulator on loopback when there are none.
    const inForce = await loadInForce(store, config);
    let simulator: CarrierSimulator | null = null;
    let simulatorPort: number | null = null;
    const fixed: SmppCarrierConfig[] = [];
    if (inForce.carriers.length === 0) {
      const sim = new CarrierSimulator({
        ...config.simulator,
        outcomes: {
          delivered: config.simulator.deliveredRatio,
          undelivered: 1 - config.simulator.deliveredRatio,
        },
      });
      const { port } = await sim.start();
      simulator = sim;
      simulatorPort = port;
      stops.push(() => sim.stop());
      logger.info({ port }, 'carrier simulator listening on loopback');
      fixed.push({
        name: 'simulator',
        host: '127.0.0.1',
        port,
        systemId: config.simulator.systemId,
        password: config.simulator.password,
        window: 50,
        segmentsPerSecond: 5000,
      });
    }
    const pool = createCarrierPool({
      store,
      syncMs: config.delivery.carrierSyncMs,
      file: config,
      fixed,
      logger: logger.child({ part: 'carriers' }),
      // The carrier names itself on every line it logs (`carrier`); binding it here too would
      // write the key twice.
      createCarrier: (c) => createCarrier(c, { logger: logger.child({ part: 'carrier' }) }),
    });

    const worker = createDeliveryWorker({
      store,
      carriers: pool,
      clock,
      logger: logger.child({ part: 'delivery' }),
      metrics,
      config: config.delivery,
      promotional: config.promotional,
      sms: config.sms,
    });
    const dispatcher = createCallbackDispatcher({
      store,
      clock,
      logger: logger.child({ part: 'callbacks' }),
      metrics,
      config: config.callbacks,
    });
    await worker.start();
    await pool.start();
    // Stops run in reverse: the worker drains before the carriers unbind.
    stops.push(() => pool.stop());
    stops.push(() => worker.stop());
    await dispatcher.start();
    stops.push(() => dispatcher.stop());
    return { simulator, simulatorPort, pool, worker, dispatcher, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
