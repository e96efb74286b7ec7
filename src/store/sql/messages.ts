/**
 * Reading messages (one, a filtered page, their transitions and parts, counts) and the SMS summary,
 * written once for both dialects (port.ts). Writing the outbox row stays per dialect: each has its
 * own group commit (`<dialect>/messages.ts`).
 */

import { messageFromRow, partFromRow, transitionFromRow } from '../rows.ts';
import { assembleSummary, summaryQueries } from '../summary.ts';
import {
  MESSAGE_STATUSES,
  type MessageQueriesRepo,
  type MessageStatus,
  type MessagesRepo,
} from '../types.ts';
import { messageFilterConditions } from './message-filter.ts';
import { newestFirstPage } from './page.ts';
import type { SqlPort } from './port.ts';

export type MessageReads = Omit<MessageQueriesRepo, 'insert' | 'insertMany'> &
  Pick<MessagesRepo, 'summarize'>;

export function sqlMessageReads(port: SqlPort): MessageReads {
  const c = port.codec;
  return {
    async get(accountSid, sid) {
      const row = await port.get('SELECT * FROM messages WHERE sid = $1 AND account_sid = $2', [
        sid,
        accountSid,
      ]);
      return row && messageFromRow(row, c);
    },

    async getBySid(sid) {
      const row = await port.get('SELECT * FROM messages WHERE sid = $1', [sid]);
      return row && messageFromRow(row, c);
    },

    list: (accountSid, filter, cursor, limit) =>
      newestFirstPage(port, {
        table: 'messages',
        timeColumn: 'created_at',
        conditions: (p) => [
          `account_sid = ${p(accountSid)}`,
          ...messageFilterConditions(filter, p, port.time),
        ],
        cursor,
        limit,
        fromRow: (r) => messageFromRow(r, c),
        timeOf: (m) => m.createdAt,
      }),

    async transitions(sid) {
      const rows = await port.all(
        'SELECT * FROM message_transitions WHERE message_sid = $1 ORDER BY id',
        [sid],
      );
      return rows.map((r) => transitionFromRow(r, c));
    },

    async parts(sid) {
      const rows = await port.all(
        'SELECT * FROM message_parts WHERE message_sid = $1 ORDER BY seq',
        [sid],
      );
      return rows.map((r) => partFromRow(r, c));
    },

    async stats() {
      const byStatus = Object.fromEntries(MESSAGE_STATUSES.map((s) => [s, 0])) as Record<
        MessageStatus,
        number
      >;
      for (const r of await port.all(
        'SELECT status, count(*) AS n FROM messages GROUP BY status',
      )) {
        byStatus[r.status as MessageStatus] = Number(r.n);
      }
      const due = await port.get(
        `SELECT count(*) AS n, min(next_attempt_at) AS oldest FROM messages
         WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1`,
        [port.now()],
      );
      return {
        byStatus,
        due: Number(due!.n),
        oldestDueAt: due!.oldest === null ? null : c.date(due!.oldest),
      };
    },

    async summarize(accountSid, query) {
      const q = summaryQueries(port.dialect, accountSid, query);
      const [totals, reasons, latency] = await Promise.all([
        port.all(q.totals.sql, q.totals.params),
        port.all(q.reasons.sql, q.reasons.params),
        port.all(q.latency.sql, q.latency.params),
      ]);
      return assembleSummary(totals, reasons, latency);
    },
  };
}
