/**
 * The message outbox on PostgreSQL: claiming due messages with FOR UPDATE SKIP LOCKED, the debit,
 * the moves between states, and delivery receipts. Every state change writes its transition and,
 * when the message ends, its status-callback job, in the same transaction.
 *
 * Concurrency: a debit (one or a batch) reads the balance with the account's row locked, and
 * writes it before the lock is released at commit, so no interleaving can overspend. A message's
 * final status is decided with the message row locked, after its parts are read, so two receipts
 * for two parts that commit at once cannot both miss the other.
 *
 * markSubmitted and applyReceipt calls that come together are written in batches (batch.ts), one
 * transaction each, with the same guarantees as one call alone: each submit is checked against its
 * own lease; messages are locked in sid order and parts in (carrier, ID) order, a receipt batch
 * locking its parts before their messages as a lone receipt does, so batches cannot deadlock one
 * another; a receipt whose part is not recorded yet is kept, and the batch that records the part
 * applies it. Within a batch the calls are decided in their order, exactly as one after the other.
 */

import { randomUUID } from 'node:crypto';
import type { ReasonCode } from '../../errors.ts';
import { awaitsReceipts, messageOutcome } from '../receipts.ts';
import { pgCodec as c, messageFromRow, type Row } from '../rows.ts';
import {
  type DebitResult,
  FINAL_STATUSES,
  type Message,
  type MessageOutboxRepo,
  type MessageStatus,
  type PartState,
  type ReceiptInput,
} from '../types.ts';
import { writeLedger } from './accounts.ts';
import { type Batches, batchTx, createBatcher, type Outcome, RetryBatch } from './batch.ts';
import type { PgDb, Queryable } from './db.ts';
import { TRANSITION } from './messages.ts';

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

const UPDATE_PART = `WITH u AS (
    UPDATE message_parts SET state = $1, final = $2, error_code = $3, updated_at = $4
    WHERE carrier = $5 AND carrier_message_id = $6 RETURNING 1)
  SELECT * FROM messages WHERE sid = $7`;
const UPDATE_PART_LOCK_MESSAGE = `${UPDATE_PART} FOR UPDATE`;

const awaitsReceiptsRow = (row: Row | undefined) =>
  row !== undefined &&
  awaitsReceipts({ status: row.status as string, reasonCode: row.reason_code as string | null });

const getMessage = async (q: Queryable, sid: string) => {
  const row = await q.get('SELECT * FROM messages WHERE sid = $1', [sid]);
  return row && messageFromRow(row, c);
};

// A message's move to a final status, its transition and its callback job, in one statement. A
// message ends once, except that a late receipt settles one the receipt timeout ended: its
// callback is then sent again, with what the receipt said.
const FINISH = `WITH m AS (
    UPDATE messages SET status = $1::text, reason_code = $2::text, reason_detail = $3::text,
      done_at = $4::timestamptz, lease_owner = NULL, lease_until = NULL, updated_at = $4::timestamptz
    WHERE sid = $5 RETURNING *),
  t AS (
    INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
    SELECT sid, $1::text, $4::timestamptz, $2::text, $3::text FROM m),
  cb AS (
    INSERT INTO callbacks (id, account_sid, message_sid, url, format, attempts, next_attempt_at,
      status, created_at)
    SELECT $6::text, account_sid, sid, status_callback, callback_format, 0, $4::timestamptz,
      'pending', $4::timestamptz
    FROM m WHERE status_callback IS NOT NULL
    ON CONFLICT (message_sid) DO UPDATE SET status = 'pending', attempts = 0,
      next_attempt_at = excluded.next_attempt_at, last_error = NULL, lease_owner = NULL,
      lease_until = NULL)
  SELECT * FROM m`;

/** Moves a message to a final status, with its transition and callback job; returns it. */
async function finish(
  q: Queryable,
  sid: string,
  status: MessageStatus,
  code: ReasonCode | null,
  detail: string | null,
  now: Date,
): Promise<Message> {
  const row = await q.get(FINISH, [status, code, detail, now, sid, randomUUID()]);
  return messageFromRow(row!, c);
}

/**
 * Once every part of a message awaiting receipts is final, the message is too (decided under its
 * row lock).
 */
async function settleIfComplete(
  q: Queryable,
  sid: string,
  now: Date,
  locked?: Row,
): Promise<Message | undefined> {
  const m =
    locked ??
    (await q.get('SELECT status, reason_code FROM messages WHERE sid = $1 FOR UPDATE', [sid]));
  if (!m || !awaitsReceipts({ status: m.status as string, reasonCode: m.reason_code as string }))
    return undefined;
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

/**
 * Writes every successful debit of a batch at once: the balances (one UPDATE per account), a ledger
 * entry per message, the move to `sending` and its transition. It also reports how many rows it
 * moved and whether each balance came out as computed under the locks.
 */
const WRITE_DEBITS = `WITH d AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
      WITH ORDINALITY AS d(sid, account_sid, price, balance_after, ord)),
  m AS (
    UPDATE messages SET status = 'sending', price_paise = d.price, reason_code = NULL,
      reason_detail = NULL, updated_at = $5
    FROM d WHERE messages.sid = d.sid RETURNING messages.sid),
  t AS (
    INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
    SELECT d.sid, 'sending', $5, NULL, NULL FROM d ORDER BY d.ord),
  l AS (
    INSERT INTO ledger (account_sid, message_sid, kind, amount_paise, balance_after_paise, at, note)
    SELECT d.account_sid, d.sid, 'debit', -d.price, d.balance_after, $5, NULL FROM d ORDER BY d.ord),
  a AS (
    UPDATE accounts SET balance_paise = balance_paise - x.total
    FROM unnest($6::text[], $7::bigint[], $8::bigint[]) AS x(sid, total, expected)
    WHERE accounts.sid = x.sid
    RETURNING (accounts.balance_paise = x.expected) AS as_expected)
  SELECT (SELECT count(*) FROM m) AS moved,
    (SELECT count(*) FROM a WHERE as_expected) AS balances`;

/**
 * Debits a batch of claimed messages in one transaction. Locks (in sid order, so two batches
 * cannot deadlock) the messages still queued under this lease, then their accounts' rows, decides
 * in JS, in the items' order, which debits the balance covers (exactly as one debit after the other
 * would), and writes them all in one statement. The account rows are locked FOR NO KEY UPDATE,
 * which does not block the foreign-key checks of concurrent message inserts, from that read to the
 * commit: three round trips and one fsync per batch instead of per message.
 */
async function debitMany(
  db: PgDb,
  owner: string,
  items: { sid: string; pricePaise: number }[],
): Promise<DebitResult[]> {
  if (items.length === 0) return [];
  const sids = items.map((i) => i.sid);
  if (new Set(sids).size !== sids.length) throw new Error('a message appears twice in one debit');
  return db.tx(async (q) => {
    const now = db.now();
    const found = await q.all(
      `SELECT sid, account_sid, price_paise FROM messages
       WHERE sid = ANY($1::text[]) AND lease_owner = $2 AND status = 'queued'
       ORDER BY sid FOR UPDATE`,
      [sids, owner],
    );
    const bySid = new Map(found.map((m) => [m.sid as string, m]));
    for (const m of found) {
      if (m.price_paise !== null) throw new Error(`message ${m.sid} was already debited`);
    }
    if (found.length === 0) return items.map(() => ({ ok: false, code: 'LEASE_LOST' }) as const);
    const accountSids = [...new Set(found.map((m) => m.account_sid as string))].sort();
    const accounts = await q.all(
      'SELECT sid, balance_paise FROM accounts WHERE sid = ANY($1::text[]) ORDER BY sid FOR NO KEY UPDATE',
      [accountSids],
    );
    const balance = new Map(accounts.map((a) => [a.sid as string, Number(a.balance_paise)]));
    const debited = new Map<string, number>();
    const writes = {
      sid: [] as string[],
      account: [] as string[],
      price: [] as number[],
      after: [] as number[],
    };
    const results = items.map((item): DebitResult => {
      const m = bySid.get(item.sid);
      if (!m) return { ok: false, code: 'LEASE_LOST' };
      const accountSid = m.account_sid as string;
      const left = balance.get(accountSid) ?? 0;
      if (left < item.pricePaise) return { ok: false, code: 'INSUFFICIENT_BALANCE' };
      const balanceAfterPaise = left - item.pricePaise;
      balance.set(accountSid, balanceAfterPaise);
      debited.set(accountSid, (debited.get(accountSid) ?? 0) + item.pricePaise);
      writes.sid.push(item.sid);
      writes.account.push(accountSid);
      writes.price.push(item.pricePaise);
      writes.after.push(balanceAfterPaise);
      return { ok: true, balanceAfterPaise };
    });
    if (writes.sid.length === 0) return results;
    const totals = [...debited.entries()];
    const row = await q.get(WRITE_DEBITS, [
      writes.sid,
      writes.account,
      writes.price,
      writes.after,
      now,
      totals.map(([sid]) => sid),
      totals.map(([, total]) => total),
      totals.map(([sid]) => balance.get(sid)!),
    ]);
    // Both hold under the locks taken above; a mismatch is a bug, and throwing rolls it all back.
    if (Number(row!.moved) !== writes.sid.length || Number(row!.balances) !== totals.length) {
      throw new Error('batch debit wrote other rows than it had locked');
    }
    return results;
  });
}

type SubmitCall = { sid: string; owner: string; carrier: string; ids: string[]; now: Date };
type ReceiptCall = { r: ReceiptInput; ids: string[]; now: Date };
type ReceiptResult = { applied: boolean; message?: Message };

const partKey = (carrier: string, id: string) => `p:${carrier}\0${id}`;

/** markSubmitted alone, in its own transaction. */
async function submitOne(db: PgDb, { sid, owner, carrier, ids, now }: SubmitCall) {
  return db.tx(async (q) => {
    const row = await q.get(
      `WITH m AS (
         UPDATE messages SET status = 'submitted', carrier = $1, carrier_message_ids = $2,
           submitted_at = $3, lease_owner = NULL, lease_until = NULL, reason_code = NULL,
           reason_detail = NULL, updated_at = $3
         WHERE sid = $4 AND lease_owner = $5 AND status = 'sending' RETURNING *),
       t AS (INSERT INTO message_transitions (message_sid, status, at)
         SELECT sid, 'submitted', $3 FROM m)
       SELECT * FROM m`,
      [carrier, JSON.stringify(ids), now, sid, owner],
    );
    if (!row) return undefined;
    let finalParts = 0;
    for (const [seq, id] of ids.entries()) {
      const linked = (await q.get(LINK_PART, [carrier, id, sid, seq, now])) as Row;
      if (linked.final === true) finalParts++;
      // A receipt that came first was also kept under its alternate IDs; those go now.
      if (linked.pending_group !== null) {
        await q.run('DELETE FROM message_parts WHERE pending_group = $1 AND message_sid IS NULL', [
          linked.pending_group,
        ]);
      }
    }
    // A receipt for one of these parts that commits meanwhile settles the message itself.
    const settled = finalParts === ids.length ? await settleIfComplete(q, sid, now) : undefined;
    return settled ?? messageFromRow(row, c);
  });
}

/** applyReceipt alone, in its own transaction. */
async function receiptOne(db: PgDb, { r, ids, now }: ReceiptCall): Promise<ReceiptResult> {
  return db.tx(async (q) => {
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
      // The part's update and the message's row (locked when this receipt may end it) in one
      // round trip; the parts are read after the lock, in settleIfComplete.
      const m = await q.get(r.final ? UPDATE_PART_LOCK_MESSAGE : UPDATE_PART, [
        r.state,
        r.final,
        r.errorCode,
        r.receivedAt,
        r.carrier,
        part.carrier_message_id,
        sid,
      ]);
      const settled = r.final ? await settleIfComplete(q, sid, now, m) : undefined;
      return { applied: true, message: settled ?? messageFromRow(m!, c) };
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
}

/**
 * The writes that end a batch: the pending receipts used up ($1, their groups), the parts that
 * receipts changed ($2) and the messages that are now final ($3), each with its transition and
 * callback job. The rows touched are already locked by the batch's transaction.
 */
const SETTLE_MANY = `WITH gone AS (
    DELETE FROM message_parts WHERE pending_group = ANY($1::text[]) AND message_sid IS NULL),
  parts AS (
    UPDATE message_parts p SET state = x.state, final = x.final, error_code = x.error_code,
      updated_at = x.at
    FROM json_to_recordset($2::json) AS x(carrier text, id text, state text, final boolean,
      error_code text, at timestamptz)
    WHERE p.carrier = x.carrier AND p.carrier_message_id = x.id),
  d AS (
    SELECT * FROM json_to_recordset($3::json) AS d(sid text, status text, code text,
      detail text, callback_id text, at timestamptz)),
  m AS (
    UPDATE messages SET status = d.status, reason_code = d.code, reason_detail = d.detail,
      done_at = d.at, lease_owner = NULL, lease_until = NULL, updated_at = d.at
    FROM d WHERE messages.sid = d.sid RETURNING messages.*, d.callback_id),
  t AS (
    INSERT INTO message_transitions (message_sid, status, at, reason_code, detail)
    SELECT sid, status, done_at, reason_code, reason_detail FROM m),
  cb AS (
    INSERT INTO callbacks (id, account_sid, message_sid, url, format, attempts, next_attempt_at,
      status, created_at)
    SELECT callback_id, account_sid, sid, status_callback, callback_format, 0, done_at,
      'pending', done_at
    FROM m WHERE status_callback IS NOT NULL
    ON CONFLICT (message_sid) DO UPDATE SET status = 'pending', attempts = 0,
      next_attempt_at = excluded.next_attempt_at, last_error = NULL, lease_owner = NULL,
      lease_until = NULL)
  SELECT * FROM m`;

type Finish = {
  sid: string;
  status: MessageStatus;
  code: ReasonCode | null;
  detail: string | null;
  callback_id: string;
  at: Date;
};

type PartRow = { seq: number; state: PartState; final: boolean; error_code: string | null };

function finishOf(sid: string, parts: PartRow[], at: Date): Finish {
  const o = messageOutcome(
    [...parts]
      .sort((a, b) => a.seq - b.seq)
      .map((p) => ({ seq: Number(p.seq), state: p.state, errorCode: p.error_code ?? null })),
  );
  return { sid, status: o.status, code: o.code, detail: o.detail, callback_id: randomUUID(), at };
}

/** Runs SETTLE_MANY when there is anything to write; the messages it finished, by sid. */
async function settleMany(
  q: Queryable,
  gone: string[],
  parts: unknown[],
  finishes: Finish[],
): Promise<Map<string, Message>> {
  if (gone.length === 0 && parts.length === 0 && finishes.length === 0) return new Map();
  const rows = await q.all(SETTLE_MANY, [gone, JSON.stringify(parts), JSON.stringify(finishes)]);
  return new Map(rows.map((r) => [r.sid as string, messageFromRow(r, c)]));
}

/**
 * markSubmitted for a batch, in one statement and, when pending receipts were waiting for these
 * parts, one more. The messages are locked in sid order (so batches cannot deadlock), then moved
 * to `submitted` under their owners' leases, and every part is linked, in (carrier, ID) order,
 * as LINK_PART does.
 */
const SUBMIT_MANY = `WITH d AS (
    SELECT * FROM json_to_recordset($1::json) AS d(sid text, owner text, carrier text,
      ids jsonb, at timestamptz)),
  l AS MATERIALIZED (
    SELECT sid FROM messages WHERE sid IN (SELECT sid FROM d) AND status = 'sending'
    ORDER BY sid FOR UPDATE),
  m AS (
    UPDATE messages SET status = 'submitted', carrier = d.carrier, carrier_message_ids = d.ids,
      submitted_at = d.at, lease_owner = NULL, lease_until = NULL, reason_code = NULL,
      reason_detail = NULL, updated_at = d.at
    FROM d WHERE messages.sid = d.sid AND messages.sid IN (SELECT sid FROM l)
      AND messages.lease_owner = d.owner AND messages.status = 'sending'
    RETURNING messages.*),
  t AS (INSERT INTO message_transitions (message_sid, status, at)
    SELECT sid, 'submitted', submitted_at FROM m),
  linked AS (
    INSERT INTO message_parts AS p (carrier, carrier_message_id, message_sid, seq, state, final,
      error_code, pending_group, updated_at)
    SELECT m.carrier, x.id, m.sid, x.n - 1, 'submitted', false, NULL, NULL, m.submitted_at
    FROM m, jsonb_array_elements_text(m.carrier_message_ids) WITH ORDINALITY AS x(id, n)
    ORDER BY m.carrier, x.id
    ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET
      message_sid = excluded.message_sid, seq = excluded.seq, updated_at = excluded.updated_at,
      state = CASE WHEN p.message_sid IS NULL THEN p.state ELSE 'submitted' END,
      final = CASE WHEN p.message_sid IS NULL THEN p.final ELSE false END,
      error_code = CASE WHEN p.message_sid IS NULL THEN p.error_code END
    RETURNING message_sid, seq, state, final, error_code, pending_group)
  SELECT m.*, (SELECT json_agg(linked) FROM linked WHERE linked.message_sid = m.sid) AS parts
  FROM m`;

async function submitMany(db: PgDb, calls: SubmitCall[]): Promise<Outcome<Message | undefined>[]> {
  return batchTx(db, async (q) => {
    const rows = await q.all(SUBMIT_MANY, [
      JSON.stringify(
        calls.map((s) => ({
          sid: s.sid,
          owner: s.owner,
          carrier: s.carrier,
          ids: s.ids,
          at: s.now,
        })),
      ),
    ]);
    const bySid = new Map(rows.map((r) => [r.sid as string, r]));
    const gone = new Set<string>();
    const finishes: Finish[] = [];
    for (const call of calls) {
      const row = bySid.get(call.sid);
      if (!row) continue;
      const parts = (row.parts ?? []) as (PartRow & { pending_group: string | null })[];
      for (const p of parts) {
        if (p.pending_group === null) continue;
        // One early receipt kept under two IDs that two parts of this batch took: alone, the
        // first would have used it up and the second found nothing.
        if (gone.has(p.pending_group)) throw new Error('a pending receipt matched twice');
        gone.add(p.pending_group);
      }
      // Every part is linked, and locked, by this transaction: none can change meanwhile.
      if (parts.length > 0 && parts.every((p) => p.final === true)) {
        finishes.push(finishOf(call.sid, parts, call.now));
      }
    }
    const finished = await settleMany(q, [...gone], [], finishes);
    return calls.map((call) => {
      const row = bySid.get(call.sid);
      const value = row && (finished.get(call.sid) ?? messageFromRow(row, c));
      return { ok: true, value };
    });
  });
}

/** The linked parts among the receipts' IDs, locked in (carrier, ID) order. */
const LOCK_PARTS = `SELECT p.carrier, p.carrier_message_id, p.message_sid, p.final
  FROM message_parts p
  WHERE (p.carrier, p.carrier_message_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
    AND p.message_sid IS NOT NULL
  ORDER BY p.carrier, p.carrier_message_id FOR UPDATE OF p`;

/** Receipts for parts not recorded yet, kept as PENDING_RECEIPT does, in (carrier, ID) order. */
const PENDING_MANY = `INSERT INTO message_parts AS p (carrier, carrier_message_id, message_sid,
    seq, state, final, error_code, pending_group, updated_at)
  SELECT carrier, id, NULL::text, NULL::integer, state, final, error_code, pending_group, at
  FROM json_to_recordset($1::json) AS x(carrier text, id text, state text, final boolean,
    error_code text, pending_group text, at timestamptz)
  ORDER BY carrier, id
  ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET state = excluded.state,
    final = excluded.final, error_code = excluded.error_code, updated_at = excluded.updated_at
  WHERE p.final = false
  RETURNING message_sid`;

/**
 * applyReceipt for a batch, in one transaction: locks the linked parts (in (carrier, ID) order),
 * then their messages (in sid order: parts before messages, as a lone receipt does), reads the
 * parts of every message that a final receipt may end after that lock, and decides each receipt
 * in order, exactly as it would alone; then writes the parts, the final moves and the pending
 * receipts in two statements. A pending receipt that lands on a part that a markSubmitted linked
 * since the parts were locked sends the batch round again (RetryBatch): the part is linked now.
 */
async function receiptMany(db: PgDb, calls: ReceiptCall[]): Promise<Outcome<ReceiptResult>[]> {
  return batchTx(db, async (q) => {
    const carriers: string[] = [];
    const ids: string[] = [];
    for (const { r, ids: forms } of calls) {
      for (const id of forms) {
        carriers.push(r.carrier);
        ids.push(id);
      }
    }
    const found = new Map(
      (await q.all(LOCK_PARTS, [carriers, ids])).map((p) => [
        partKey(p.carrier as string, p.carrier_message_id as string),
        {
          sid: p.message_sid as string,
          id: p.carrier_message_id as string,
          final: p.final === true,
        },
      ]),
    );
    // The part of each receipt: the first of its IDs that is linked.
    const partOf = calls.map(({ r, ids: forms }) =>
      forms.map((id) => found.get(partKey(r.carrier, id))).find(Boolean),
    );
    const sids = [...new Set(partOf.flatMap((p) => (p ? [p.sid] : [])))];
    const messages = new Map(
      sids.length === 0
        ? []
        : (
            await q.all(
              'SELECT * FROM messages WHERE sid = ANY($1::text[]) ORDER BY sid FOR UPDATE',
              [sids],
            )
          ).map((m) => [m.sid as string, m]),
    );
    // Every part of the messages that a receipt may end, read now that their rows are locked.
    const ending = [
      ...new Set(calls.flatMap(({ r }, i) => (r.final && partOf[i] ? [partOf[i].sid] : []))),
    ];
    const partsOf = new Map<string, (PartRow & { key: string })[]>();
    if (ending.length > 0) {
      const rows = await q.all(
        `SELECT message_sid, carrier, carrier_message_id, seq, state, final, error_code
         FROM message_parts WHERE message_sid = ANY($1::text[])`,
        [ending],
      );
      for (const p of rows) {
        const list = partsOf.get(p.message_sid as string) ?? [];
        list.push({
          key: partKey(p.carrier as string, p.carrier_message_id as string),
          seq: Number(p.seq),
          state: p.state as PartState,
          final: p.final === true,
          error_code: (p.error_code as string | null) ?? null,
        });
        partsOf.set(p.message_sid as string, list);
      }
    }

    const writes: unknown[] = [];
    const finishes: Finish[] = [];
    const ended = new Set<string>();
    const pending: ReceiptCall[] = [];
    // Per receipt: its message's sid and whether to answer with the message as this batch ends it.
    const answers = calls.map(
      ({ r, now }, i): { applied: boolean; sid?: string; ended?: boolean } => {
        const part = partOf[i];
        if (!part) {
          pending.push(calls[i]!);
          return { applied: false };
        }
        const key = partKey(r.carrier, part.id);
        if (part.final) return { applied: false, sid: part.sid, ended: ended.has(part.sid) };
        part.final = r.final;
        writes.push({
          carrier: r.carrier,
          id: part.id,
          state: r.state,
          final: r.final,
          error_code: r.errorCode,
          at: r.receivedAt,
        });
        const parts = partsOf.get(part.sid);
        const self = parts?.find((p) => p.key === key);
        if (self) {
          self.state = r.state;
          self.final = r.final;
          self.error_code = r.errorCode;
        }
        if (
          r.final &&
          parts &&
          awaitsReceiptsRow(messages.get(part.sid)) &&
          !ended.has(part.sid) &&
          parts.every((p) => p.final)
        ) {
          finishes.push(finishOf(part.sid, parts, now));
          ended.add(part.sid);
          return { applied: true, sid: part.sid, ended: true };
        }
        return { applied: true, sid: part.sid, ended: false };
      },
    );
    const finished = await settleMany(q, [], writes, finishes);

    if (pending.length > 0) {
      const rows = pending.flatMap(({ r, ids: forms }) =>
        forms.map((id) => ({
          carrier: r.carrier,
          id,
          state: r.state,
          final: r.final,
          error_code: r.errorCode,
          pending_group: r.carrierMessageId,
          at: r.receivedAt,
        })),
      );
      const landed = await q.all(PENDING_MANY, [JSON.stringify(rows)]);
      if (landed.some((row) => row.message_sid !== null)) {
        throw new RetryBatch('a receipt met its part being recorded');
      }
    }

    return answers.map(({ applied, sid, ended: done }) => {
      if (sid === undefined) return { ok: true, value: { applied } };
      const message = done ? finished.get(sid)! : messageFromRow(messages.get(sid)!, c);
      return { ok: true, value: { applied, message } };
    });
  });
}

/** `batches` collects this repo's batchers, for the store to drain before it closes. */
export function pgOutbox(db: PgDb, batches: Batches): MessageOutboxRepo {
  // The delivery worker records submits and receipts one message at a time, many at once: those
  // that come together share a transaction (batch.ts). Two calls for the same message, or the
  // same carrier ID, go in different batches, in their order.
  const submit = createBatcher<SubmitCall, Message | undefined>({
    max: 200,
    keys: (s) => [`m:${s.sid}`, ...s.ids.map((id) => partKey(s.carrier, id))],
    many: (calls) => submitMany(db, calls),
    one: (call) => submitOne(db, call),
  });
  const receipt = createBatcher<ReceiptCall, ReceiptResult>({
    max: 200,
    keys: ({ r, ids }) => ids.map((id) => partKey(r.carrier, id)),
    many: (calls) => receiptMany(db, calls),
    one: (call) => receiptOne(db, call),
    // A receipt that comes while its part's submit is being recorded here waits for it, and then
    // finds the part, rather than being kept as pending by a transaction that races the submit's.
    after: submit,
  });
  batches.push(submit, receipt);

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
      return (await debitMany(db, owner, [{ sid, pricePaise }]))[0]!;
    },

    async debitManyAndMarkSending(owner, items) {
      return debitMany(db, owner, items);
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
      return submit({ sid, owner, carrier, ids: carrierMessageIds, now: db.now() });
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
      const ids = [...new Set([r.carrierMessageId, ...(r.alternateIds ?? [])])];
      return receipt({ r, ids, now: db.now() });
    },

    async endAwaitingReceipts(before, limit, detail) {
      return db.tx(async (q) => {
        const now = db.now();
        // Locked and skipped when locked: a receipt settling one of them now wins.
        const due = await q.all(
          `SELECT sid FROM messages WHERE status = 'submitted' AND submitted_at < $1
           ORDER BY submitted_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [before, limit],
        );
        const ended: Message[] = [];
        for (const row of due) {
          ended.push(
            await finish(q, row.sid as string, 'undelivered', 'RECEIPT_TIMEOUT', detail, now),
          );
        }
        return ended;
      });
    },

    async purgeUnmatchedReceipts(before, limit) {
      return db.run(
        `DELETE FROM message_parts WHERE (carrier, carrier_message_id) IN (
           SELECT carrier, carrier_message_id FROM message_parts
           WHERE message_sid IS NULL AND updated_at < $1 LIMIT $2)
         AND message_sid IS NULL`,
        [before, limit],
      );
    },
  };
}
