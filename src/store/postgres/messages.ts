/** Writing the outbox row on PostgreSQL, batched into shared statements (reading is sql/messages.ts). */

import { CallflowError } from '../../errors.ts';
import { isSameMessage, queuedMessage } from '../queued-message.ts';
import { pgCodec as c, messageFromRow, newMessageValues, originColumns } from '../rows.ts';
import type { Message, MessageQueriesRepo, NewMessage } from '../types.ts';
import { type Batches, createBatcher, inDoubtUnlessRefused, type Outcome } from './batch.ts';
import type { PgDb, Queryable } from './db.ts';

// One statement writes the row and its first transition, so no transaction round trips are needed.
const INSERT = `WITH m AS (
    INSERT INTO messages (sid, account_sid, origin_kind, call_sid, flow_id, applet_id, to_number,
      sender_id, body, sms_type, dlt_entity_id, dlt_template_id, encoding, segments, status_callback,
      callback_format, custom_field, idempotency_key, request_hash, valid_until, status,
      next_attempt_at, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
      $20, 'queued', $21, $21, $21)
    ON CONFLICT DO NOTHING RETURNING sid),
  t AS (INSERT INTO message_transitions (message_sid, status, at) SELECT sid, 'queued', $21 FROM m)
  SELECT sid, pg_notify($22, '') FROM m`;

export const TRANSITION = `INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
  VALUES ($1, $2, $3, $4, $5)`;

async function insertRow(q: Queryable, accountSid: string, params: unknown[]) {
  try {
    return await q.get(INSERT, params);
  } catch (error) {
    // 23503 foreign_key_violation: the account does not exist.
    if ((error as { code?: string }).code === '23503') {
      throw new CallflowError('NOT_FOUND', `No account ${accountSid}.`);
    }
    throw error;
  }
}

async function insertOne(q: Queryable, m: NewMessage, now: Date, wake: string) {
  const row = await insertRow(q, m.accountSid, [...newMessageValues(m, (at) => at), now, wake]);
  // Built from the input rather than read back with RETURNING * (as on SQLite; see
  // queued-message.ts): the row returned only says that it was written.
  if (row) return { message: queuedMessage(m, now.getTime()), created: true };
  const same = await q.get('SELECT * FROM messages WHERE sid = $1', [m.sid]);
  if (same && isSameMessage(messageFromRow(same, c), m)) {
    return { message: messageFromRow(same, c), created: true };
  }
  const existing =
    m.idempotencyKey === null
      ? undefined
      : await q.get('SELECT * FROM messages WHERE account_sid = $1 AND idempotency_key = $2', [
          m.accountSid,
          m.idempotencyKey,
        ]);
  if (!existing) throw new CallflowError('CONFLICT', `Message ${m.sid} already exists.`);
  return { message: messageFromRow(existing, c), created: false };
}

/**
 * The inserts of one batch (see batch.ts) in one statement, so one commit. Rows that it skips
 * (their sid or idempotency key is taken, or their account is unknown) are answered one by one
 * afterwards, exactly as a lone insert would be. The accounts are checked here, rather than left
 * to the foreign key, so that one request for an unknown account does not fail the statement.
 */
const INSERT_MANY = `WITH d AS (
    SELECT * FROM json_to_recordset($1::json) AS d(sid text, account_sid text,
      origin_kind text, call_sid text, flow_id text, applet_id text, to_number text,
      sender_id text, body text, sms_type text, dlt_entity_id text, dlt_template_id text,
      encoding text, segments integer, status_callback text, callback_format text,
      custom_field text, idempotency_key text, request_hash text, valid_until timestamptz,
      at timestamptz)),
  m AS (
    INSERT INTO messages (sid, account_sid, origin_kind, call_sid, flow_id, applet_id, to_number,
      sender_id, body, sms_type, dlt_entity_id, dlt_template_id, encoding, segments,
      status_callback, callback_format, custom_field, idempotency_key, request_hash, valid_until,
      status, next_attempt_at, created_at, updated_at)
    SELECT sid, account_sid, origin_kind, call_sid, flow_id, applet_id, to_number, sender_id, body,
      sms_type, dlt_entity_id, dlt_template_id, encoding, segments, status_callback,
      callback_format, custom_field, idempotency_key, request_hash, valid_until, 'queued', at, at,
      at
    FROM d WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.sid = d.account_sid)
    ON CONFLICT DO NOTHING RETURNING sid, created_at),
  t AS (INSERT INTO message_transitions (message_sid, status, at)
    SELECT sid, 'queued', created_at FROM m)
  SELECT sid, pg_notify($2, '') FROM m`;

type Inserted = { message: Message; created: boolean };
type InsertCall = { m: NewMessage; now: Date };

async function insertBatch(
  db: PgDb,
  calls: InsertCall[],
  wake: string,
): Promise<Outcome<Inserted>[]> {
  const rows = calls.map(({ m, now }) => {
    const [originKind, callSid, flowId, appletId] = originColumns(m.origin);
    return {
      sid: m.sid,
      account_sid: m.accountSid,
      origin_kind: originKind,
      call_sid: callSid,
      flow_id: flowId,
      applet_id: appletId,
      to_number: m.to,
      sender_id: m.senderId,
      body: m.body,
      sms_type: m.smsType,
      dlt_entity_id: m.dltEntityId,
      dlt_template_id: m.dltTemplateId,
      encoding: m.encoding,
      segments: m.segments,
      status_callback: m.statusCallback,
      callback_format: m.callbackFormat,
      custom_field: m.customField,
      idempotency_key: m.idempotencyKey,
      request_hash: m.requestHash,
      valid_until: m.validUntil,
      at: now,
    };
  });
  const written = new Set(
    (await inDoubtUnlessRefused(db.all(INSERT_MANY, [JSON.stringify(rows), wake]))).map(
      (r) => r.sid as string,
    ),
  );
  const outcomes: Outcome<Inserted>[] = [];
  for (const { m, now } of calls) {
    if (written.has(m.sid)) {
      outcomes.push({
        ok: true,
        value: { message: queuedMessage(m, now.getTime()), created: true },
      });
      continue;
    }
    try {
      outcomes.push({ ok: true, value: await insertOne(db, m, now, wake) });
    } catch (error) {
      outcomes.push({ ok: false, error });
    }
  }
  return outcomes;
}

/**
 * `batches` collects this repo's batchers, for the store to drain before it closes; `wake` is the
 * PostgreSQL channel of the `messages` notification, sent by the insert statements themselves.
 */
export function pgMessageInserts(
  db: PgDb,
  batches: Batches,
  wake: string,
): Pick<MessageQueriesRepo, 'insert' | 'insertMany'> {
  // Concurrent API requests share one INSERT (and one commit). Calls with the same sid or
  // idempotency key go in different batches, one after the other, as they would alone.
  const insert = createBatcher<InsertCall, Inserted>({
    max: 500,
    keys: ({ m }) =>
      m.idempotencyKey === null
        ? [`s:${m.sid}`]
        : [`s:${m.sid}`, `k:${m.accountSid}\0${m.idempotencyKey}`],
    many: (calls) => insertBatch(db, calls, wake),
    one: ({ m, now }) => insertOne(db, m, now, wake),
  });
  batches.push(insert);

  return {
    async insert(m) {
      return insert({ m, now: db.now() });
    },
    async insertMany(ms) {
      const now = db.now();
      return db.tx(async (q) => {
        const results = [];
        for (const m of ms) results.push(await insertOne(q, m, now, wake));
        return results;
      });
    },
  };
}
