/** The embedded store: node:sqlite, one file under DATA_DIR (or ':memory:'). */

import { EventEmitter } from 'node:events';
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
  // Workers share this process with the writers, so an in-process event is enough to wake them.
  const events = new EventEmitter();
  events.setMaxListeners(0);
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
        if (result.created) events.emit('messages');
        return result;
      },
      async insertMany(ms) {
        const results = await queries.insertMany(ms);
        if (results.some((r) => r.created)) events.emit('messages');
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
    async notify(channel) {
      events.emit(channel);
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
      db.close();
    },
  };
}
