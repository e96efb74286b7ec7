/** Claiming due status callbacks on PostgreSQL with SKIP LOCKED (the rest is sql/callbacks.ts). */

import { pgCodec as c, callbackFromRow, messageFromRow } from '../rows.ts';
import type { CallbacksRepo } from '../types.ts';
import type { PgDb } from './db.ts';

export function pgClaimCallbacks(db: PgDb): Pick<CallbacksRepo, 'claimDue'> {
  return {
    async claimDue(owner, limit, leaseMs) {
      const now = db.now();
      const until = new Date(now.getTime() + leaseMs);
      const jobs = (
        await db.all(
          `WITH due AS (
             SELECT id FROM callbacks WHERE status = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE callbacks cb SET lease_owner = $3, lease_until = $4, next_attempt_at = $4,
             attempts = attempts + 1
           FROM due WHERE cb.id = due.id
           RETURNING cb.*`,
          [now, limit, owner, until],
        )
      ).map((r) => callbackFromRow(r, c));
      if (jobs.length === 0) return [];
      const rows = await db.all('SELECT * FROM messages WHERE sid = ANY($1::text[])', [
        jobs.map((j) => j.messageSid),
      ]);
      const messages = new Map(rows.map((r) => [r.sid as string, messageFromRow(r, c)]));
      return jobs.map((j) => ({ ...j, message: messages.get(j.messageSid)! }));
    },
  };
}
