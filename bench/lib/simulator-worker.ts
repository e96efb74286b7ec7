/** The worker-thread side of simulator-thread.ts: one CarrierSimulator, driven by messages. */

import { parentPort, workerData } from 'node:worker_threads';
import { CarrierSimulator, type SimulatorOptions } from '../../src/carriers/index.ts';

const simulator = new CarrierSimulator(workerData as SimulatorOptions);
parentPort!.on('message', async (msg: { id: number; op: string; arg?: unknown }) => {
  try {
    let value: unknown;
    if (msg.op === 'start') value = await simulator.start();
    else if (msg.op === 'stats') value = simulator.stats();
    else if (msg.op === 'cpu') {
      const { user, system } = process.threadCpuUsage();
      value = (user + system) / 1000;
    } else if (msg.op === 'submit') {
      // received() copies every record; fine for the one look-up a run makes.
      value = simulator.received()[msg.arg as number];
    } else if (msg.op === 'stop') {
      await simulator.stop();
    } else throw new Error(`unknown op ${msg.op}`);
    parentPort!.postMessage({ id: msg.id, value });
  } catch (error) {
    parentPort!.postMessage({ id: msg.id, error: String(error) });
  }
});
