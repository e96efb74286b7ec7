/**
 * The PostgreSQL connection: a pg Pool whose connections use the store's schema as search_path,
 * statements prepared by name (named after a hash of their text, so each connection parses a
 * statement once), transactions, migrations under an advisory lock, and a dedicated client for
 * LISTEN that reconnects with back-off.
 */

import { createHash } from 'node:crypto';
import pg from 'pg';
import { loadMigrations, pendingMigrations } from '../migrations.ts';
import type { Row } from '../rows.ts';

export interface Queryable {
  all(sql: string, params?: unknown[]): Promise<Row[]>;
  get(sql: string, params?: unknown[]): Promise<Row | undefined>;
  run(sql: string, params?: unknown[]): Promise<number>;
}

export interface PgDb extends Queryable {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly config: pg.PoolConfig;
  now(): Date;
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
}

const names = new Map<string, string>();
function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `cf_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    names.set(sql, name);
  }
  return name;
}

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  const all = async (sql: string, params: unknown[] = []) =>
    (await client.query({ name: statementName(sql), text: sql, values: params })).rows as Row[];
  return {
    all,
    get: async (sql, params) => (await all(sql, params))[0],
    run: async (sql, params = []) =>
      (await client.query({ name: statementName(sql), text: sql, values: params })).rowCount ?? 0,
  };
}

export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

/**
 * The pool's connection settings. pg lets the URL's `options` override the config's, so an
 * `options` in the URL is moved into the config, next to the schema's search_path.
 */
function connectionConfig(opts: {
  connectionString: string;
  schema: string;
  poolSize: number;
  synchronousCommit?: 'on' | 'off' | undefined;
}): pg.PoolConfig {
  const url = new URL(opts.connectionString);
  const given = url.searchParams.get('options');
  url.searchParams.delete('options');
  const settings = [given, `-c search_path=${opts.schema}`];
  if (opts.synchronousCommit) settings.push(`-c synchronous_commit=${opts.synchronousCommit}`);
  return {
    connectionString: url.toString(),
    max: opts.poolSize,
    options: settings.filter(Boolean).join(' '),
  };
}

export function openPostgres(opts: {
  connectionString: string;
  schema: string;
  poolSize: number;
  clock: () => Date;
  synchronousCommit?: 'on' | 'off' | undefined;
}): PgDb {
  if (!SCHEMA_NAME.test(opts.schema)) {
    throw new Error(`schema ${JSON.stringify(opts.schema)} must match ${SCHEMA_NAME}`);
  }
  const config = connectionConfig(opts);
  const pool = new pg.Pool(config);
  // An idle connection that dies (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // A new connection reaches `await pool.connect()` through a promise, so its holder listens for
  // errors one microtask after the pool stopped. A connection killed just as it opened delivers
  // its ReadyForQuery and the server's FATAL in the same read: the FATAL is emitted in between,
  // with no listener, and would be thrown out of the socket's handler. Every connection listens
  // for the whole of its life; what the error means is handled by whoever holds it (tx marks it
  // broken, the pool drops an idle one, a query fails), and a dead connection is not queryable,
  // so the pool drops it when it comes back.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const q = queryable(pool);
  return {
    ...q,
    pool,
    schema: opts.schema,
    config,
    now: opts.clock,
    async tx(fn) {
      const client = await pool.connect();
      let broken = false;
      // pg-pool listens for errors only on idle clients: a checked-out client whose connection
      // dies between two statements emits 'error', which would otherwise crash the process.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

export async function migratePostgres(db: PgDb): Promise<{ from: number; to: number }> {
  const client = await db.pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    // One migrator at a time per schema; the others wait, then find nothing to do.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `callflow.migrate.${db.schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`);
    const { rows } = await client.query(
      'SELECT coalesce(max(version), 0) AS v FROM schema_migrations',
    );
    const from = Number(rows[0].v);
    const pending = pendingMigrations(from, loadMigrations(MIGRATIONS));
    for (const m of pending) {
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
        [m.version, m.name, db.now()],
      );
    }
    await client.query('COMMIT');
    return { from, to: pending.at(-1)?.version ?? from };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** PostgreSQL's unique violation as a CallflowError CONFLICT-worthy test. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/**
 * A LISTEN connection outside the pool. On error or end it reconnects with back-off and then calls
 * `onNotification` for every channel, since notifications sent while it was away are lost.
 */
export function createListener(
  config: pg.PoolConfig,
  channels: string[],
  onNotification: (channel: string) => void,
): { close(): Promise<void> } {
  let client: pg.Client | null = null;
  let closed = false;
  let delayMs = 100;
  let timer: NodeJS.Timeout | null = null;

  const reconnectLater = () => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delayMs);
    delayMs = Math.min(delayMs * 2, 5000);
  };

  async function connect(): Promise<void> {
    const c = new pg.Client(config);
    client = c;
    c.on('notification', (n) => onNotification(n.channel));
    c.on('error', () => {
      void c.end().catch(() => {});
      if (client === c) reconnectLater();
    });
    c.on('end', () => {
      if (client === c) reconnectLater();
    });
    try {
      await c.connect();
      for (const ch of channels) await c.query(`LISTEN ${c.escapeIdentifier(ch)}`);
      if (closed) {
        await c.end();
        return;
      }
      delayMs = 100;
      for (const ch of channels) onNotification(ch);
    } catch {
      void c.end().catch(() => {});
      if (client === c) reconnectLater();
    }
  }

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
    },
  };
}
