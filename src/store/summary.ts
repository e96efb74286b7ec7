/**
 * The SMS summary report in SQL, shared by both adapters: one builder writes the three queries
 * (totals, failures by reason, delivery latency percentiles) for either dialect, and one
 * function assembles their rows. Everything is computed in the database, so the report costs the
 * same memory for ten messages or ten million.
 *
 * Glossary:
 * - bucket key: the group a message falls in. For `day` and `hour` it is the number of local days
 *   (hours) since the epoch, local meaning shifted by the account's UTC offset, given as offset
 *   segments so a zone with daylight saving stays right across its changes.
 * - latency: doneAt − createdAt of a delivered message (queued to delivered), in milliseconds;
 *   median and p95 use the nearest-rank method (the value at rank ⌈p·n⌉).
 */

import { messageFilterConditions } from './sql/message-filter.ts';
import { MESSAGE_STATUSES, type MessageFilter, type MessageStatus } from './types.ts';

export const SUMMARY_GROUPS = [
  'day',
  'hour',
  'status',
  'reason',
  'template',
  'sender',
  'flow',
  'smsType',
  'carrier',
] as const;
export type SummaryGroup = (typeof SUMMARY_GROUPS)[number];

export interface OffsetSegment {
  /** From this instant (epoch ms) on, until the next segment... */
  fromMs: number;
  /** ...local time is UTC plus this, in ms. */
  offsetMs: number;
}

export interface MessageSummaryQuery {
  /** since ≤ createdAt < until, and the other filters of the message list. */
  filter: MessageFilter & { since: Date; until: Date };
  /** null: one row for everything. */
  groupBy: SummaryGroup | null;
  /** For day and hour: the UTC offsets over [since, until), oldest first; the first applies before its fromMs too. */
  offsets?: OffsetSegment[];
}

export interface MessageSummaryRow {
  /**
   * The group: for day/hour the local day or hour number since the epoch (as a string of
   * digits), otherwise the value (null for messages without one, e.g. no reason, no flow).
   */
  key: string | null;
  messages: number;
  segments: number;
  /** Sum of debited prices net of refunds. */
  costPaise: number;
  byStatus: Record<MessageStatus, number>;
  /** Reason codes of failed and undelivered messages. */
  failedByReason: Record<string, number>;
  latencyMedianMs: number | null;
  latencyP95Ms: number | null;
}

type Dialect = 'sqlite' | 'postgres';

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/** Builds the summary's three queries for one dialect. */
export function summaryQueries(
  dialect: Dialect,
  accountSid: string,
  q: MessageSummaryQuery,
): { totals: SqlQuery; reasons: SqlQuery; latency: SqlQuery } {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    // Numbered (the SQLite port reads $n as ?n): a key expression appears twice in the latency query.
    return `$${params.length}`;
  };
  const time = (d: Date) => (dialect === 'sqlite' ? d.getTime() : d);
  const ms =
    dialect === 'sqlite' ? 'created_at' : 'floor(extract(epoch from created_at) * 1000)::bigint';
  const latency =
    dialect === 'sqlite'
      ? '(done_at - created_at)'
      : 'floor(extract(epoch from (done_at - created_at)) * 1000)::bigint';

  // Each query binds its own parameters: build the shared parts per query.
  const build = (select: (key: string) => string, extraWhere: string, tail: string): SqlQuery => {
    params.length = 0;
    const key = keyExpression(dialect, q, ms, p);
    const where = [`account_sid = ${p(accountSid)}`];
    // The period is required here, so since and until are always set.
    where.push(...messageFilterConditions(q.filter, p, time));
    if (extraWhere) where.push(extraWhere);
    const sql = `${select(key)} FROM messages WHERE ${where.join(' AND ')} ${tail}`;
    return { sql, params: [...params] };
  };

  const statusSums = MESSAGE_STATUSES.map(
    (s) => `sum(CASE WHEN status = '${s}' THEN 1 ELSE 0 END) AS n_${s}`,
  ).join(', ');
  const totals = build(
    (key) =>
      `SELECT ${key} AS k, count(*) AS messages, sum(segments) AS segments,
        coalesce(sum(price_paise), 0) AS cost, ${statusSums}`,
    '',
    'GROUP BY k',
  );
  const reasons = build(
    (key) => `SELECT ${key} AS k, reason_code AS reason, count(*) AS n`,
    "status IN ('failed', 'undelivered')",
    'GROUP BY k, reason_code',
  );
  // Nearest rank: rank ⌈n/2⌉ = (n + 1) / 2 and ⌈0.95·n⌉ = (95n + 99) / 100 in integer division.
  const ranked = build(
    (key) =>
      `SELECT ${key} AS k, ${latency} AS lat,
        row_number() OVER (PARTITION BY ${key} ORDER BY ${latency}) AS rn,
        count(*) OVER (PARTITION BY ${key}) AS n`,
    "status = 'delivered' AND done_at IS NOT NULL",
    '',
  );
  const latencyQuery: SqlQuery = {
    sql: `SELECT k, max(CASE WHEN rn = (n + 1) / 2 THEN lat END) AS median,
        max(CASE WHEN rn = (95 * n + 99) / 100 THEN lat END) AS p95
      FROM (${ranked.sql}) ranked GROUP BY k`,
    params: ranked.params,
  };
  return { totals, reasons, latency: latencyQuery };
}

function keyExpression(
  dialect: Dialect,
  q: MessageSummaryQuery,
  ms: string,
  p: (value: unknown) => string,
): string {
  switch (q.groupBy) {
    case null:
      // Constant within the query (it is filtered by account): one group.
      return 'account_sid';
    case 'status':
      return 'status';
    case 'reason':
      return 'reason_code';
    case 'template':
      return 'dlt_template_id';
    case 'sender':
      return 'sender_id';
    case 'flow':
      return 'flow_id';
    case 'smsType':
      return 'sms_type';
    case 'carrier':
      return 'carrier';
    case 'day':
    case 'hour': {
      const unit = q.groupBy === 'day' ? 86_400_000 : 3_600_000;
      const segments = q.offsets?.length ? q.offsets : [{ fromMs: 0, offsetMs: 0 }];
      // Integers, so the division below is an integer one: node:sqlite binds numbers as REAL, and
      // PostgreSQL cannot infer the type of a bare parameter inside CASE.
      const int = (value: number) =>
        dialect === 'postgres' ? `${p(value)}::bigint` : `CAST(${p(value)} AS INTEGER)`;
      // A CASE over the offset segments: the offset in force when the message was created.
      let offset = int(segments[0]!.offsetMs);
      if (segments.length > 1) {
        const whens = segments
          .slice(1)
          .reverse()
          .map((s) => `WHEN ${ms} >= ${int(s.fromMs)} THEN ${int(s.offsetMs)}`);
        offset = `CASE ${whens.join(' ')} ELSE ${offset} END`;
      }
      // Times are after 1970, so integer division is floor division.
      return `((${ms} + ${offset}) / ${unit})`;
    }
  }
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const keyOf = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Joins the rows of the three queries into one row per group, in the order of `totals`. */
export function assembleSummary(
  totals: Row[],
  reasons: Row[],
  latency: Row[],
): MessageSummaryRow[] {
  const rows = new Map<string | null, MessageSummaryRow>();
  for (const r of totals) {
    const byStatus = Object.fromEntries(
      MESSAGE_STATUSES.map((s) => [s, num(r[`n_${s}`])]),
    ) as Record<MessageStatus, number>;
    rows.set(keyOf(r.k), {
      key: keyOf(r.k),
      messages: num(r.messages),
      segments: num(r.segments),
      costPaise: num(r.cost),
      byStatus,
      failedByReason: {},
      latencyMedianMs: null,
      latencyP95Ms: null,
    });
  }
  for (const r of reasons) {
    const row = rows.get(keyOf(r.k));
    if (row) row.failedByReason[keyOf(r.reason) ?? 'UNKNOWN'] = num(r.n);
  }
  for (const r of latency) {
    const row = rows.get(keyOf(r.k));
    if (!row) continue;
    row.latencyMedianMs = r.median === null || r.median === undefined ? null : Number(r.median);
    row.latencyP95Ms = r.p95 === null || r.p95 === undefined ? null : Number(r.p95);
  }
  return [...rows.values()];
}
