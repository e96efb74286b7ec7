/**
 * PostgreSQL's bulk DND upsert: thousands of rows per statement through unnest (a DND list may
 * have millions of numbers). The rest of the DND repository is sql/dnd.ts.
 */

import { normalizePreferences } from '../rows.ts';
import type { DndRepo } from '../types.ts';
import type { PgDb } from './db.ts';

/** Rows per statement in a bulk upsert. */
const CHUNK = 5000;

export function pgDndUpsertMany(db: PgDb): DndRepo['upsertMany'] {
  return async (accountSid, rows) => {
    // Last row wins for a number listed twice, as with one upsert after another.
    const byNumber = new Map(
      rows.map((r) => [r.number, JSON.stringify(normalizePreferences(r.preferences))]),
    );
    const numbers = [...byNumber.keys()];
    const now = db.now();
    await db.tx(async (q) => {
      for (let i = 0; i < numbers.length; i += CHUNK) {
        const chunk = numbers.slice(i, i + CHUNK);
        await q.run(
          `INSERT INTO dnd (account_sid, number, preferences, updated_at)
           SELECT $1, n, p::jsonb, $4 FROM unnest($2::text[], $3::text[]) AS u (n, p)
           ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
             updated_at = excluded.updated_at`,
          [accountSid, chunk, chunk.map((n) => byNumber.get(n)), now],
        );
      }
    });
    return rows.length;
  };
}
