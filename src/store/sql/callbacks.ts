/**
 * The status-callback outbox, written once for both dialects (port.ts), except the claim: as with
 * the message outbox, how concurrent workers claim due jobs is each dialect's own design
 * (`FOR UPDATE SKIP LOCKED` on PostgreSQL, one write transaction on SQLite).
 */

import { callbackFromRow } from '../rows.ts';
import type { CallbacksRepo } from '../types.ts';
import type { SqlPort } from './port.ts';

export function sqlCallbacks(port: SqlPort, own: Pick<CallbacksRepo, 'claimDue'>): CallbacksRepo {
  const c = port.codec;
  return {
    claimDue: own.claimDue,

    async markDelivered(id) {
      await port.run(
        `UPDATE callbacks SET status = 'delivered', last_error = NULL, lease_owner = NULL,
           lease_until = NULL WHERE id = $1`,
        [id],
      );
    },

    async retry(id, nextAttemptAt, error) {
      await port.run(
        `UPDATE callbacks SET status = 'pending', next_attempt_at = $1, last_error = $2,
           lease_owner = NULL, lease_until = NULL WHERE id = $3`,
        [port.time(nextAttemptAt), error, id],
      );
    },

    async giveUp(id, error) {
      await port.run(
        `UPDATE callbacks SET status = 'failed', last_error = $1, lease_owner = NULL,
           lease_until = NULL WHERE id = $2`,
        [error, id],
      );
    },

    async list(messageSid) {
      const rows = await port.all(
        'SELECT * FROM callbacks WHERE message_sid = $1 ORDER BY created_at, id',
        [messageSid],
      );
      return rows.map((r) => callbackFromRow(r, c));
    },

    async stats() {
      const row = await port.get(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'failed') AS failed FROM callbacks`,
      );
      return { pending: Number(row!.pending), failed: Number(row!.failed) };
    },
  };
}
