/** The ledger write of SQLite's outbox, in its synchronous transaction (the SQL is sql/accounts.ts's). */

import { ledgerFromRow, sqliteCodec } from '../rows.ts';
import { INSERT_LEDGER, ledgerParams } from '../sql/accounts.ts';
import type { LedgerEntry } from '../types.ts';
import type { SqliteDb } from './db.ts';
import { sqliteSql } from './port.ts';

/** Writes one ledger row in the caller's transaction. */
export function writeLedger(
  db: SqliteDb,
  e: Omit<LedgerEntry, 'id' | 'at'>,
  at: number,
): LedgerEntry {
  const row = db.get(sqliteSql(INSERT_LEDGER), ...(ledgerParams(e, at) as never[]))!;
  return ledgerFromRow(row, sqliteCodec);
}
