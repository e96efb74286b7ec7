/**
 * `callflow report sms --account SID [--since ISO] [--until ISO] [--out FILE] [filters]`: the SMS
 * Detailed report as CSV (as GET /api/v1/reports/sms.csv), written with backpressure in constant
 * memory, to FILE or standard output, with a progress bar on standard error.
 *
 * With `--json`, the same rows as one JSON array of objects keyed by the CSV's column names.
 *
 * `callflow report sms --summary [--group-by day|hour|status|...] [--json]`: the summary report
 * (as GET /api/v1/reports/sms/summary), as a table or JSON.
 *
 * Filters: --status, --to, --from (sender ID), --call-sid, --flow-id, --sms-type, --template-id.
 */

import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CallflowError } from '../errors.ts';
import { smsCsv, smsJson } from '../reports/sms-csv.ts';
import { type SmsSummary, smsSummary, summaryPeriod } from '../reports/summary.ts';
import { normalizeNumber } from '../sms/index.ts';
import { SUMMARY_GROUPS } from '../store/summary.ts';
import {
  MESSAGE_STATUSES,
  type MessageFilter,
  type MessageStatus,
  SMS_TYPES,
  type SmsType,
  type SummaryGroup,
} from '../store/types.ts';
import { createProgress, withStore } from './import.ts';
import { parse, UsageError } from './usage.ts';

function date(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new UsageError(`${flag} must be a date or time (ISO 8601), not '${value}'`);
  return d;
}

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly string[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value))
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function table(summary: SmsSummary): string {
  const rows = [...summary.groups, { ...summary.total, key: 'total' }];
  const head = [
    'group',
    'messages',
    'segments',
    'delivered',
    'failed',
    'undeliv.',
    'pending',
    'rate',
    'median s',
    'p95 s',
    'cost ₹',
  ];
  const cells = rows.map((r) => [
    String(r.key ?? '(none)'),
    String(r.messages),
    String(r.segments),
    String(r.delivered),
    String(r.failed),
    String(r.undelivered),
    String(r.pending),
    r.deliveryRate === null ? '-' : `${(r.deliveryRate * 100).toFixed(1)}%`,
    r.latency.medianMs === null ? '-' : (r.latency.medianMs / 1000).toFixed(1),
    r.latency.p95Ms === null ? '-' : (r.latency.p95Ms / 1000).toFixed(1),
    r.cost,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    `${summary.since} to ${summary.until} (${summary.timeZone})`,
    line(head),
    ...cells.map(line),
  ].join('\n');
}

export async function reportCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'sms') throw new UsageError(`unknown report '${sub ?? ''}' (expected 'sms')`);
  const { values } = parse(rest, {
    options: {
      account: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      out: { type: 'string' },
      status: { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      'call-sid': { type: 'string' },
      'flow-id': { type: 'string' },
      'sms-type': { type: 'string' },
      'template-id': { type: 'string' },
      excel: { type: 'boolean', default: true },
      summary: { type: 'boolean', default: false },
      'group-by': { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
    },
    allowNegative: true,
  });
  if (!values.account) throw new UsageError('give --account SID');
  const since = date('--since', values.since);
  const until = date('--until', values.until);
  const filter: MessageFilter = {};
  const status = oneOf<MessageStatus>('--status', values.status, MESSAGE_STATUSES);
  if (status) filter.status = status;
  if (values.to !== undefined) {
    const to = normalizeNumber(values.to);
    if (to === undefined) throw new UsageError(`--to ${values.to} is not a phone number`);
    filter.to = to;
  }
  if (values.from !== undefined) filter.from = values.from;
  if (values['call-sid'] !== undefined) filter.callSid = values['call-sid'];
  if (values['flow-id'] !== undefined) filter.flowId = values['flow-id'];
  const smsType = oneOf<SmsType>('--sms-type', values['sms-type'], SMS_TYPES);
  if (smsType) filter.smsType = smsType;
  if (values['template-id'] !== undefined) filter.dltTemplateId = values['template-id'];
  const groupBy = oneOf<SummaryGroup>('--group-by', values['group-by'], SUMMARY_GROUPS) ?? null;
  if (groupBy !== null && !values.summary) throw new UsageError('--group-by goes with --summary');

  return withStore(values.config, async (store) => {
    const account = await store.accounts.get(values.account!);
    if (!account) throw new CallflowError('NOT_FOUND', `no account ${values.account}`);

    if (values.summary) {
      const period = summaryPeriod(new Date(), since, until);
      const summary = await smsSummary(store, account, { ...period, groupBy, filter });
      process.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : `${table(summary)}\n`);
      return 0;
    }

    if (since) filter.since = since;
    if (until) filter.until = until;
    // The summary's count, for the progress bar's total.
    const [counted] = await store.messages.summarize(account.sid, {
      filter: { ...filter, since: since ?? new Date(0), until: until ?? new Date(8.64e15) },
      groupBy: null,
    });
    const total = counted?.messages ?? 0;
    const progress = createProgress(`report ${values.out ?? '(stdout)'}`, total);
    let written = 0;
    const format = values.json ? smsJson : smsCsv;
    const csv = format(store, account, filter, {
      excel: values.excel,
      onRows: (rows) => {
        written = rows;
        progress.update(
          rows,
          `${rows.toLocaleString('en-IN')} of ${total.toLocaleString('en-IN')} rows`,
        );
      },
    });
    const out = values.out === undefined ? process.stdout : createWriteStream(values.out);
    await pipeline(Readable.from(csv, { objectMode: false }), out, {
      end: values.out !== undefined,
    });
    progress.finish(
      `${written.toLocaleString('en-IN')} rows${values.out ? ` written to ${values.out}` : ''}`,
    );
    return 0;
  });
}
