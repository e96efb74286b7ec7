/** Claiming due status callbacks on SQLite, in one write transaction (the rest is sql/callbacks.ts). */

import { sqliteCodec as c, callbackFromRow, messageFromRow } from '../rows.ts';
import type { CallbacksRepo } from '../types.ts';
import type { SqliteDb } from './db.ts';

export function sqliteClaimCallbacks(db: SqliteDb): Pick<CallbacksRepo, 'claimDue'> {
  return {
    async claimDue(owner, limit, leaseMs) {
      const now = db.now();
      const until = now + leaseMs;
      return db.tx(() => {
        const jobs = db
          .all(
            `UPDATE callbacks SET lease_owner = ?, lease_until = ?, next_attempt_at = ?,
               attempts = attempts + 1
             WHERE id IN (SELECT id FROM callbacks WHERE status = 'pending' AND next_attempt_at <= ?
               ORDER BY next_attempt_at LIMIT ?)
             RETURNING *`,
            owner,
            until,
            until,
            now,
            limit,
          )
          .map((r) => callbackFromRow(r, c));
        if (jobs.length === 0) return [];
        const messages = new Map(
          db
            .all(
              'SELECT * FROM messages WHERE sid IN (SELECT value FROM json_each(?))',
              JSON.stringify(jobs.map((j) => j.messageSid)),
            )
            .map((r) => [r.sid as string, messageFromRow(r, c)]),
        );
        return jobs.map((j) => ({ ...j, message: messages.get(j.messageSid)! }));
      });
    },
  };
}
