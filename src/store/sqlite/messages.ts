/** Messages on SQLite: writing the outbox row, reading and listing messages, counts. */

import type { SQLInputValue } from 'node:sqlite';
import { CallflowError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { isSameMessage, queuedMessage } from '../queued-message.ts';
import {
  sqliteCodec as c,
  messageFromRow,
  originColumns,
  partFromRow,
  type Row,
  transitionFromRow,
} from '../rows.ts';
import type { MessageQueriesRepo, MessageStatus, NewMessage } from '../types.ts';
import type { SqliteDb } from './db.ts';

const INSERT = `INSERT INTO messages (sid, account_sid, origin_kind, call_sid, flow_id, applet_id,
    to_number, sender_id, body, sms_type, dlt_entity_id, dlt_template_id, encoding, segments,
    status_callback, callback_format, custom_field, idempotency_key, request_hash, valid_until,
    status, next_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
  ON CONFLICT DO NOTHING`;

export const TRANSITION = `INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
  VALUES (?, ?, ?, ?, ?)`;

export function sqliteMessageQueries(db: SqliteDb): MessageQueriesRepo {
  /** Whether the row was written (false: a row with its sid or idempotency key exists). */
  function insertRow(accountSid: string, ...params: SQLInputValue[]): boolean {
    try {
      return db.run(INSERT, ...params) === 1;
    } catch (error) {
      // 787 SQLITE_CONSTRAINT_FOREIGNKEY: the account does not exist.
      if ((error as { errcode?: number }).errcode === 787) {
        throw new CallflowError('NOT_FOUND', `No account ${accountSid}.`);
      }
      throw error;
    }
  }

  function insertOne(m: NewMessage, now: number) {
    const [originKind, callSid, flowId, appletId] = originColumns(m.origin);
    const inserted = insertRow(
      m.accountSid,
      m.sid,
      m.accountSid,
      originKind,
      callSid,
      flowId,
      appletId,
      m.to,
      m.senderId,
      m.body,
      m.smsType,
      m.dltEntityId,
      m.dltTemplateId,
      m.encoding,
      m.segments,
      m.statusCallback,
      m.callbackFormat,
      m.customField,
      m.idempotencyKey,
      m.requestHash,
      m.validUntil.getTime(),
      now,
      now,
      now,
    );
    if (inserted) {
      db.run(TRANSITION, m.sid, 'queued', now, null, null);
      // Built from the input, not read back with RETURNING * (see queued-message.ts).
      return { message: queuedMessage(m, now), created: true };
    }
    const same = db.get('SELECT * FROM messages WHERE sid = ?', m.sid);
    if (same && isSameMessage(messageFromRow(same, c), m)) {
      return { message: messageFromRow(same, c), created: true };
    }
    const existing =
      m.idempotencyKey === null
        ? undefined
        : db.get(
            'SELECT * FROM messages WHERE account_sid = ? AND idempotency_key = ?',
            m.accountSid,
            m.idempotencyKey,
          );
    if (!existing) throw new CallflowError('CONFLICT', `Message ${m.sid} already exists.`);
    return { message: messageFromRow(existing, c), created: false };
  }

  return {
    async insert(m) {
      return db.group(() => insertOne(m, db.now()));
    },

    async insertMany(ms) {
      return db.tx(() => {
        const now = db.now();
        return ms.map((m) => insertOne(m, now));
      });
    },

    async get(accountSid, sid) {
      const row = db.get(
        'SELECT * FROM messages WHERE sid = ? AND account_sid = ?',
        sid,
        accountSid,
      );
      return row && messageFromRow(row, c);
    },

    async getBySid(sid) {
      const row = db.get('SELECT * FROM messages WHERE sid = ?', sid);
      return row && messageFromRow(row, c);
    },

    async list(accountSid, filter, cursor, limit) {
      const where = ['account_sid = ?'];
      const params: (string | number)[] = [accountSid];
      const eq = (column: string, value: string | undefined) => {
        if (value === undefined) return;
        where.push(`${column} = ?`);
        params.push(value);
      };
      eq('status', filter.status);
      eq('to_number', filter.to);
      eq('sender_id', filter.from);
      eq('call_sid', filter.callSid);
      eq('flow_id', filter.flowId);
      eq('sms_type', filter.smsType);
      eq('dlt_template_id', filter.dltTemplateId);
      if (filter.since) {
        where.push('created_at >= ?');
        params.push(filter.since.getTime());
      }
      if (filter.until) {
        where.push('created_at < ?');
        params.push(filter.until.getTime());
      }
      if (cursor !== null) {
        const after = decodeCursor(cursor);
        where.push('(created_at, sid) < (?, ?)');
        params.push(after.createdAtMs, after.sid);
      }
      const rows = db.all(
        `SELECT * FROM messages WHERE ${where.join(' AND ')}
         ORDER BY created_at DESC, sid DESC LIMIT ?`,
        ...params,
        limit + 1,
      );
      const items = rows.slice(0, limit).map((r) => messageFromRow(r, c));
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.sid) : null,
      };
    },

    async transitions(sid) {
      return db
        .all('SELECT * FROM message_transitions WHERE message_sid = ? ORDER BY id', sid)
        .map((r) => transitionFromRow(r, c));
    },

    async parts(sid) {
      return db
        .all('SELECT * FROM message_parts WHERE message_sid = ? ORDER BY seq', sid)
        .map((r) => partFromRow(r, c));
    },

    async stats() {
      const byStatus: Record<MessageStatus, number> = {
        queued: 0,
        sending: 0,
        submitted: 0,
        delivered: 0,
        undelivered: 0,
        failed: 0,
      };
      for (const r of db.all('SELECT status, count(*) AS n FROM messages GROUP BY status')) {
        byStatus[r.status as MessageStatus] = Number(r.n);
      }
      const due = db.get(
        `SELECT count(*) AS n, min(next_attempt_at) AS oldest FROM messages
         WHERE status IN ('queued', 'sending') AND next_attempt_at <= ?`,
        db.now(),
      ) as Row;
      return {
        byStatus,
        due: Number(due.n),
        oldestDueAt: due.oldest === null ? null : c.date(due.oldest),
      };
    },
  };
}
