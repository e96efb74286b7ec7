/**
 * The SQLite connection: one DatabaseSync per store, WAL, synchronous=NORMAL (a commit survives a
 * process crash; a power cut may lose the last few), a busy timeout so a second process waits
 * for the write lock instead of failing, foreign keys on. Statements are prepared once and kept.
 *
 * node:sqlite is synchronous, so a transaction is a synchronous function: nothing else in this
 * process can run inside it, and BEGIN IMMEDIATE takes the write lock up front, so a second
 * process never sees a half-done change nor deadlocks upgrading a read lock.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { loadMigrations, pendingMigrations } from '../migrations.ts';
import type { Row } from '../rows.ts';
import {
  acquireWriteLock,
  releaseWriteLock,
  whenWriteLockFree,
  writeLockFor,
} from './write-lock.ts';

export interface SqliteDb {
  readonly file: string;
  /** Milliseconds since the epoch, from the store's clock. */
  now(): number;
  all(sql: string, ...params: SQLInputValue[]): Row[];
  get(sql: string, ...params: SQLInputValue[]): Row | undefined;
  run(sql: string, ...params: SQLInputValue[]): number;
  tx<T>(fn: () => T): T;
  /**
   * Like tx, but shares one transaction (one commit) with the other group() calls made in the
   * same turn of the event loop (group commit). Resolves after the commit; a fn that throws is
   * rolled back alone (a savepoint each) and only its promise rejects.
   */
  group<T>(fn: () => T): Promise<T>;
  exec(sql: string): void;
  close(): void;
}

const BUSY_TIMEOUT_MS = 10_000;

export function openSqlite(file: string, clock: () => Date): SqliteDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file, {
    timeout: BUSY_TIMEOUT_MS,
    enableForeignKeyConstraints: true,
  });
  db.exec(`PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};
    PRAGMA foreign_keys = ON;
    PRAGMA temp_store = MEMORY;`);

  const statements = new Map<string, StatementSync>();
  const stmt = (sql: string): StatementSync => {
    let s = statements.get(sql);
    if (s === undefined) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  let depth = 0;
  // Threads of this process that write the same file hand the write lock over (write-lock.ts).
  const lock = writeLockFor(file);
  let closed = false;

  function tx<T>(fn: () => T): T {
    // Nested calls join the outer transaction (a repo method called from another one).
    if (depth > 0) return fn();
    const locked = lock !== null && acquireWriteLock(lock);
    try {
      db.exec('BEGIN IMMEDIATE');
      depth++;
      try {
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      } finally {
        depth--;
      }
    } finally {
      if (locked) releaseWriteLock(lock);
    }
  }

  // Group commit: a commit costs far more than the few rows an outbox step writes (it writes
  // every touched page of the table and its indexes to the WAL), so the steps of concurrent
  // requests and submits that arrive together share one.
  type Job = { fn: () => unknown; resolve(value: unknown): void; reject(error: unknown): void };
  let queue: Job[] = [];
  let scheduled = false;
  function flush(): void {
    scheduled = false;
    const jobs = queue;
    queue = [];
    if (jobs.length === 1) {
      const job = jobs[0]!;
      let value: unknown;
      try {
        value = tx(job.fn);
      } catch (error) {
        job.reject(error);
        return;
      }
      job.resolve(value);
      return;
    }
    if (jobs.length === 0) return;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      tx(() => {
        for (const job of jobs) {
          stmt('SAVEPOINT grouped').run();
          try {
            outcomes.push({ ok: true, value: job.fn() });
            stmt('RELEASE grouped').run();
          } catch (error) {
            stmt('ROLLBACK TO grouped').run();
            stmt('RELEASE grouped').run();
            outcomes.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      // The commit itself failed (or a savepoint could not be undone): nothing was written.
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.value);
    });
  }

  // While another thread of this process writes, the group waits for it without blocking this
  // event loop (requests go on being parsed and checked) and grows meanwhile: one commit after
  // the other thread's, not a blocked loop and a small commit.
  function flushWhenFree(): void {
    const free = lock === null || closed ? null : whenWriteLockFree(lock);
    if (free === null) flush();
    else void free.then(flushWhenFree);
  }

  return {
    file,
    now: () => clock().getTime(),
    all: (sql, ...params) => stmt(sql).all(...params) as Row[],
    get: (sql, ...params) => stmt(sql).get(...params) as Row | undefined,
    run: (sql, ...params) => Number(stmt(sql).run(...params).changes),
    tx,
    group<T>(fn: () => T): Promise<T> {
      if (depth > 0) {
        try {
          return Promise.resolve(fn());
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return new Promise<T>((resolve, reject) => {
        queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flushWhenFree);
        }
      });
    },
    exec: (sql) => db.exec(sql),
    close: () => {
      closed = true;
      // Whatever is queued is written before the file closes.
      if (queue.length > 0) flush();
      statements.clear();
      db.close();
    },
  };
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

export function migrateSqlite(db: SqliteDb): { from: number; to: number } {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`);
  return db.tx(() => {
    const from = Number(db.get('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')!.v);
    const pending = pendingMigrations(from, loadMigrations(MIGRATIONS));
    for (const m of pending) {
      db.exec(m.sql);
      db.run(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
        m.version,
        m.name,
        db.now(),
      );
    }
    return { from, to: pending.at(-1)?.version ?? from };
  });
}
