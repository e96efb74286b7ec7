/** Writing the outbox row on SQLite, with group commit (reading messages is sql/messages.ts). */

import type { SQLInputValue } from 'node:sqlite';
import { CallflowError } from '../../errors.ts';
import { isSameMessage, queuedMessage } from '../queued-message.ts';
import { sqliteCodec as c, messageFromRow, newMessageValues } from '../rows.ts';
import type { MessageQueriesRepo, NewMessage } from '../types.ts';
import type { SqliteDb } from './db.ts';

const INSERT = `INSERT INTO messages (sid, account_sid, origin_kind, call_sid, flow_id, applet_id,
    to_number, sender_id, body, sms_type, dlt_entity_id, dlt_template_id, encoding, segments,
    status_callback, callback_format, custom_field, idempotency_key, request_hash, valid_until,
    status, next_attempt_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)
  ON CONFLICT DO NOTHING`;

export const TRANSITION = `INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
  VALUES (?, ?, ?, ?, ?)`;

export function sqliteMessageInserts(
  db: SqliteDb,
): Pick<MessageQueriesRepo, 'insert' | 'insertMany'> {
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
    const inserted = insertRow(
      m.accountSid,
      ...(newMessageValues(m, (at) => at.getTime()) as SQLInputValue[]),
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
  };
}
