/**
 * Exotel's response shapes: `SMSMessage` (JSON `{ "SMSMessage": {...} }`, or XML inside Exotel's
 * legacy root `<TwilioResponse>`), and errors as `RestException` with Status and Message. Times
 * are YYYY-MM-DD HH:mm:ss in the account's time zone, Price is rupees once charged (null before),
 * as Exotel's API shows them.
 */

import { paiseToRupees } from '../../accounts.ts';
import { exotelStatusOf } from '../../delivery/exotel-status.ts';
import { exotelTime } from '../../reports/time-zone.ts';
import type { Message } from '../../store/types.ts';

export type ExotelFormat = 'json' | 'xml';

/** Field order as in Exotel's responses. */
export interface SmsMessageResource {
  Sid: string;
  AccountSid: string;
  From: string;
  To: string;
  DateCreated: string;
  DateUpdated: string;
  DateSent: string | null;
  Body: string;
  Direction: 'outbound-api' | 'outbound-call';
  Uri: string;
  ApiVersion: null;
  Price: string | null;
  Status: string;
  DetailedStatusCode: number;
  DetailedStatus: string;
  SmsUnits: number;
}

export interface RestException {
  Status: number;
  Message: string;
  /** Our reason code (docs/errors.md), beside Exotel's fields. */
  ReasonCode: string;
}

export type ExotelEntry = { SMSMessage: SmsMessageResource } | { RestException: RestException };

export function smsMessage(m: Message, timeZone: string, format: ExotelFormat): SmsMessageResource {
  const s = exotelStatusOf(m);
  return {
    Sid: m.sid,
    AccountSid: m.accountSid,
    From: m.senderId,
    To: m.to,
    DateCreated: exotelTime(m.createdAt, timeZone),
    DateUpdated: exotelTime(m.updatedAt, timeZone),
    DateSent: m.submittedAt === null ? null : exotelTime(m.submittedAt, timeZone),
    Body: m.body,
    Direction: m.origin.kind === 'flow' ? 'outbound-call' : 'outbound-api',
    Uri: `/v1/Accounts/${m.accountSid}/SMS/Messages/${m.sid}${format === 'json' ? '.json' : ''}`,
    ApiVersion: null,
    Price: m.pricePaise === null ? null : paiseToRupees(m.pricePaise),
    Status: s.status,
    DetailedStatusCode: s.detailedStatusCode,
    DetailedStatus: s.detailedStatus,
    SmsUnits: m.segments,
  };
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped rather than producing a broken document.
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

function element(name: string, fields: object): string {
  const inner = Object.entries(fields)
    .map(([k, v]) =>
      v === null || v === undefined ? `<${k}/>` : `<${k}>${escapeXml(String(v))}</${k}>`,
    )
    .join('');
  return `<${name}>${inner}</${name}>`;
}

function entryXml(entry: ExotelEntry): string {
  return 'SMSMessage' in entry
    ? element('SMSMessage', entry.SMSMessage)
    : element('RestException', entry.RestException);
}

/**
 * A response body: one entry is `{ "SMSMessage": ... }` (or `{ "RestException": ... }`); several
 * (bulk) are a JSON array of them, or sibling elements under one `<TwilioResponse>`.
 */
export function renderExotel(
  entries: ExotelEntry | ExotelEntry[],
  format: ExotelFormat,
): { contentType: string; body: string } {
  if (format === 'json') {
    return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(entries) };
  }
  const list = Array.isArray(entries) ? entries : [entries];
  return {
    contentType: 'application/xml; charset=utf-8',
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<TwilioResponse>${list.map(entryXml).join('')}</TwilioResponse>\n`,
  };
}
