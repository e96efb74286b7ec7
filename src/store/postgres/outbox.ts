/**
 * The message outbox on PostgreSQL: claiming due messages with FOR UPDATE SKIP LOCKED, the debit,
 * the moves between states, and delivery receipts. Every state change writes its transition and,
 * when the message ends, its status-callback job, in the same transaction.
 *
 * Concurrency: the balance check is part of the UPDATE of the account row, which PostgreSQL
 * re-evaluates on the latest row version after a concurrent debit commits, so no interleaving can
 * overspend. A message's final status is decided with the message row locked, after its parts
 * are read, so two receipts for two parts that commit at once cannot both miss the other.
 */

import { randomUUID } from 'node:crypto';
import type { ReasonCode } from '../../errors.ts';
import { messageOutcome } from '../receipts.ts';
import { pgCodec as c, messageFromRow, type Row } from '../rows.ts';
import {
  FINAL_STATUSES,
  type Message,
  type MessageStatus,
  type MessagesRepo,
  type PartState,
} from '../types.ts';
import { writeLedger } from './accounts.ts';
import type { PgDb, Queryable } from './db.ts';
import { TRANSITION } from './messages.ts';

type Outbox = Omit<
  MessagesRepo,
  | 'insert'
  | 'insertMany'
  | 'get'
  | 'getBySid'
  | 'list'
  | 'transitions'
  | 'parts'
  | 'stats'
  | 'summarize'
>;

const ENQUEUE_CALLBACK = `INSERT INTO callbacks (id, account_sid, message_sid, url, format, attempts,
    next_attempt_at, status, created_at)
  VALUES ($1, $2, $3, $4, $5, 0, $6, 'pending', $6)
  ON CONFLICT DO NOTHING`;

const LINK_PART = `INSERT INTO message_parts AS p (carrier, carrier_message_id, message_sid, seq,
    state, final, error_code, pending_group, updated_at)
  VALUES ($1, $2, $3, $4, 'submitted', false, NULL, NULL, $5)
  ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET
    message_sid = excluded.message_sid, seq = excluded.seq, updated_at = excluded.updated_at,
    state = CASE WHEN p.message_sid IS NULL THEN p.state ELSE 'submitted' END,
    final = CASE WHEN p.message_sid IS NULL THEN p.final ELSE false END,
    error_code = CASE WHEN p.message_sid IS NULL THEN p.error_code END
  RETURNING pending_group, final`;

const PENDING_RECEIPT = `INSERT INTO message_parts AS p (carrier, carrier_message_id, message_sid,
    seq, state, final, error_code, pending_group, updated_at)
  VALUES ($1, $2, NULL, NULL, $3, $4, $5, $6, $7)
  ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET state = excluded.state,
    final = excluded.final, error_code = excluded.error_code, updated_at = excluded.updated_at
  WHERE p.final = false
  RETURNING message_sid`;

const getMessage = async (q: Queryable, sid: string) => {
  const row = await q.get('SELECT * FROM messages WHERE sid = $1', [sid]);
  return row && messageFromRow(row, c);
};

/** Moves a message to a final status, with its transition and callback job; returns it. */
async function finish(
  q: Queryable,
  sid: string,
  status: MessageStatus,
  code: ReasonCode | null,
  detail: string | null,
  now: Date,
): Promise<Message> {
  const row = await q.get(
    `UPDATE messages SET status = $1, reason_code = $2, reason_detail = $3, done_at = $4,
       lease_owner = NULL, lease_until = NULL, updated_at = $4 WHERE sid = $5 RETURNING *`,
    [status, code, detail, now, sid],
  );
  const m = messageFromRow(row!, c);
  await q.run(TRANSITION, [sid, status, now, code, detail]);
  if (m.statusCallback !== null) {
    await q.run(ENQUEUE_CALLBACK, [
      randomUUID(),
      m.accountSid,
      sid,
      m.statusCallback,
      m.callbackFormat,
      now,
    ]);
  }
  return m;
}

/** Once every part of a submitted message is final, the message is too (decided under its row lock). */
async function settleIfComplete(
  q: Queryable,
  sid: string,
  now: Date,
): Promise<Message | undefined> {
  const m = await q.get('SELECT status FROM messages WHERE sid = $1 FOR UPDATE', [sid]);
  if (m?.status !== 'submitted') return undefined;
  const parts = await q.all(
    'SELECT seq, state, final, error_code FROM message_parts WHERE message_sid = $1 ORDER BY seq',
    [sid],
  );
  if (parts.length === 0 || parts.some((p) => p.final !== true)) return undefined;
  const outcome = messageOutcome(
    parts.map((p) => ({
      seq: Number(p.seq),
      state: p.state as PartState,
      errorCode: (p.error_code as string | null) ?? null,
    })),
  );
  return finish(q, sid, outcome.status, outcome.code, outcome.detail, now);
}

export function pgOutbox(db: PgDb): Outbox {
  return {
    async claimDue(owner, limit, leaseMs) {
      const now = db.now();
      const until = new Date(now.getTime() + leaseMs);
      const rows = await db.all(
        `WITH due AS (
           SELECT sid FROM messages WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE messages m SET lease_owner = $3, lease_until = $4, next_attempt_at = $4,
           attempts = attempts + 1, updated_at = $1
         FROM due WHERE m.sid = due.sid
         RETURNING m.*`,
        [now, limit, owner, until],
      );
      return rows.map((r) => messageFromRow(r, c));
    },

    async extendLease(owner, sids, leaseMs) {
      const until = new Date(db.now().getTime() + leaseMs);
      await db.run(
        `UPDATE messages SET lease_until = $1, next_attempt_at = $1
         WHERE sid = ANY($2::text[]) AND lease_owner = $3 AND status IN ('queued', 'sending')`,
        [until, sids, owner],
      );
    },

    async debitAndMarkSending(sid, owner, pricePaise) {
      return db.tx(async (q) => {
        const now = db.now();
        const m = await q.get(
          `SELECT account_sid, price_paise FROM messages
           WHERE sid = $1 AND lease_owner = $2 AND status = 'queued' FOR UPDATE`,
          [sid, owner],
        );
        if (!m) return { ok: false, code: 'LEASE_LOST' } as const;
        if (m.price_paise !== null) throw new Error(`message ${sid} was already debited`);
        const accountSid = m.account_sid as string;
        const account = await q.get(
          `UPDATE accounts SET balance_paise = balance_paise - $1
           WHERE sid = $2 AND balance_paise >= $1 RETURNING balance_paise`,
          [pricePaise, accountSid],
        );
        if (!account) return { ok: false, code: 'INSUFFICIENT_BALANCE' } as const;
        const balanceAfterPaise = Number(account.balance_paise);
        await writeLedger(
          q,
          {
            accountSid,
            messageSid: sid,
            kind: 'debit',
            amountPaise: -pricePaise,
            balanceAfterPaise,
            note: null,
          },
          now,
        );
        await q.run(
          `UPDATE messages SET status = 'sending', price_paise = $1, reason_code = NULL,
             reason_detail = NULL, updated_at = $2 WHERE sid = $3`,
          [pricePaise, now, sid],
        );
        await q.run(TRANSITION, [sid, 'sending', now, null, null]);
        return { ok: true, balanceAfterPaise } as const;
      });
    },

    async markSending(sid, owner) {
      const now = db.now();
      // One statement: the move and its transition commit together.
      const row = await db.get(
        `WITH u AS (
           UPDATE messages SET status = 'sending', reason_code = NULL, reason_detail = NULL,
             updated_at = $1
           WHERE sid = $2 AND lease_owner = $3 AND status = 'queued' AND price_paise IS NOT NULL
           RETURNING sid),
         t AS (INSERT INTO message_transitions (message_sid, status, at) SELECT sid, 'sending', $1 FROM u)
         SELECT count(*) AS n FROM u`,
        [now, sid, owner],
      );
      return Number(row!.n) > 0;
    },

    async markSubmitted(sid, owner, carrier, carrierMessageIds) {
      return db.tx(async (q) => {
        const now = db.now();
        const row = await q.get(
          `UPDATE messages SET status = 'submitted', carrier = $1, carrier_message_ids = $2,
             submitted_at = $3, lease_owner = NULL, lease_until = NULL, reason_code = NULL,
             reason_detail = NULL, updated_at = $3
           WHERE sid = $4 AND lease_owner = $5 AND status = 'sending' RETURNING *`,
          [carrier, JSON.stringify(carrierMessageIds), now, sid, owner],
        );
        if (!row) return undefined;
        let finalParts = 0;
        await q.run(TRANSITION, [sid, 'submitted', now, null, null]);
        for (const [seq, id] of carrierMessageIds.entries()) {
          const linked = (await q.get(LINK_PART, [carrier, id, sid, seq, now])) as Row;
          if (linked.final === true) finalParts++;
          // A receipt that came first was also kept under its alternate IDs; those go now.
          if (linked.pending_group !== null) {
            await q.run(
              'DELETE FROM message_parts WHERE pending_group = $1 AND message_sid IS NULL',
              [linked.pending_group],
            );
          }
        }
        // A receipt for one of these parts that commits meanwhile settles the message itself.
        const settled =
          finalParts === carrierMessageIds.length ? await settleIfComplete(q, sid, now) : undefined;
        return settled ?? messageFromRow(row, c);
      });
    },

    async requeue(sid, owner, nextAttemptAt, code, detail) {
      await db.tx(async (q) => {
        const now = db.now();
        const m = await q.get(
          `SELECT status FROM messages
           WHERE sid = $1 AND lease_owner = $2 AND status IN ('queued', 'sending') FOR UPDATE`,
          [sid, owner],
        );
        if (!m) return;
        await q.run(
          `UPDATE messages SET status = 'queued', next_attempt_at = $1, lease_owner = NULL,
             lease_until = NULL, reason_code = $2, reason_detail = $3, updated_at = $4 WHERE sid = $5`,
          [nextAttemptAt, code, detail, now, sid],
        );
        if (m.status === 'sending') await q.run(TRANSITION, [sid, 'queued', now, code, detail]);
      });
    },

    async fail(sid, owner, code, detail, opts = {}) {
      return db.tx(async (q) => {
        const now = db.now();
        const m = await q.get(
          'SELECT account_sid, status, price_paise, lease_owner FROM messages WHERE sid = $1 FOR UPDATE',
          [sid],
        );
        if (!m || FINAL_STATUSES.includes(m.status as MessageStatus)) return undefined;
        if (owner !== null && m.lease_owner !== owner) return undefined;
        const price = m.price_paise === null ? 0 : Number(m.price_paise);
        if (opts.refund && price > 0) {
          const accountSid = m.account_sid as string;
          const account = await q.get(
            'UPDATE accounts SET balance_paise = balance_paise + $1 WHERE sid = $2 RETURNING balance_paise',
            [price, accountSid],
          );
          await writeLedger(
            q,
            {
              accountSid,
              messageSid: sid,
              kind: 'refund',
              amountPaise: price,
              balanceAfterPaise: Number(account!.balance_paise),
              note: code,
            },
            now,
          );
          await q.run('UPDATE messages SET price_paise = 0 WHERE sid = $1', [sid]);
        }
        return finish(q, sid, 'failed', code, detail, now);
      });
    },

    async release(sid, owner) {
      const now = db.now();
      await db.run(
        `UPDATE messages SET lease_owner = NULL, lease_until = NULL, next_attempt_at = $1,
           attempts = greatest(attempts - 1, 0), updated_at = $1
         WHERE sid = $2 AND lease_owner = $3 AND status IN ('queued', 'sending')`,
        [now, sid, owner],
      );
    },

    async applyReceipt(r) {
      return db.tx(async (q) => {
        const now = db.now();
        const ids = [...new Set([r.carrierMessageId, ...(r.alternateIds ?? [])])];
        const found = await q.all(
          `SELECT carrier_message_id, message_sid, final FROM message_parts
           WHERE carrier = $1 AND carrier_message_id = ANY($2::text[]) AND message_sid IS NOT NULL
           FOR UPDATE`,
          [r.carrier, ids],
        );
        const part = ids.map((id) => found.find((p) => p.carrier_message_id === id)).find(Boolean);
        if (part) {
          const sid = part.message_sid as string;
          if (part.final === true) return { applied: false, message: await getMessage(q, sid) };
          await q.run(
            `UPDATE message_parts SET state = $1, final = $2, error_code = $3, updated_at = $4
             WHERE carrier = $5 AND carrier_message_id = $6`,
            [r.state, r.final, r.errorCode, r.receivedAt, r.carrier, part.carrier_message_id],
          );
          const settled = r.final ? await settleIfComplete(q, sid, now) : undefined;
          return { applied: true, message: settled ?? (await getMessage(q, sid)) };
        }
        // Its submit_sm_resp has not been recorded yet: keep it for markSubmitted. If that commits
        // while this runs, the upsert waits for it and lands on the recorded part instead.
        let linkedSid: string | null = null;
        for (const id of ids) {
          const row = await q.get(PENDING_RECEIPT, [
            r.carrier,
            id,
            r.state,
            r.final,
            r.errorCode,
            r.carrierMessageId,
            r.receivedAt,
          ]);
          if (row?.message_sid) {
            linkedSid = row.message_sid as string;
            break;
          }
        }
        if (linkedSid === null) return { applied: false };
        await q.run('DELETE FROM message_parts WHERE pending_group = $1 AND message_sid IS NULL', [
          r.carrierMessageId,
        ]);
        const settled = r.final ? await settleIfComplete(q, linkedSid, now) : undefined;
        return { applied: true, message: settled ?? (await getMessage(q, linkedSid)) };
      });
    },
  };
}
