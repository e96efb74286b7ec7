/**
 * The usage-by-carrier query (CarriersRepo.usage) for either dialect, and the assembly of its rows:
 * computed in the database, like the summary report (summary.ts), so its cost does not grow with
 * what it reads into memory.
 */

import type { CarrierUsage } from './carrier-types.ts';

type Dialect = 'sqlite' | 'postgres';
type Row = Record<string, unknown>;

export function carrierUsageQueries(
  dialect: Dialect,
  since: Date,
  until: Date,
): { totals: { sql: string; params: unknown[] }; latency: { sql: string; params: unknown[] } } {
  const [a, b] = dialect === 'sqlite' ? ['?1', '?2'] : ['$1', '$2'];
  const params = dialect === 'sqlite' ? [since.getTime(), until.getTime()] : [since, until];
  const where = `carrier IS NOT NULL AND submitted_at IS NOT NULL AND submitted_at >= ${a} AND submitted_at < ${b}`;
  const byType = (t: string) =>
    `sum(CASE WHEN sms_type = '${t}' THEN segments ELSE 0 END) AS seg_${t}`;
  const latency =
    dialect === 'sqlite'
      ? '(done_at - submitted_at)'
      : 'floor(extract(epoch from (done_at - submitted_at)) * 1000)::bigint';
  return {
    totals: {
      sql: `SELECT carrier, count(*) AS messages, sum(segments) AS segments,
          sum(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS delivered,
          sum(CASE WHEN status = 'undelivered' THEN 1 ELSE 0 END) AS undelivered,
          sum(CASE WHEN status = 'submitted' THEN 1 ELSE 0 END) AS pending,
          coalesce(sum(price_paise), 0) AS charged,
          ${byType('transactional')}, ${byType('service')}, ${byType('promotional')}
        FROM messages WHERE ${where} GROUP BY carrier ORDER BY carrier`,
      params,
    },
    // Nearest rank: the median is the value at rank ⌈n/2⌉ = (n + 1) / 2 in integer division.
    latency: {
      sql: `SELECT carrier, max(CASE WHEN rn = (n + 1) / 2 THEN lat END) AS median FROM (
          SELECT carrier, ${latency} AS lat,
            row_number() OVER (PARTITION BY carrier ORDER BY ${latency}) AS rn,
            count(*) OVER (PARTITION BY carrier) AS n
          FROM messages WHERE ${where} AND status = 'delivered' AND done_at IS NOT NULL
        ) ranked GROUP BY carrier`,
      params,
    },
  };
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function assembleCarrierUsage(totals: Row[], latency: Row[]): CarrierUsage[] {
  const medians = new Map(latency.map((r) => [String(r.carrier), r.median]));
  return totals.map((r) => {
    const median = medians.get(String(r.carrier));
    return {
      carrier: String(r.carrier),
      messages: num(r.messages),
      segments: num(r.segments),
      delivered: num(r.delivered),
      undelivered: num(r.undelivered),
      pending: num(r.pending),
      chargedPaise: num(r.charged),
      segmentsByType: {
        transactional: num(r.seg_transactional),
        service: num(r.seg_service),
        promotional: num(r.seg_promotional),
      },
      deliveryMedianMs: median === null || median === undefined ? null : Number(median),
    };
  });
}
