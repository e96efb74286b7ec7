/**
 * Delivery receipts: reading a deliver_sm into a DeliveryReceipt, and making its message ID
 * comparable with the one submit_sm_resp gave.
 *
 * Carriers disagree on receipt IDs: the `id:` of the text (and sometimes the
 * receipted_message_id TLV) may be decimal while submit_sm_resp.message_id is hex, or
 * zero-padded (Kannel's msg-id-type, jsmpp #178). `receiptIdFormat` says which per carrier:
 * - `same`: the receipt ID is the submit ID (after normalisation);
 * - `hex-submit-decimal-receipt`: the receipt ID is the decimal reading of the hex submit ID;
 * - `decimal-submit-hex-receipt`: the other way round;
 * - `auto` (default): try the ID as given, its hex reading and its decimal reading against
 *   the IDs this client was given; when none is known (e.g. after a restart) report the ID
 *   as given and the other readings as `alternateIds` for the store to try.
 * The receipted_message_id TLV is preferred to the text's `id:` when both are present.
 */

import type { DeliveryReceipt, ReceiptState } from '../types.ts';
import type { ReceiptIdFormat } from './config.ts';

/** Lower case, no surrounding space, no leading zeros ("000A1" -> "a1", "000" -> "0"). */
export function normalizeMessageId(id: string): string {
  const trimmed = id.trim().toLowerCase();
  const stripped = trimmed.replace(/^0+/, '');
  return stripped === '' && trimmed !== '' ? '0' : stripped;
}

/** The hex form of a decimal ID, or undefined when it is not all digits. */
export function decimalToHexId(id: string): string | undefined {
  const normalized = normalizeMessageId(id);
  return /^[0-9]+$/.test(normalized) ? BigInt(normalized).toString(16) : undefined;
}

/** The decimal form of a hex ID, or undefined when it is not hex. */
export function hexToDecimalId(id: string): string | undefined {
  const normalized = normalizeMessageId(id);
  return /^[0-9a-f]+$/.test(normalized) ? BigInt(`0x${normalized}`).toString(10) : undefined;
}

/** Normalised readings of a receipt ID, most likely first, without duplicates. */
export function receiptIdCandidates(id: string, format: ReceiptIdFormat): string[] {
  const normalized = normalizeMessageId(id);
  let candidates: (string | undefined)[];
  switch (format) {
    case 'same':
      candidates = [normalized];
      break;
    case 'hex-submit-decimal-receipt':
      candidates = [decimalToHexId(normalized) ?? normalized];
      break;
    case 'decimal-submit-hex-receipt':
      candidates = [hexToDecimalId(normalized) ?? normalized];
      break;
    case 'auto':
      candidates = [normalized, decimalToHexId(normalized), hexToDecimalId(normalized)];
      break;
  }
  return [...new Set(candidates.filter((c): c is string => c !== undefined))];
}

/**
 * Picks the submit ID a receipt ID stands for: the first candidate `isKnown` recognises,
 * else the most likely one, with the other candidates as alternates.
 */
export function resolveReceiptId(
  id: string,
  format: ReceiptIdFormat,
  isKnown: (candidate: string) => boolean = () => false,
): { id: string; alternates: string[] } {
  const candidates = receiptIdCandidates(id, format);
  const known = candidates.find(isKnown);
  if (known !== undefined) return { id: known, alternates: [] };
  return { id: candidates[0]!, alternates: candidates.slice(1) };
}

export interface ReceiptTextFields {
  id?: string;
  sub?: string;
  dlvrd?: string;
  submitDate?: string;
  doneDate?: string;
  stat?: string;
  err?: string;
  text?: string;
}

const RECEIPT_KEY = /(?:^|\s)(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:/gi;

/**
 * Parses `id:... sub:... dlvrd:... submit date:... done date:... stat:... err:... text:...`:
 * keys in any case and order, any missing; `text:` runs to the end, other values are their
 * first word.
 */
export function parseReceiptText(text: string): ReceiptTextFields {
  const matches = [...text.matchAll(RECEIPT_KEY)];
  const fields: ReceiptTextFields = {};
  for (let i = 0; i < matches.length; i++) {
    const match = matches[i]!;
    const key = match[1]!.toLowerCase().replace(/[ _]/g, '');
    const start = match.index + match[0].length;
    if (key === 'text') {
      fields.text = text.slice(start);
      break;
    }
    const end = matches[i + 1]?.index ?? text.length;
    const value = text.slice(start, end).trim().split(/\s+/)[0] ?? '';
    if (value === '') continue;
    const name = ({ submitdate: 'submitDate', donedate: 'doneDate' } as const)[
      key as 'submitdate' | 'donedate'
    ];
    fields[(name ?? key) as keyof ReceiptTextFields] = value;
  }
  return fields;
}

/** message_state values (SMPP 3.4 §5.2.28; 8 and 9 from 5.0). */
const MESSAGE_STATES: Record<number, ReceiptState> = {
  0: 'ENROUTE', // SCHEDULED
  1: 'ENROUTE',
  2: 'DELIVERED',
  3: 'EXPIRED',
  4: 'DELETED',
  5: 'UNDELIVERABLE',
  6: 'ACCEPTED',
  7: 'UNKNOWN',
  8: 'REJECTED',
  9: 'UNKNOWN', // SKIPPED
};

/** `stat:` values: the 7-letter forms of SMPP 3.4 Appendix B and the long forms some send. */
const STATS: Record<string, ReceiptState> = {
  DELIVRD: 'DELIVERED',
  DELIVERED: 'DELIVERED',
  EXPIRED: 'EXPIRED',
  DELETED: 'DELETED',
  UNDELIV: 'UNDELIVERABLE',
  UNDELIVERABLE: 'UNDELIVERABLE',
  FAILED: 'UNDELIVERABLE',
  ACCEPTD: 'ACCEPTED',
  ACCEPTED: 'ACCEPTED',
  UNKNOWN: 'UNKNOWN',
  REJECTD: 'REJECTED',
  REJECTED: 'REJECTED',
  ENROUTE: 'ENROUTE',
  SCHEDULED: 'ENROUTE',
};

/** The state from message_state when present and known, else from `stat:`, else UNKNOWN. */
export function receiptState(stat: string | undefined, messageState: unknown): ReceiptState {
  if (typeof messageState === 'number' && MESSAGE_STATES[messageState]) {
    return MESSAGE_STATES[messageState];
  }
  return (stat && STATS[stat.toUpperCase()]) || 'UNKNOWN';
}

/**
 * ENROUTE is on its way. ACCEPTED is final in SMPP, but Indian aggregators send ACCEPTD as
 * "accepted by the operator" before the real outcome, so it is treated as intermediate: a
 * later final receipt must not be ignored.
 */
export function isFinalState(state: ReceiptState): boolean {
  return state !== 'ENROUTE' && state !== 'ACCEPTED';
}

/** esm_class message type (bits 5..2): 0001 SMSC delivery receipt, 1000 intermediate notification. */
export function isReceiptEsmClass(esmClass: number): boolean {
  const type = esmClass & 0x3c;
  return type === 0x04 || type === 0x20;
}

/** The text of a decoded short_message or message_payload, whatever shape `smpp` gave it. */
function messageText(value: unknown): string {
  const message =
    value !== null && typeof value === 'object' && 'message' in value ? value.message : value;
  if (typeof message === 'string') return message;
  return Buffer.isBuffer(message) ? message.toString('latin1') : '';
}

export interface ReceiptContext {
  carrier: string;
  format: ReceiptIdFormat;
  isKnown?: (candidate: string) => boolean;
  receivedAt: Date;
}

/**
 * Reads a deliver_sm (as decoded by `smpp`) into a receipt; null when it is not a receipt
 * (an MO message) or names no message ID at all.
 */
export function receiptFromDeliverSm(
  pdu: Record<string, unknown>,
  context: ReceiptContext,
): DeliveryReceipt | null {
  if (!isReceiptEsmClass(Number(pdu.esm_class ?? 0))) return null;
  const raw = messageText(pdu.short_message) || messageText(pdu.message_payload);
  const fields = parseReceiptText(raw);
  const tlvId = typeof pdu.receipted_message_id === 'string' ? pdu.receipted_message_id : '';
  const rawId = tlvId.trim() || fields.id;
  if (!rawId) return null;
  const { id, alternates } = resolveReceiptId(rawId, context.format, context.isKnown);
  const state = receiptState(fields.stat, pdu.message_state);
  const receipt: DeliveryReceipt = {
    carrier: context.carrier,
    carrierMessageId: id,
    state,
    final: isFinalState(state),
    receivedAt: context.receivedAt,
    raw,
  };
  if (alternates.length > 0) receipt.alternateIds = alternates;
  const networkError = pdu.network_error_code;
  if (fields.err !== undefined) receipt.errorCode = fields.err;
  else if (Buffer.isBuffer(networkError) && networkError.length === 3) {
    receipt.errorCode = String(networkError.readUInt16BE(1));
  }
  if (fields.submitDate !== undefined) receipt.submitDate = fields.submitDate;
  if (fields.doneDate !== undefined) receipt.doneDate = fields.doneDate;
  return receipt;
}
