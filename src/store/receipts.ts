/**
 * What a message became, from the final states of its parts (both adapters apply this inside
 * the transaction that records the last part's receipt). A message is delivered only when every
 * part was; otherwise the worst part decides: REJECTED (the carrier or the DLT scrubber refused
 * it after accepting) over EXPIRED over the handset-side failures.
 */

import type { ReasonCode } from '../errors.ts';
import type { PartState } from './types.ts';

export interface PartOutcome {
  seq: number;
  state: PartState;
  errorCode: string | null;
}

export interface MessageOutcome {
  status: 'delivered' | 'undelivered' | 'failed';
  code: ReasonCode | null;
  detail: string | null;
}

const RANK: Partial<Record<PartState, number>> = { REJECTED: 3, EXPIRED: 2 };

export function messageOutcome(parts: PartOutcome[]): MessageOutcome {
  const bad = parts.filter((p) => p.state !== 'DELIVERED');
  if (bad.length === 0) return { status: 'delivered', code: null, detail: null };
  const worst = bad.reduce((a, b) => ((RANK[b.state] ?? 1) > (RANK[a.state] ?? 1) ? b : a));
  const detail = bad
    .map((p) => `part ${p.seq + 1}: ${p.state}${p.errorCode ? ` err:${p.errorCode}` : ''}`)
    .join('; ');
  if (worst.state === 'REJECTED') return { status: 'failed', code: 'DELIVERY_REJECTED', detail };
  if (worst.state === 'EXPIRED') return { status: 'undelivered', code: 'DELIVERY_EXPIRED', detail };
  // UNDELIVERABLE, DELETED, UNKNOWN, and an ACCEPTED that the carrier marked final: no proof of delivery.
  return { status: 'undelivered', code: 'UNDELIVERED', detail };
}

/**
 * Whether a message still takes delivery receipts: `submitted`, or ended by the receipt timeout
 * (RECEIPT_TIMEOUT), which a receipt that comes late still replaces with what it reports.
 */
export function awaitsReceipts(m: { status: string; reasonCode?: string | null }): boolean {
  return (
    m.status === 'submitted' || (m.status === 'undelivered' && m.reasonCode === 'RECEIPT_TIMEOUT')
  );
}

/** The same, as SQL over the messages table (both dialects). */
export const AWAITS_RECEIPTS_SQL =
  "(status = 'submitted' OR (status = 'undelivered' AND reason_code = 'RECEIPT_TIMEOUT'))";

export const RECEIPT_TIMEOUT_DETAIL = (seconds: number) =>
  `No final delivery receipt within ${seconds} s of the submit; a receipt that comes later still updates the message.`;
