/**
 * The claim loop shared by the outbox worker and the callback dispatcher: claim while there is
 * room, run what was claimed concurrently, sleep until woken (a notification, a job finishing)
 * or the poll interval, and on stop finish the loop and wait, boundedly, for the jobs in flight.
 *
 * To claim in batches rather than one row at a time, it waits while less than a quarter of its
 * capacity is free and jobs are still running.
 */

export interface Pump {
  start(): void;
  /** Stops claiming and waits up to `drainMs` for running jobs; true when they all finished. */
  stop(drainMs: number): Promise<boolean>;
  /** Claims once and waits for what it claimed (tests). Returns how many were claimed. */
  runOnce(): Promise<number>;
  wake(): void;
  /** Runs a claimed job; its failure goes to onError. */
  track(job: Promise<void>): void;
  readonly running: boolean;
  readonly inFlight: number;
}

export function createPump(opts: {
  /** How many more jobs may be claimed now. */
  room(): number;
  /** Claims up to `limit` jobs and starts each with `track`; returns how many it claimed. */
  claim(limit: number): Promise<number>;
  pollMs: number;
  onError(error: unknown): void;
}): Pump {
  let running = false;
  let loop: Promise<void> | null = null;
  let woken = false;
  let wakeSleeper: (() => void) | null = null;
  const inFlight = new Set<Promise<void>>();

  const wake = () => {
    woken = true;
    wakeSleeper?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        wakeSleeper = null;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeSleeper = done;
    });

  async function run(): Promise<void> {
    while (running) {
      const limit = opts.room();
      const worthIt = inFlight.size === 0 || limit * 4 >= limit + inFlight.size;
      if (limit <= 0 || !worthIt) {
        await sleep(opts.pollMs);
        continue;
      }
      let claimed = 0;
      try {
        claimed = await opts.claim(limit);
      } catch (error) {
        opts.onError(error);
        await sleep(opts.pollMs);
        continue;
      }
      if (claimed < limit) await sleep(opts.pollMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop(drainMs) {
      running = false;
      wake();
      await loop;
      loop = null;
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.all(inFlight).then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), drainMs);
        }),
      ]);
      clearTimeout(timer);
      return drained;
    },
    async runOnce() {
      const limit = opts.room();
      const claimed = limit > 0 ? await opts.claim(limit) : 0;
      await Promise.all(inFlight);
      return claimed;
    },
    wake,
    track(job) {
      const tracked: Promise<void> = job.catch(opts.onError).finally(() => {
        inFlight.delete(tracked);
        wake();
      });
      inFlight.add(tracked);
    },
    get running() {
      return running;
    },
    get inFlight() {
      return inFlight.size;
    },
  };
}
