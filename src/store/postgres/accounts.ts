/** The ledger write of PostgreSQL's outbox, in its transaction (the SQL is sql/accounts.ts's). */

import { ledgerFromRow, pgCodec } from '../rows.ts';
import { INSERT_LEDGER, ledgerParams } from '../sql/accounts.ts';
import type { LedgerEntry } from '../types.ts';
import type { Queryable } from './db.ts';

/** Writes one ledger row in the caller's transaction. */
export async function writeLedger(
  q: Queryable,
  e: Omit<LedgerEntry, 'id' | 'at'>,
  at: Date,
): Promise<LedgerEntry> {
  const row = await q.get(INSERT_LEDGER, ledgerParams(e, at));
  return ledgerFromRow(row!, pgCodec);
}
