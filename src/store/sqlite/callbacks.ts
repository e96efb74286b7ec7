/** The status-callback outbox on SQLite. */

import { sqliteCodec as c, callbackFromRow, messageFromRow } from '../rows.ts';
import type { CallbacksRepo } from '../types.ts';
import type { SqliteDb } from './db.ts';

export function sqliteCallbacks(db: SqliteDb): CallbacksRepo {
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

    async markDelivered(id) {
      db.run(
        `UPDATE callbacks SET status = 'delivered', last_error = NULL, lease_owner = NULL,
           lease_until = NULL WHERE id = ?`,
        id,
      );
    },

    async retry(id, nextAttemptAt, error) {
      db.run(
        `UPDATE callbacks SET status = 'pending', next_attempt_at = ?, last_error = ?,
           lease_owner = NULL, lease_until = NULL WHERE id = ?`,
        nextAttemptAt.getTime(),
        error,
        id,
      );
    },

    async giveUp(id, error) {
      db.run(
        `UPDATE callbacks SET status = 'failed', last_error = ?, lease_owner = NULL,
           lease_until = NULL WHERE id = ?`,
        error,
        id,
      );
    },

    async list(messageSid) {
      return db
        .all('SELECT * FROM callbacks WHERE message_sid = ? ORDER BY created_at, id', messageSid)
        .map((r) => callbackFromRow(r, c));
    },

    async stats() {
      const row = db.get(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'failed') AS failed FROM callbacks`,
      )!;
      return { pending: Number(row.pending), failed: Number(row.failed) };
    },
  };
}
