import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  acquireWriteLock,
  adoptWriteLocks,
  releaseHeldBy,
  releaseWriteLock,
  shareWriteLocks,
  whenWriteLockFree,
  writeLockFor,
} from './write-lock.ts';

const file = () => join(mkdtempSync(join(tmpdir(), 'callflow-lock-')), 'callflow.db');

test('one lock per file in a process, shared with the threads it starts; none for :memory:', () => {
  const f = file();
  const lock = writeLockFor(f)!;
  assert.equal(writeLockFor(f), lock);
  assert.equal(writeLockFor(':memory:'), null);
  const shared = shareWriteLocks();
  assert.ok(Object.values(shared).includes(lock.buffer as SharedArrayBuffer));
  adoptWriteLocks(shared);
  assert.equal(writeLockFor(f)!.buffer, lock.buffer);
});

test('taken once by a thread: a second take in the same thread does not wait', () => {
  const lock = writeLockFor(file())!;
  assert.equal(acquireWriteLock(lock), true);
  assert.equal(acquireWriteLock(lock), false, 'held by this thread already');
  releaseWriteLock(lock);
  assert.equal(Atomics.load(lock, 0), 0);
});

test('a thread waiting for the lock gets it as soon as the holder lets go', async () => {
  const lock = writeLockFor(file())!;
  const holder = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const lock = new Int32Array(workerData);
     Atomics.store(lock, 0, 1000);
     parentPort.postMessage('held');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
     Atomics.store(lock, 0, 0);
     Atomics.notify(lock, 0, 1);`,
    { eval: true, workerData: lock.buffer },
  );
  await once(holder, 'message');
  const started = performance.now();
  assert.equal(acquireWriteLock(lock), true);
  const waited = performance.now() - started;
  releaseWriteLock(lock);
  await once(holder, 'exit');
  assert.ok(waited >= 100, `waited ${waited} ms for the holder`);
  assert.ok(waited < 1900, `woken when freed, not at the bound (${waited} ms)`);
});

test('a lock left by a thread that ended is freed by releaseHeldBy', () => {
  const lock = writeLockFor(file())!;
  Atomics.store(lock, 0, 42 + 1);
  releaseHeldBy(7);
  assert.equal(Atomics.load(lock, 0), 43, 'another thread’s lock stays');
  releaseHeldBy(42);
  assert.equal(Atomics.load(lock, 0), 0);
  assert.equal(acquireWriteLock(lock), true);
  releaseWriteLock(lock);
});

test('an asynchronous writer is told when another thread lets go, without blocking', async () => {
  const lock = writeLockFor(file())!;
  assert.equal(whenWriteLockFree(lock), null, 'free');
  assert.equal(acquireWriteLock(lock), true);
  assert.equal(whenWriteLockFree(lock), null, 'held by this thread');
  releaseWriteLock(lock);
  Atomics.store(lock, 0, 1000);
  const free = whenWriteLockFree(lock);
  assert.ok(free instanceof Promise);
  let settled = false;
  void free.then(() => {
    settled = true;
  });
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, 'still held');
  const other = new Worker(
    `const { workerData } = require('node:worker_threads');
     const lock = new Int32Array(workerData);
     Atomics.store(lock, 0, 0);
     Atomics.notify(lock, 0);`,
    { eval: true, workerData: lock.buffer },
  );
  const started = performance.now();
  await free;
  assert.ok(performance.now() - started < 1900, 'woken when freed, not at the bound');
  await once(other, 'exit');
});
