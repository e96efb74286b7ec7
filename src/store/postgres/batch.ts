/**
 * Group commit for PostgreSQL: the calls of one kind that arrive in the same turn of the event
 * loop, or while the previous batch of that kind is in the database, are written together (few
 * round trips, one commit and so one WAL flush for all of them) instead of one transaction each.
 *
 * Per kind at most one batch is in flight; the calls that arrive meanwhile form the next one,
 * sent as soon as it returns. No timer: a lone call waits only for the end of the current turn.
 *
 * Each caller gets exactly its own answer. Two calls that share a key (a message, a carrier ID,
 * an idempotency key) never go in the same batch: the later one waits for the next, so calls on
 * the same row still run one after the other, in their order. A batcher can also make its calls
 * wait for those of another batcher that hold one of their keys (a receipt for a part whose
 * submit is being recorded). A batch that the database refused wrote nothing, and its calls are
 * then run one by one, so one bad call cannot fail the others; a batch whose commit is in doubt
 * (the connection broke during COMMIT) fails every call with that error, as one call alone
 * would have.
 */

import pg from 'pg';
import type { PgDb, Queryable } from './db.ts';

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** Thrown (inside a batch) to roll it back and run it again: it lost a race it can see. */
export class RetryBatch extends Error {}

/** The database answered a COMMIT with something other than success or a refusal. */
class CommitInDoubt extends Error {}

const RETRIES = 3;

/** The batchers of a store, drained before it closes. */
export type Batches = { drain(): Promise<void> }[];

export interface Batcher<I, O> {
  (item: I): Promise<O>;
  /** Resolves once nothing is queued or in flight. */
  drain(): Promise<void>;
  /** Whether a call queued or in flight holds this key. */
  holds(key: string): boolean;
  /** Calls `fn` whenever a batch (or a lone call) has ended. */
  onEnd(fn: () => void): void;
}

export function createBatcher<I, O>(opts: {
  /** Largest batch. */
  max: number;
  /** The keys of an item: no two items of a batch share one. */
  keys(item: I): string[];
  /**
   * Writes a batch (committed when it resolves); one outcome per item, in order. May throw
   * RetryBatch (run again, up to a few times) or any error (then each item runs alone).
   */
  many(items: I[]): Promise<Outcome<O>[]>;
  /** One item alone, in its own transaction, exactly as without batching. */
  one(item: I): Promise<O>;
  /** An item that shares a key with a call of this other batcher waits for that call to end. */
  after?: Pick<Batcher<never, unknown>, 'holds' | 'onEnd'>;
}): Batcher<I, O> {
  type Job = { item: I; keys: string[]; resolve(value: O): void; reject(error: unknown): void };
  let queue: Job[] = [];
  let scheduled = false;
  let running: Promise<void> | null = null;
  /** How many calls queued or in flight hold each key. */
  const held = new Map<string, number>();
  const listeners: (() => void)[] = [];

  const schedule = () => {
    if (scheduled || running) return;
    scheduled = true;
    setImmediate(flush);
  };
  opts.after?.onEnd(() => {
    if (queue.length > 0) schedule();
  });

  function take(): Job[] {
    const batch: Job[] = [];
    const rest: Job[] = [];
    const taken = new Set<string>();
    for (const job of queue) {
      const free =
        batch.length < opts.max && job.keys.every((k) => !taken.has(k) && !opts.after?.holds(k));
      if (free) batch.push(job);
      else rest.push(job);
      // A job left for later also holds its keys, so that no later job with one of them passes it.
      for (const k of job.keys) taken.add(k);
    }
    queue = rest;
    return batch;
  }

  function settle(job: Job, outcome: Outcome<O>): void {
    for (const k of job.keys) {
      const n = held.get(k)! - 1;
      if (n === 0) held.delete(k);
      else held.set(k, n);
    }
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  }

  async function runAlone(jobs: Job[]): Promise<void> {
    for (const job of jobs) {
      try {
        settle(job, { ok: true, value: await opts.one(job.item) });
      } catch (error) {
        settle(job, { ok: false, error });
      }
    }
  }

  async function run(jobs: Job[]): Promise<void> {
    if (jobs.length === 1) return runAlone(jobs);
    const items = jobs.map((j) => j.item);
    for (let attempt = 1; ; attempt++) {
      let outcomes: Outcome<O>[];
      try {
        outcomes = await opts.many(items);
      } catch (error) {
        if (error instanceof RetryBatch && attempt < RETRIES) continue;
        if (error instanceof CommitInDoubt) {
          for (const job of jobs) settle(job, { ok: false, error: error.cause });
          return;
        }
        return runAlone(jobs);
      }
      jobs.forEach((job, i) => {
        settle(job, outcomes[i]!);
      });
      return;
    }
  }

  function flush(): void {
    scheduled = false;
    const jobs = take();
    if (jobs.length === 0) return;
    running = run(jobs).finally(() => {
      running = null;
      if (queue.length > 0) schedule();
      for (const fn of listeners) fn();
    });
  }

  const batcher = (item: I) =>
    new Promise<O>((resolve, reject) => {
      const keys = opts.keys(item);
      for (const k of keys) held.set(k, (held.get(k) ?? 0) + 1);
      queue.push({ item, keys, resolve, reject });
      schedule();
    });
  batcher.drain = async () => {
    while (running || queue.length > 0) {
      if (running) await running;
      else await new Promise((r) => setImmediate(r));
    }
  };
  batcher.holds = (key: string) => held.has(key);
  batcher.onEnd = (fn: () => void) => {
    listeners.push(fn);
  };
  return batcher;
}

/**
 * A transaction for a batch: like db.tx, except that a COMMIT that fails without the database's
 * answer (so may or may not have committed) throws CommitInDoubt, which fails the whole batch
 * instead of running its calls again one by one.
 */
export async function batchTx<T>(db: PgDb, fn: (q: Queryable) => Promise<T>): Promise<T> {
  let committing = false;
  try {
    return await db.tx(async (q) => {
      const result = await fn(q);
      committing = true;
      return result;
    });
  } catch (error) {
    if (committing && !(error instanceof pg.DatabaseError)) {
      throw new CommitInDoubt('the commit of a batch may or may not have happened', {
        cause: error,
      });
    }
    throw error;
  }
}

/** For a batch of one statement outside a transaction: no answer means no knowing. */
export async function inDoubtUnlessRefused<T>(statement: Promise<T>): Promise<T> {
  try {
    return await statement;
  } catch (error) {
    if (error instanceof pg.DatabaseError) throw error;
    throw new CommitInDoubt('a batch statement may or may not have been written', {
      cause: error,
    });
  }
}
