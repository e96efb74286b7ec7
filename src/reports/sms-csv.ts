/**
 * The SMS Detailed report as CSV: Exotel's columns (Id, Direction, Type, From, To, Body, Status,
 * Time, Price, DetailedStatusCode, DetailedStatus, DateSent, CustomField, NumberOfUnits,
 * EncodingType, DltEntityId, DltTemplateId) and ours (ReasonCode, CallSid, FlowId, Carrier), for the
 * filters of the message list. Rows are read a page at a time with the list's keyset cursor and
 * produced as the reader asks for them, so a million rows take the memory of one page.
 *
 * Excel mode (the default, as Exotel's report) starts with a UTF-8 byte-order mark so Excel reads
 * Hindi text right, and ends DLT IDs with an apostrophe so Excel keeps their 19 digits as text
 * instead of rounding them to 1.10717E+18.
 */

import { paiseToRupees } from '../accounts.ts';
import { csvLine } from '../csv-line.ts';
import { exotelStatusOf } from '../delivery/exotel-status.ts';
import type { Account, Message, MessageFilter, Store } from '../store/types.ts';
import { exotelTime } from './time-zone.ts';

export const DETAILED_COLUMNS = [
  'Id',
  'Direction',
  'Type',
  'From',
  'To',
  'Body',
  'Status',
  'Time',
  'Price',
  'DetailedStatusCode',
  'DetailedStatus',
  'DateSent',
  'CustomField',
  'NumberOfUnits',
  'EncodingType',
  'DltEntityId',
  'DltTemplateId',
  'ReasonCode',
  'CallSid',
  'FlowId',
  'Carrier',
] as const;

/** Messages read per store query. */
export const CSV_PAGE_SIZE = 1000;

export interface SmsCsvOptions {
  /** Byte-order mark and apostrophe-ended DLT IDs for Excel. Default true. */
  excel?: boolean;
  pageSize?: number;
  /** Called after each page with the rows written so far. */
  onRows?: (rows: number) => void;
}

/** One message as a report row, times in the account's zone. */
export function detailedRow(m: Message, timeZone: string, excel: boolean): string[] {
  const s = exotelStatusOf(m);
  const id = (v: string) => (excel ? `${v}'` : v);
  return [
    m.sid,
    m.origin.kind === 'flow' ? 'outbound-call' : 'outbound-api',
    m.smsType,
    m.senderId,
    m.to,
    m.body,
    s.status,
    exotelTime(m.createdAt, timeZone),
    m.pricePaise === null ? '' : paiseToRupees(m.pricePaise),
    String(s.detailedStatusCode),
    s.detailedStatus,
    exotelTime(m.submittedAt, timeZone),
    m.customField ?? '',
    String(m.segments),
    m.encoding === 'UCS-2' ? 'unicode' : 'plain',
    id(m.dltEntityId),
    id(m.dltTemplateId),
    m.reasonCode ?? '',
    m.origin.kind === 'flow' ? m.origin.callSid : '',
    m.origin.kind === 'flow' ? m.origin.flowId : '',
    m.carrier ?? '',
  ];
}

/** The report's messages, page by page, newest first. */
async function* messagePages(
  store: Store,
  account: Pick<Account, 'sid'>,
  filter: MessageFilter,
  options: SmsCsvOptions,
): AsyncGenerator<Message[]> {
  const pageSize = options.pageSize ?? CSV_PAGE_SIZE;
  let cursor: string | null = null;
  let rows = 0;
  do {
    const page = await store.messages.list(account.sid, filter, cursor, pageSize);
    rows += page.items.length;
    cursor = page.nextCursor;
    yield page.items;
    options.onRows?.(rows);
  } while (cursor !== null);
}

/** The report as CSV text, one chunk per page of messages (the header first). */
export async function* smsCsv(
  store: Store,
  account: Pick<Account, 'sid' | 'timeZone'>,
  filter: MessageFilter,
  options: SmsCsvOptions = {},
): AsyncGenerator<string> {
  const excel = options.excel ?? true;
  yield (excel ? '\ufeff' : '') + csvLine(DETAILED_COLUMNS);
  for await (const page of messagePages(store, account, filter, options)) {
    let text = '';
    for (const m of page) text += csvLine(detailedRow(m, account.timeZone, excel));
    if (text !== '') yield text;
  }
}

/**
 * The same report as one JSON document: an array of objects keyed by the CSV's column names,
 * streamed a page at a time (`excel` does not apply).
 */
export async function* smsJson(
  store: Store,
  account: Pick<Account, 'sid' | 'timeZone'>,
  filter: MessageFilter,
  options: SmsCsvOptions = {},
): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const page of messagePages(store, account, filter, options)) {
    let text = '';
    for (const m of page) {
      const row = detailedRow(m, account.timeZone, false);
      const record = Object.fromEntries(DETAILED_COLUMNS.map((name, i) => [name, row[i]]));
      text += `${first ? '\n' : ',\n'}${JSON.stringify(record)}`;
      first = false;
    }
    if (text !== '') yield text;
  }
  yield ']\n';
}
