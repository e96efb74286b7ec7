/**
 * Time for calls. A simulated call runs either on a virtual clock (tests: time moves only when
 * the call waits, and jumps instead of waiting, so a 60-second conversation takes no real time)
 * or on the real clock (demos and the Builder's test panel).
 */

import { setTimeout as sleepFor, setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface Clock {
  now(): Date;
  /** Waits `ms` milliseconds of this clock's time; rejects with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => new Date(),
  sleep: async (ms, signal) => {
    await sleepFor(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
};

/**
 * A clock whose time advances only through `sleep` and `advance`. `sleep` still yields to the
 * event loop once, so work started concurrently (an SMS being written to the outbox, an async
 * Passthru) gets to run, as it would while a real call waits.
 */
export class VirtualClock implements Clock {
  #nowMs: number;

  constructor(start: Date = new Date()) {
    this.#nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  advance(ms: number): void {
    if (ms > 0) this.#nowMs += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    await yieldToEventLoop();
    signal?.throwIfAborted();
    this.advance(ms);
  }
}
