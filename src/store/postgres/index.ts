/**
 * The PostgreSQL store, for several processes sharing one database. Workers wake on NOTIFY
 * (channels named after the schema, so stores in different schemas do not wake each other) and
 * also receive this process's own notifications at once, without the round trip.
 */

import { EventEmitter } from 'node:events';
import { sqlAccounts } from '../sql/accounts.ts';
import { sqlCallbacks } from '../sql/callbacks.ts';
import { sqlDlt } from '../sql/dlt.ts';
import { sqlDnd } from '../sql/dnd.ts';
import { sqlCalls, sqlFlows, sqlNumbers } from '../sql/flows.ts';
import { sqlMessageReads } from '../sql/messages.ts';
import type { Store } from '../types.ts';
import type { Batches } from './batch.ts';
import { pgClaimCallbacks } from './callbacks.ts';
import { pgAdmins, pgCarriers } from './carriers.ts';
import { createListener, migratePostgres, openPostgres } from './db.ts';
import { pgDndUpsertMany } from './dnd.ts';
import { pgMessageInserts } from './messages.ts';
import { pgOutbox } from './outbox.ts';
import { pgPort } from './port.ts';
import { pgConsentImport, pgDndImport } from './reports.ts';

type Channel = 'messages' | 'callbacks';
const CHANNELS: Channel[] = ['messages', 'callbacks'];

export async function createPostgresStore(opts: {
  connectionString: string;
  schema?: string;
  poolSize?: number;
  clock?: () => Date;
  synchronousCommit?: 'on' | 'off';
}): Promise<Store> {
  const db = openPostgres({
    connectionString: opts.connectionString,
    schema: opts.schema ?? 'public',
    poolSize: opts.poolSize ?? 10,
    clock: opts.clock ?? (() => new Date()),
    synchronousCommit: opts.synchronousCommit,
  });
  const port = pgPort(db);
  const batches: Batches = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const pgChannel = (ch: Channel) => `callflow_${db.schema}_${ch}`;
  const byPgChannel = new Map(CHANNELS.map((ch) => [pgChannel(ch), ch]));
  let listener: { close(): Promise<void> } | null = null;
  let closed = false;
  // At most one NOTIFY per channel in flight, plus one more for everything asked meanwhile: a
  // burst of sends costs two round trips, and every caller resolves after a NOTIFY sent after it.
  // NOTIFYs are coalesced: while one is in flight, the calls that arrive share the next one.
  // Each caller waits only for the first NOTIFY sent after its call, never for a whole run of
  // them, so a steady stream of sends does not keep any sender waiting.
  const notifying = new Map(
    CHANNELS.map((ch) => [
      ch,
      { next: null as PromiseWithResolvers<void> | null, running: null as Promise<void> | null },
    ]),
  );

  return {
    dialect: 'postgres',
    accounts: sqlAccounts(port),
    dlt: sqlDlt(port),
    dnd: {
      ...sqlDnd(port, { upsertMany: pgDndUpsertMany(db) }),
      ...pgDndImport(db),
      ...pgConsentImport(db),
    },
    messages: {
      ...sqlMessageReads(port),
      ...pgMessageInserts(db, batches, pgChannel('messages')),
      ...pgOutbox(db, batches),
    },
    callbacks: sqlCallbacks(port, pgClaimCallbacks(db)),
    flows: sqlFlows(port),
    numbers: sqlNumbers(port),
    calls: sqlCalls(port),
    carriers: pgCarriers(db),
    admins: pgAdmins(db),
    migrate: () => migratePostgres(db),
    notify(channel) {
      events.emit(channel);
      const state = notifying.get(channel)!;
      state.next ??= Promise.withResolvers<void>();
      const mine = state.next.promise;
      state.running ??= (async () => {
        try {
          while (state.next) {
            const round = state.next;
            state.next = null;
            try {
              await db.run('SELECT pg_notify($1, $2)', [pgChannel(channel), '']);
              round.resolve();
            } catch (error) {
              round.reject(error);
            }
          }
        } finally {
          state.running = null;
        }
      })();
      return mine;
    },
    onNotify(channel, fn) {
      listener ??= createListener(db.config, [...byPgChannel.keys()], (pgName) => {
        const ch = byPgChannel.get(pgName);
        if (ch) events.emit(ch);
      });
      events.on(channel, fn);
      return () => events.off(channel, fn);
    },
    async ping() {
      await db.run('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      // What callers are waiting for is written before the pool closes.
      for (const b of batches) await b.drain();
      events.removeAllListeners();
      await listener?.close();
      await db.pool.end();
    },
  };
}
