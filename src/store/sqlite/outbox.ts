/**
 * The message outbox on SQLite: claiming due messages with a lease, the debit, the moves between
 * states, and delivery receipts. Every state change writes its transition and, when the message
 * ends, its status-callback job, in the same transaction.
 */

import { randomUUID } from 'node:crypto';
import type { ReasonCode } from '../../errors.ts';
import { AWAITS_RECEIPTS_SQL, messageOutcome } from '../receipts.ts';
import { sqliteCodec as c, messageFromRow, type Row } from '../rows.ts';
import {
  type DebitResult,
  FINAL_STATUSES,
  type Message,
  type MessageOutboxRepo,
  type MessageStatus,
  type PartState,
} from '../types.ts';
import { writeLedger } from './accounts.ts';
import type { SqliteDb } from './db.ts';
import { TRANSITION } from './messages.ts';

// A message ends once, except that a late receipt settles one the receipt timeout ended: its
// callback is then sent again, with what the receipt said.
const ENQUEUE_CALLBACK = `INSERT INTO callbacks (id, account_sid, message_sid, url, format, attempts,
    next_attempt_at, status, created_at)
  VALUES (?, ?, ?, ?, ?, 0, ?, 'pending', ?)
  ON CONFLICT (message_sid) DO UPDATE SET status = 'pending', attempts = 0,
    next_attempt_at = excluded.next_attempt_at, last_error = NULL, lease_owner = NULL,
    lease_until = NULL`;

const LINK_PART = `INSERT INTO message_parts (carrier, carrier_message_id, message_sid, seq, state,
    final, error_code, pending_group, updated_at)
  VALUES (?, ?, ?, ?, 'submitted', 0, NULL, NULL, ?)
  ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET
    message_sid = excluded.message_sid, seq = excluded.seq, updated_at = excluded.updated_at,
    state = CASE WHEN message_parts.message_sid IS NULL THEN message_parts.state ELSE 'submitted' END,
    final = CASE WHEN message_parts.message_sid IS NULL THEN message_parts.final ELSE 0 END,
    error_code = CASE WHEN message_parts.message_sid IS NULL THEN message_parts.error_code END
  RETURNING pending_group, final`;

const PENDING_RECEIPT = `INSERT INTO message_parts (carrier, carrier_message_id, message_sid, seq,
    state, final, error_code, pending_group, updated_at)
  VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?)
  ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET state = excluded.state,
    final = excluded.final, error_code = excluded.error_code, updated_at = excluded.updated_at
  WHERE message_parts.final = 0`;

/**
 * One debit, inside a transaction. The balance update is the check, and it comes before any other
 * write, so an uncovered debit writes nothing and needs no savepoint.
 */
function debitOne(
  db: SqliteDb,
  sid: string,
  owner: string,
  pricePaise: number,
  now: number,
): DebitResult {
  const m = db.get(
    `SELECT account_sid, price_paise FROM messages
     WHERE sid = ? AND lease_owner = ? AND status = 'queued'`,
    sid,
    owner,
  );
  if (!m) return { ok: false, code: 'LEASE_LOST' };
  if (m.price_paise !== null) throw new Error(`message ${sid} was already debited`);
  const accountSid = m.account_sid as string;
  const account = db.get(
    `UPDATE accounts SET balance_paise = balance_paise - ?
     WHERE sid = ? AND balance_paise >= ? RETURNING balance_paise`,
    pricePaise,
    accountSid,
    pricePaise,
  );
  if (!account) return { ok: false, code: 'INSUFFICIENT_BALANCE' };
  const balanceAfterPaise = Number(account.balance_paise);
  db.run(
    `UPDATE messages SET status = 'sending', price_paise = ?, reason_code = NULL,
       reason_detail = NULL, updated_at = ? WHERE sid = ?`,
    pricePaise,
    now,
    sid,
  );
  db.run(
    `INSERT INTO ledger (account_sid, message_sid, kind, amount_paise, balance_after_paise, at)
     VALUES (?, ?, 'debit', ?, ?, ?)`,
    accountSid,
    sid,
    -pricePaise,
    balanceAfterPaise,
    now,
  );
  db.run(TRANSITION, sid, 'sending', now, null, null);
  return { ok: true, balanceAfterPaise };
}

export function sqliteOutbox(db: SqliteDb): MessageOutboxRepo {
  const getMessage = (sid: string) => {
    const row = db.get('SELECT * FROM messages WHERE sid = ?', sid);
    return row && messageFromRow(row, c);
  };

  /**
   * Moves a message to a final status, with its transition and callback job; `from` limits it
   * to messages in that status. The message as it now is, or undefined when it was not moved.
   */
  function finish(
    sid: string,
    status: MessageStatus,
    code: ReasonCode | null,
    detail: string | null,
    now: number,
    from: 'any' | 'awaiting-receipts' | 'submitted' = 'any',
  ): Message | undefined {
    const only = {
      any: '',
      'awaiting-receipts': ` AND ${AWAITS_RECEIPTS_SQL}`,
      submitted: " AND status = 'submitted'",
    }[from];
    const row = db.get(
      `UPDATE messages SET status = ?, reason_code = ?, reason_detail = ?, done_at = ?,
         lease_owner = NULL, lease_until = NULL, updated_at = ?
       WHERE sid = ?${only} RETURNING *`,
      status,
      code,
      detail,
      now,
      now,
      sid,
    );
    if (!row) return undefined;
    const m = messageFromRow(row, c);
    db.run(TRANSITION, sid, status, now, code, detail);
    if (m.statusCallback !== null) {
      db.run(
        ENQUEUE_CALLBACK,
        randomUUID(),
        m.accountSid,
        sid,
        m.statusCallback,
        m.callbackFormat,
        now,
        now,
      );
    }
    return m;
  }

  /**
   * Once every part of a message awaiting receipts is final, the message is too; returns it then.
   */
  function settleIfComplete(sid: string, now: number): Message | undefined {
    const parts = db.all(
      'SELECT seq, state, final, error_code FROM message_parts WHERE message_sid = ? ORDER BY seq',
      sid,
    );
    if (parts.length === 0 || parts.some((p) => p.final !== 1)) return undefined;
    const outcome = messageOutcome(
      parts.map((p) => ({
        seq: Number(p.seq),
        state: p.state as PartState,
        errorCode: (p.error_code as string | null) ?? null,
      })),
    );
    return finish(sid, outcome.status, outcome.code, outcome.detail, now, 'awaiting-receipts');
  }

  return {
    async claimDue(owner, limit, leaseMs) {
      const now = db.now();
      const until = now + leaseMs;
      const rows = db.all(
        `UPDATE messages SET lease_owner = ?, lease_until = ?, next_attempt_at = ?,
           attempts = attempts + 1, updated_at = ?
         WHERE sid IN (SELECT sid FROM messages WHERE status IN ('queued', 'sending')
           AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?)
         RETURNING *`,
        owner,
        until,
        until,
        now,
        now,
        limit,
      );
      return rows.map((r) => messageFromRow(r, c));
    },

    async extendLease(owner, sids, leaseMs) {
      const until = db.now() + leaseMs;
      db.run(
        `UPDATE messages SET lease_until = ?, next_attempt_at = ?
         WHERE lease_owner = ? AND status IN ('queued', 'sending')
           AND sid IN (SELECT value FROM json_each(?))`,
        until,
        until,
        owner,
        JSON.stringify(sids),
      );
    },

    async debitAndMarkSending(sid, owner, pricePaise) {
      const now = db.now();
      return db.group(() => debitOne(db, sid, owner, pricePaise, now));
    },

    async debitManyAndMarkSending(owner, items) {
      if (new Set(items.map((i) => i.sid)).size !== items.length) {
        throw new Error('a message appears twice in one debit');
      }
      const now = db.now();
      // One group job: one transaction, and a throw rolls back every debit of the batch.
      return db.group(() => items.map((i) => debitOne(db, i.sid, owner, i.pricePaise, now)));
    },

    async markSending(sid, owner) {
      return db.group(() => {
        const now = db.now();
        const changed = db.run(
          `UPDATE messages SET status = 'sending', reason_code = NULL, reason_detail = NULL,
             updated_at = ?
           WHERE sid = ? AND lease_owner = ? AND status = 'queued' AND price_paise IS NOT NULL`,
          now,
          sid,
          owner,
        );
        if (changed > 0) db.run(TRANSITION, sid, 'sending', now, null, null);
        return changed > 0;
      });
    },

    async markSubmitted(sid, owner, carrier, carrierMessageIds) {
      return db.group(() => {
        const now = db.now();
        const row = db.get(
          `UPDATE messages SET status = 'submitted', carrier = ?, carrier_message_ids = ?,
             submitted_at = ?, lease_owner = NULL, lease_until = NULL, reason_code = NULL,
             reason_detail = NULL, updated_at = ?
           WHERE sid = ? AND lease_owner = ? AND status = 'sending' RETURNING *`,
          carrier,
          JSON.stringify(carrierMessageIds),
          now,
          now,
          sid,
          owner,
        );
        if (!row) return undefined;
        db.run(TRANSITION, sid, 'submitted', now, null, null);
        let finalParts = 0;
        carrierMessageIds.forEach((id, seq) => {
          const linked = db.get(LINK_PART, carrier, id, sid, seq, now) as Row;
          if (linked.final === 1) finalParts++;
          // A receipt that came first was also kept under its alternate IDs; those go now.
          if (linked.pending_group !== null) {
            db.run(
              'DELETE FROM message_parts WHERE pending_group = ? AND message_sid IS NULL',
              linked.pending_group as string,
            );
          }
        });
        const settled =
          finalParts === carrierMessageIds.length ? settleIfComplete(sid, now) : undefined;
        return settled ?? messageFromRow(row, c);
      });
    },

    async requeue(sid, owner, nextAttemptAt, code, detail) {
      await db.group(() => {
        const now = db.now();
        const m = db.get(
          `SELECT status FROM messages
           WHERE sid = ? AND lease_owner = ? AND status IN ('queued', 'sending')`,
          sid,
          owner,
        );
        if (!m) return;
        db.run(
          `UPDATE messages SET status = 'queued', next_attempt_at = ?, lease_owner = NULL,
             lease_until = NULL, reason_code = ?, reason_detail = ?, updated_at = ? WHERE sid = ?`,
          nextAttemptAt.getTime(),
          code,
          detail,
          now,
          sid,
        );
        if (m.status === 'sending') db.run(TRANSITION, sid, 'queued', now, code, detail);
      });
    },

    async fail(sid, owner, code, detail, opts = {}) {
      return db.group(() => {
        const now = db.now();
        const m = db.get(
          'SELECT account_sid, status, price_paise, lease_owner FROM messages WHERE sid = ?',
          sid,
        );
        if (!m || FINAL_STATUSES.includes(m.status as MessageStatus)) return undefined;
        if (owner !== null && m.lease_owner !== owner) return undefined;
        const price = m.price_paise === null ? 0 : Number(m.price_paise);
        if (opts.refund && price > 0) {
          const account = db.get(
            'UPDATE accounts SET balance_paise = balance_paise + ? WHERE sid = ? RETURNING balance_paise',
            price,
            m.account_sid as string,
          )!;
          writeLedger(
            db,
            {
              accountSid: m.account_sid as string,
              messageSid: sid,
              kind: 'refund',
              amountPaise: price,
              balanceAfterPaise: Number(account.balance_paise),
              note: code,
            },
            now,
          );
          db.run('UPDATE messages SET price_paise = 0 WHERE sid = ?', sid);
        }
        return finish(sid, 'failed', code, detail, now);
      });
    },

    async release(sid, owner) {
      const now = db.now();
      db.run(
        `UPDATE messages SET lease_owner = NULL, lease_until = NULL, next_attempt_at = ?,
           attempts = max(attempts - 1, 0), updated_at = ?
         WHERE sid = ? AND lease_owner = ? AND status IN ('queued', 'sending')`,
        now,
        now,
        sid,
        owner,
      );
    },

    async applyReceipt(r) {
      return db.group(() => {
        const now = db.now();
        const ids = [...new Set([r.carrierMessageId, ...(r.alternateIds ?? [])])];
        for (const id of ids) {
          const part = db.get(
            `UPDATE message_parts SET state = ?, final = ?, error_code = ?, updated_at = ?
             WHERE carrier = ? AND carrier_message_id = ? AND message_sid IS NOT NULL AND final = 0
             RETURNING message_sid`,
            r.state,
            r.final ? 1 : 0,
            r.errorCode,
            r.receivedAt.getTime(),
            r.carrier,
            id,
          );
          if (!part) continue;
          const sid = part.message_sid as string;
          const settled = r.final ? settleIfComplete(sid, now) : undefined;
          return { applied: true, message: settled ?? getMessage(sid) };
        }
        const done = db.get(
          `SELECT message_sid FROM message_parts WHERE carrier = ?
             AND carrier_message_id IN (SELECT value FROM json_each(?)) AND message_sid IS NOT NULL`,
          r.carrier,
          JSON.stringify(ids),
        );
        // Its part is final already: a repeated receipt.
        if (done) return { applied: false, message: getMessage(done.message_sid as string) };
        // Its submit_sm_resp has not been recorded yet: keep it for markSubmitted.
        for (const id of ids) {
          db.run(
            PENDING_RECEIPT,
            r.carrier,
            id,
            r.state,
            r.final ? 1 : 0,
            r.errorCode,
            r.carrierMessageId,
            r.receivedAt.getTime(),
          );
        }
        return { applied: false };
      });
    },

    async endAwaitingReceipts(before, limit, detail) {
      return db.group(() => {
        const now = db.now();
        const due = db.all(
          `SELECT sid FROM messages WHERE status = 'submitted' AND submitted_at < ?
           ORDER BY submitted_at LIMIT ?`,
          before.getTime(),
          limit,
        );
        return due.flatMap((row) => {
          const m = finish(
            row.sid as string,
            'undelivered',
            'RECEIPT_TIMEOUT',
            detail,
            now,
            'submitted',
          );
          return m ? [m] : [];
        });
      });
    },

    async purgeUnmatchedReceipts(before, limit) {
      return db.group(() =>
        db.run(
          `DELETE FROM message_parts WHERE (carrier, carrier_message_id) IN (
             SELECT carrier, carrier_message_id FROM message_parts
             WHERE message_sid IS NULL AND updated_at < ? LIMIT ?)
           AND message_sid IS NULL`,
          before.getTime(),
          limit,
        ),
      );
    },
  };
}
