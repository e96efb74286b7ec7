/**
 * What a status callback carries, and its signature.
 *
 * JSON (`callbackFormat: 'json'`, application/json): our message resource —
 *   { event: "message.status", timestamp, sid, accountSid, status, reasonCode, reasonDescription,
 *     reasonDetail, to, from, smsType, encoding, segments, price, priceUnit, dltEntityId,
 *     dltTemplateId, customField, origin, carrier, dateCreated, dateSubmitted, dateDone }
 *   price is rupees as a decimal string ("0.50"), null when nothing was charged (refunds make it
 *   "0.00"); dates are ISO 8601 UTC; timestamp is when this attempt was sent.
 * Exotel (`callbackFormat: 'exotel'`, application/x-www-form-urlencoded): SmsSid, To, Status,
 *   SmsUnits, DetailedStatus, DetailedStatusCode, DateSent (YYYY-MM-DD HH:mm:ss in the account's
 *   time zone) and CustomField, with Status/DetailedStatusCode from the reason catalogue
 *   (delivered: sent / 20005 / DELIVERED_TO_HANDSET).
 *
 * Signature: `X-Callflow-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
 * account's webhookSecret>`, with `X-Callflow-Timestamp` (Unix seconds of the attempt). For JSON
 * the same instant is inside the signed body (`timestamp`), so a receiver can refuse replays.
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { REASONS } from '../errors.ts';
import { paiseToRupees } from '../money.ts';
import type { Account, Message } from '../store/types.ts';
import { exotelStatusOf } from './exotel-status.ts';

export const SIGNATURE_HEADER = 'x-callflow-signature';
export const TIMESTAMP_HEADER = 'x-callflow-timestamp';

function exotelDate(at: Date | null, timeZone: string): string {
  if (!at) return '';
  // sv-SE formats as YYYY-MM-DD HH:mm:ss.
  return at.toLocaleString('sv-SE', { timeZone, hourCycle: 'h23' });
}

export function callbackBody(
  m: Message,
  account: Account,
  format: 'json' | 'exotel',
  sentAt: Date,
): { contentType: string; body: string } {
  if (format === 'exotel') {
    const s = exotelStatusOf(m);
    const form = new URLSearchParams({
      SmsSid: m.sid,
      To: m.to,
      Status: s.status,
      SmsUnits: String(m.segments),
      DetailedStatus: s.detailedStatus,
      DetailedStatusCode: String(s.detailedStatusCode),
      DateSent: exotelDate(m.submittedAt, account.timeZone),
      CustomField: m.customField ?? '',
    });
    return { contentType: 'application/x-www-form-urlencoded', body: form.toString() };
  }
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  const body = {
    event: 'message.status',
    timestamp: sentAt.toISOString(),
    sid: m.sid,
    accountSid: m.accountSid,
    status: m.status,
    reasonCode: m.reasonCode,
    reasonDescription: m.reasonCode ? REASONS[m.reasonCode].meaning : null,
    reasonDetail: m.reasonDetail,
    to: m.to,
    from: m.senderId,
    smsType: m.smsType,
    encoding: m.encoding,
    segments: m.segments,
    price: m.pricePaise === null ? null : paiseToRupees(m.pricePaise),
    priceUnit: 'INR',
    dltEntityId: m.dltEntityId,
    dltTemplateId: m.dltTemplateId,
    customField: m.customField,
    origin: m.origin,
    carrier: m.carrier,
    dateCreated: iso(m.createdAt),
    dateSubmitted: iso(m.submittedAt),
    dateDone: iso(m.doneAt),
  };
  return { contentType: 'application/json', body: JSON.stringify(body) };
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): does the header match the body under this secret? Constant time. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
