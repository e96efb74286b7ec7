/** The embedded store: node:sqlite, one file under DATA_DIR (or ':memory:'). */

import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { sqlAccounts } from '../sql/accounts.ts';
import { sqlCallbacks } from '../sql/callbacks.ts';
import { sqlDlt } from '../sql/dlt.ts';
import { sqlDnd } from '../sql/dnd.ts';
import { sqlCalls, sqlFlows, sqlNumbers } from '../sql/flows.ts';
import { sqlMessageReads } from '../sql/messages.ts';
import type { Store } from '../types.ts';
import { sqliteClaimCallbacks } from './callbacks.ts';
import { sqliteAdmins, sqliteCarriers } from './carriers.ts';
import { migrateSqlite, openSqlite } from './db.ts';
import { sqliteMessageInserts } from './messages.ts';
import { sqliteOutbox } from './outbox.ts';
import { sqlitePort } from './port.ts';
import { sqliteConsentImport, sqliteDndImport } from './reports.ts';

export function createSqliteStore(opts: { file: string; clock?: () => Date }): Store {
  const db = openSqlite(opts.file, opts.clock ?? (() => new Date()));
  // Workers share this process with the writers (SQLite is one process), on this event loop or
  // in a delivery thread with a store of its own: an event wakes this store's listeners, and a
  // BroadcastChannel named after the file those of the other stores on it in this process.
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const channel =
    opts.file === ':memory:' ? null : new BroadcastChannel(`callflow-sqlite:${resolve(opts.file)}`);
  channel?.unref();
  if (channel !== null) {
    channel.onmessage = (event) => {
      const name = (event as { data?: unknown }).data;
      if (name === 'messages' || name === 'callbacks') events.emit(name);
    };
  }
  // One message per channel and turn of the event loop, however many rows the turn committed.
  const pending = new Set<string>();
  const emit = (name: 'messages' | 'callbacks') => {
    events.emit(name);
    if (channel === null) return;
    if (pending.size === 0) {
      setImmediate(() => {
        if (!closed) for (const n of pending) channel.postMessage(n);
        pending.clear();
      });
    }
    pending.add(name);
  };
  let closed = false;
  const port = sqlitePort(db);
  const queries = sqliteMessageInserts(db);
  return {
    dialect: 'sqlite',
    accounts: sqlAccounts(port),
    dlt: sqlDlt(port),
    dnd: { ...sqlDnd(port), ...sqliteDndImport(db), ...sqliteConsentImport(db) },
    messages: {
      ...sqlMessageReads(port),
      // A new row wakes the workers once committed (as PostgreSQL's insert statement does).
      async insert(m) {
        const result = await queries.insert(m);
        if (result.created) emit('messages');
        return result;
      },
      async insertMany(ms) {
        const results = await queries.insertMany(ms);
        if (results.some((r) => r.created)) emit('messages');
        return results;
      },
      ...sqliteOutbox(db),
    },
    callbacks: sqlCallbacks(port, sqliteClaimCallbacks(db)),
    flows: sqlFlows(port),
    numbers: sqlNumbers(port),
    calls: sqlCalls(port),
    carriers: sqliteCarriers(db),
    admins: sqliteAdmins(db),
    async migrate() {
      return migrateSqlite(db);
    },
    async notify(name) {
      emit(name);
    },
    onNotify(channel, listener) {
      events.on(channel, listener);
      return () => events.off(channel, listener);
    },
    async ping() {
      db.get('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      events.removeAllListeners();
      channel?.close();
      db.close();
    },
  };
}
