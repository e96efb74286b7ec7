/**
 * The SMS summary report: per group (day, hour, status, reason, template, sender, flow or SMS
 * type) the messages, segments, cost, outcomes, failures by reason, delivery rate and the median
 * and p95 time from queued to delivered. The store computes it in SQL (src/store/summary.ts);
 * this module picks the period, the account's time zone for day and hour groups, and the shape.
 */

import { paiseToRupees } from '../accounts.ts';
import type {
  Account,
  MessageFilter,
  MessageSummaryRow,
  Store,
  SummaryGroup,
} from '../store/types.ts';
import { localDay, localHour, offsetSegments } from './time-zone.ts';

export const DEFAULT_SUMMARY_DAYS = 7;
/** Longest period of an hourly summary: 31 days of hours is 744 groups. */
export const MAX_HOURLY_DAYS = 31;

export interface SummaryGroupResult {
  /** day: YYYY-MM-DD and hour: YYYY-MM-DDTHH:00, local to the account; otherwise the value (null: none). */
  key: string | null;
  messages: number;
  segments: number;
  costPaise: number;
  /** Rupees, two decimals. */
  cost: string;
  delivered: number;
  undelivered: number;
  failed: number;
  /** Queued, sending or submitted: no outcome yet. */
  pending: number;
  /** Reason codes of failed and undelivered messages. */
  failedByReason: Record<string, number>;
  /** delivered / (delivered + undelivered + failed), 4 decimals; null before any outcome. */
  deliveryRate: number | null;
  /** Time from queued to delivered, nearest-rank percentiles, ms; null without deliveries. */
  latency: { medianMs: number | null; p95Ms: number | null };
}

export interface SmsSummary {
  since: string;
  until: string;
  timeZone: string;
  groupBy: SummaryGroup | null;
  total: SummaryGroupResult;
  groups: SummaryGroupResult[];
}

function shape(row: MessageSummaryRow | undefined, key: string | null): SummaryGroupResult {
  const s = row?.byStatus;
  const delivered = s?.delivered ?? 0;
  const undelivered = s?.undelivered ?? 0;
  const failed = s?.failed ?? 0;
  const outcomes = delivered + undelivered + failed;
  const costPaise = row?.costPaise ?? 0;
  return {
    key,
    messages: row?.messages ?? 0,
    segments: row?.segments ?? 0,
    costPaise,
    cost: paiseToRupees(costPaise),
    delivered,
    undelivered,
    failed,
    pending: (s?.queued ?? 0) + (s?.sending ?? 0) + (s?.submitted ?? 0),
    failedByReason: row?.failedByReason ?? {},
    deliveryRate: outcomes === 0 ? null : Math.round((delivered / outcomes) * 10_000) / 10_000,
    latency: { medianMs: row?.latencyMedianMs ?? null, p95Ms: row?.latencyP95Ms ?? null },
  };
}

/** The period of a summary: `until` defaults to now, `since` to DEFAULT_SUMMARY_DAYS before it. */
export function summaryPeriod(
  now: Date,
  since: Date | undefined,
  until: Date | undefined,
): { since: Date; until: Date } {
  const end = until ?? now;
  return {
    since: since ?? new Date(end.getTime() - DEFAULT_SUMMARY_DAYS * 86_400_000),
    until: end,
  };
}

export async function smsSummary(
  store: Store,
  account: Pick<Account, 'sid' | 'timeZone'>,
  query: {
    since: Date;
    until: Date;
    groupBy: SummaryGroup | null;
    filter?: Omit<MessageFilter, 'since' | 'until'>;
  },
): Promise<SmsSummary> {
  const filter = { ...query.filter, since: query.since, until: query.until };
  const local = query.groupBy === 'day' || query.groupBy === 'hour';
  const offsets = local ? offsetSegments(account.timeZone, query.since, query.until) : undefined;
  const [totals, grouped] = await Promise.all([
    store.messages.summarize(account.sid, { filter, groupBy: null }),
    query.groupBy === null
      ? Promise.resolve([])
      : store.messages.summarize(account.sid, {
          filter,
          groupBy: query.groupBy,
          ...(offsets && { offsets }),
        }),
  ]);
  const label = (key: string | null): string | null => {
    if (key === null || !local) return key;
    return query.groupBy === 'day' ? localDay(Number(key)) : localHour(Number(key));
  };
  const groups = grouped.map((row) => shape(row, label(row.key)));
  if (local) groups.sort((a, b) => String(a.key).localeCompare(String(b.key)));
  else groups.sort((a, b) => b.messages - a.messages || String(a.key).localeCompare(String(b.key)));
  return {
    since: query.since.toISOString(),
    until: query.until.toISOString(),
    timeZone: account.timeZone,
    groupBy: query.groupBy,
    total: shape(totals[0], null),
    groups,
  };
}
