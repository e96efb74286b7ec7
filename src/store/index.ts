/**
 * Opens the store: PostgreSQL when a database URL is given, otherwise the embedded SQLite file
 * under the data directory. Migrates by default, and so refuses to start (STORE_TOO_NEW) on a
 * database that a newer callflow has migrated.
 */

import { join } from 'node:path';
import { createPostgresStore } from './postgres/index.ts';
import { createSqliteStore } from './sqlite/index.ts';
import type { Store } from './types.ts';

export type * from './types.ts';

export interface OpenStoreOptions {
  /** postgres://…; when set, PostgreSQL is used. */
  databaseUrl?: string;
  /** Directory of the SQLite file (default ./data). */
  dataDir?: string;
  /** The SQLite file itself, or ':memory:'; overrides dataDir. */
  file?: string;
  /** PostgreSQL schema (search_path); created when missing. Default public. */
  schema?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL synchronous_commit for this store's sessions (default: the server's). 'off' lets a
   * commit return before its WAL flush: faster, but a server crash can lose the last commits.
   * The test stores use it; production should not.
   */
  synchronousCommit?: 'on' | 'off';
  clock?: () => Date;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const store = opts.databaseUrl
    ? await createPostgresStore({
        connectionString: opts.databaseUrl,
        ...(opts.schema !== undefined && { schema: opts.schema }),
        ...(opts.poolSize !== undefined && { poolSize: opts.poolSize }),
        ...(opts.synchronousCommit !== undefined && { synchronousCommit: opts.synchronousCommit }),
        ...(opts.clock !== undefined && { clock: opts.clock }),
      })
    : createSqliteStore({
        file: opts.file ?? join(opts.dataDir ?? './data', 'callflow.db'),
        ...(opts.clock !== undefined && { clock: opts.clock }),
      });
  if (opts.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
