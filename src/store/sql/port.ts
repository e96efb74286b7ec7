/**
 * The dialect port: what the repositories written once (this folder) need from a database, and
 * nothing more. Each adapter implements it over its own connection (`sqlite/port.ts`,
 * `postgres/port.ts`); the outbox and the connections themselves stay per dialect, since their
 * concurrency designs differ.
 *
 * - SQL is written once, with PostgreSQL's numbered placeholders (`$1`, `$2`, a number may repeat);
 *   the SQLite port reads them as SQLite's `?1`, `?2`, which bind by the same numbers.
 * - Values go in through `time()` and `json()` (SQLite: epoch milliseconds and JSON text;
 *   PostgreSQL: Date and JSON text for jsonb) and come out through `codec` (rows.ts).
 * - A transaction is a generator of statements (`yield* get(…)`). SQLite runs it synchronously
 *   inside BEGIN IMMEDIATE, so nothing else in the process runs in the middle of it, as its
 *   adapter requires; PostgreSQL runs it on one pooled client, awaiting each statement.
 */

import type { Codec, Row } from '../rows.ts';

export type Dialect = 'sqlite' | 'postgres';

/** One statement of a transaction, as the generator yields it. */
export interface Statement {
  kind: 'get' | 'all' | 'run';
  sql: string;
  params: readonly unknown[];
}

/** The steps of one transaction, ending with its result. */
export type Steps<T> = Generator<Statement, T, unknown>;

export interface SqlPort {
  readonly dialect: Dialect;
  /** Reads dates and JSON from this dialect's rows. */
  readonly codec: Codec;
  /** The store clock's now, as a timestamp parameter. */
  now(): unknown;
  /** A timestamp parameter. */
  time(at: Date): unknown;
  /** A JSON parameter (a jsonb column on PostgreSQL, TEXT on SQLite). */
  json(value: unknown): string;
  get(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The number of rows changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs the steps in one transaction; a step that throws into the generator may be caught there. */
  tx<T>(steps: () => Steps<T>): Promise<T>;
  /** Whether an error is a unique or primary-key violation. */
  isUniqueViolation(error: unknown): boolean;
  /** Appended to a SELECT that must keep its rows from changing until the commit (PostgreSQL's
   * FOR SHARE; nothing on SQLite, whose write transaction holds the whole database). */
  readonly forShare: string;
  /** A JSON parameter where its type cannot be inferred, e.g. inside coalesce (PostgreSQL: `$1::jsonb`). */
  jsonParam(param: string): string;
  /** SQL that is true when the JSON array in `column` holds the text `param`. */
  jsonArrayHas(column: string, param: string): string;
}

/** A transaction step that reads one row. */
export function* get(sql: string, params: readonly unknown[] = []): Steps<Row | undefined> {
  return (yield { kind: 'get', sql, params }) as Row | undefined;
}

/** A transaction step that reads every row. */
export function* all(sql: string, params: readonly unknown[] = []): Steps<Row[]> {
  return (yield { kind: 'all', sql, params }) as Row[];
}

/** A transaction step that changes rows; its result is how many. */
export function* run(sql: string, params: readonly unknown[] = []): Steps<number> {
  return (yield { kind: 'run', sql, params }) as number;
}

/** Drives the steps with a synchronous executor (SQLite), feeding each result or error back. */
export function driveSync<T>(steps: Steps<T>, exec: (s: Statement) => unknown): T {
  let next = steps.next();
  for (;;) {
    if (next.done) return next.value;
    let result: unknown;
    try {
      result = exec(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
}

/** Drives the steps with an asynchronous executor (PostgreSQL), feeding each result or error back. */
export async function driveAsync<T>(
  steps: Steps<T>,
  exec: (s: Statement) => Promise<unknown>,
): Promise<T> {
  let next = steps.next();
  for (;;) {
    if (next.done) return next.value;
    let result: unknown;
    try {
      result = await exec(next.value);
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
}
