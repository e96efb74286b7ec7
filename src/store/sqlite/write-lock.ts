/**
 * A write lock shared by the threads of one process that open the same SQLite file (the server's
 * thread and its delivery thread). SQLite lets one connection write at a time; a connection that
 * finds the lock taken sleeps in its busy handler (1, 2, 5, 10 … ms) and tries again, so two busy
 * threads on one file lose milliseconds per commit to sleeping past the moment the lock is free.
 * Here a thread that is about to BEGIN IMMEDIATE takes this lock first, waiting on it with
 * Atomics.wait, and the thread that COMMITs wakes it at once.
 *
 * The lock only orders the threads of this process: SQLite's own lock still decides, and other
 * processes on the file (a CLI import) meet only that one. So a wait here is bounded (WAIT_MS):
 * past it the thread goes on to SQLite's lock as before. A thread that dies holding it is found
 * by the thread that started it (releaseHeldBy), and until then costs waiters WAIT_MS, never a
 * deadlock or a wrong write.
 */

import { resolve } from 'node:path';
import { threadId } from 'node:worker_threads';

/** Longest wait for another thread's transaction before leaving it to SQLite's lock, ms. */
const WAIT_MS = 2000;

const locks = new Map<string, Int32Array>();
const keyOf = (file: string) => resolve(file);

/** This process's lock for `file` (created on first use), or null for ':memory:'. */
export function writeLockFor(file: string): Int32Array | null {
  if (file === ':memory:') return null;
  const key = keyOf(file);
  let lock = locks.get(key);
  if (lock === undefined) {
    lock = new Int32Array(new SharedArrayBuffer(4));
    locks.set(key, lock);
  }
  return lock;
}

/** The locks of this thread, to hand to a thread it starts (through workerData). */
export function shareWriteLocks(): Record<string, SharedArrayBuffer> {
  return Object.fromEntries(
    [...locks].map(([file, lock]) => [file, lock.buffer as SharedArrayBuffer]),
  );
}

/** Uses the locks of the thread that started this one; call before opening a store. */
export function adoptWriteLocks(shared: Record<string, SharedArrayBuffer>): void {
  for (const [file, buffer] of Object.entries(shared)) locks.set(file, new Int32Array(buffer));
}

const me = threadId + 1;

/** Takes the lock; false when it was not taken (held too long, or by this thread already). */
export function acquireWriteLock(lock: Int32Array): boolean {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const holder = Atomics.compareExchange(lock, 0, 0, me);
    if (holder === 0) return true;
    if (holder === me) return false;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    Atomics.wait(lock, 0, holder, left);
  }
}

/**
 * When another thread holds the lock: a promise that settles once it lets go (or after WAIT_MS),
 * so an asynchronous writer (group commit) waits without blocking its event loop and gathers
 * more work into its next commit meanwhile. Null when the lock is free or this thread's.
 */
export function whenWriteLockFree(lock: Int32Array): Promise<unknown> | null {
  const holder = Atomics.load(lock, 0);
  if (holder === 0 || holder === me) return null;
  const waiting = Atomics.waitAsync(lock, 0, holder, WAIT_MS);
  return waiting.async ? waiting.value : null;
}

export function releaseWriteLock(lock: Int32Array): void {
  if (Atomics.compareExchange(lock, 0, me, 0) === me) Atomics.notify(lock, 0, 1);
}

/** Frees every lock held by the thread `deadThreadId`, which has ended. */
export function releaseHeldBy(deadThreadId: number): void {
  for (const lock of locks.values()) {
    if (Atomics.compareExchange(lock, 0, deadThreadId + 1, 0) === deadThreadId + 1)
      Atomics.notify(lock, 0);
  }
}
