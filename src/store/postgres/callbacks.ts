/** The status-callback outbox on PostgreSQL. */

import { pgCodec as c, callbackFromRow, messageFromRow } from '../rows.ts';
import type { CallbacksRepo } from '../types.ts';
import type { PgDb } from './db.ts';

export function pgCallbacks(db: PgDb): CallbacksRepo {
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

    async markDelivered(id) {
      await db.run(
        `UPDATE callbacks SET status = 'delivered', last_error = NULL, lease_owner = NULL,
           lease_until = NULL WHERE id = $1`,
        [id],
      );
    },

    async retry(id, nextAttemptAt, error) {
      await db.run(
        `UPDATE callbacks SET status = 'pending', next_attempt_at = $1, last_error = $2,
           lease_owner = NULL, lease_until = NULL WHERE id = $3`,
        [nextAttemptAt, error, id],
      );
    },

    async giveUp(id, error) {
      await db.run(
        `UPDATE callbacks SET status = 'failed', last_error = $1, lease_owner = NULL,
           lease_until = NULL WHERE id = $2`,
        [error, id],
      );
    },

    async list(messageSid) {
      const rows = await db.all(
        'SELECT * FROM callbacks WHERE message_sid = $1 ORDER BY created_at, id',
        [messageSid],
      );
      return rows.map((r) => callbackFromRow(r, c));
    },

    async stats() {
      const row = await db.get(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'failed') AS failed FROM callbacks`,
      );
      return { pending: Number(row!.pending), failed: Number(row!.failed) };
    },
  };
}
