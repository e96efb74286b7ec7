/**
 * SMS reports from GET /api/v1/reports/sms/summary: totals computed in the database for the same
 * filters as the message list, grouped by hour (a span of up to two days) or by day in the
 * account's time zone. The CSV export is GET /api/v1/reports/sms.csv with the same filters.
 */

import type { SmsSummary, SummaryGroupResult } from '../../../src/reports/summary.ts';
import { api, query } from './api.ts';
import type { MessageFilter } from './sms-api.ts';

/** The report's shape is the server's (src/reports/summary.ts); only its types cross over. */
export type { SmsSummary } from '../../../src/reports/summary.ts';
export type SummaryGroup = SummaryGroupResult;

const HOUR = 3_600_000;
/** Over at most this span the chart is by hour, else by day. */
const HOURLY_SPAN = 2 * 24 * HOUR;
/** The server's default period when the filter names none. */
const DEFAULT_DAYS = 7;

export function chartUnit(filter: MessageFilter, now = Date.now()): 'hour' | 'day' {
  const until = filter.until ? new Date(filter.until).getTime() : now;
  const since = filter.since ? new Date(filter.since).getTime() : until - DEFAULT_DAYS * 24 * HOUR;
  return until - since <= HOURLY_SPAN ? 'hour' : 'day';
}

export function loadSummary(
  filter: MessageFilter,
  groupBy: 'hour' | 'day' | 'carrier',
  signal?: AbortSignal,
): Promise<SmsSummary> {
  return api.get<SmsSummary>(
    `/api/v1/reports/sms/summary${query({ ...filter, groupBy })}`,
    signal ? { signal } : {},
  );
}

const EMPTY: Omit<SummaryGroup, 'key'> = {
  messages: 0,
  segments: 0,
  costPaise: 0,
  cost: '0.00',
  delivered: 0,
  undelivered: 0,
  failed: 0,
  pending: 0,
  failedByReason: {},
  deliveryRate: null,
  latency: { medianMs: null, p95Ms: null },
};

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:00` of an instant in a time zone, as the server keys groups. */
function keyOf(time: number, unit: 'hour' | 'day', format: Intl.DateTimeFormat): string {
  const parts = Object.fromEntries(
    format.formatToParts(new Date(time)).map((p) => [p.type, p.value]),
  );
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  return unit === 'day' ? day : `${day}T${parts.hour === '24' ? '00' : parts.hour}:00`;
}

/**
 * Every hour or day of the period, in order, with the server's group where it has one: the server
 * lists only groups with messages, and a chart needs the empty ones to keep its time axis even.
 */
export function fillGroups(summary: SmsSummary, unit: 'hour' | 'day'): SummaryGroup[] {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: summary.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    hourCycle: 'h23',
  });
  const byKey = new Map(summary.groups.map((g) => [g.key, g]));
  const keys: string[] = [];
  const until = new Date(summary.until).getTime();
  for (let t = new Date(summary.since).getTime(); t < until; t += HOUR) {
    const key = keyOf(t, unit, format);
    if (keys[keys.length - 1] !== key) keys.push(key);
  }
  for (const key of byKey.keys()) if (key !== null && !keys.includes(key)) keys.push(key);
  keys.sort();
  return keys.map((key) => byKey.get(key) ?? { key, ...EMPTY });
}
