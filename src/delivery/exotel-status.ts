/**
 * How a message looks in Exotel's terms: Status (queued, sending, submitted, sent, failed_dnd,
 * failed) with DetailedStatusCode and DetailedStatus. One table: the states in progress here,
 * delivered as Exotel's "sent", and every final failure through its reason code's `exotel`
 * mapping in the catalogue (src/errors.ts). The Exotel-compatible API, its status callbacks and
 * the SMS Detailed report all read it; docs/api.md prints it and a test keeps the two equal.
 */

import { type ExotelStatus, REASON_CODES, REASONS, type ReasonDefinition } from '../errors.ts';
import type { Message, MessageStatus } from '../store/types.ts';

const DELIVERED: ExotelStatus = {
  status: 'sent',
  detailedStatusCode: 20005,
  detailedStatus: 'DELIVERED_TO_HANDSET',
};
const UNKNOWN: ExotelStatus = {
  status: 'failed',
  detailedStatusCode: 24990,
  detailedStatus: 'Unknown error',
};

/** What the Exotel-compatible API reports for a message in a final status. */
function finalExotelStatus(m: Pick<Message, 'status' | 'reasonCode'>): ExotelStatus {
  if (m.status === 'delivered') return DELIVERED;
  const def: ReasonDefinition | undefined = m.reasonCode ? REASONS[m.reasonCode] : undefined;
  return def?.exotel ?? UNKNOWN;
}

/** Our states before a final one, with the codes Exotel uses for them (21010/21015/21020). */
export const EXOTEL_IN_PROGRESS: Record<'queued' | 'sending' | 'submitted', ExotelStatus> = {
  queued: { status: 'queued', detailedStatusCode: 21010, detailedStatus: 'PENDING_TO_OPERATOR' },
  sending: { status: 'sending', detailedStatusCode: 21015, detailedStatus: 'SENDING_TO_OPERATOR' },
  submitted: {
    status: 'submitted',
    detailedStatusCode: 21020,
    detailedStatus: 'SUBMITTED_TO_OPERATOR',
  },
};

/** What the Exotel-compatible API reports for a message now. */
export function exotelStatusOf(m: Pick<Message, 'status' | 'reasonCode'>): ExotelStatus {
  if (m.status === 'queued' || m.status === 'sending' || m.status === 'submitted') {
    return EXOTEL_IN_PROGRESS[m.status];
  }
  return finalExotelStatus(m);
}

export interface ExotelStatusRow {
  /** Our status, and for failed and undelivered messages the reason code. */
  state: MessageStatus;
  reasonCode: string | null;
  exotel: ExotelStatus;
}

/** The whole table, in the order docs/api.md prints it. */
export function exotelStatusTable(): ExotelStatusRow[] {
  const rows: ExotelStatusRow[] = [];
  for (const state of ['queued', 'sending', 'submitted', 'delivered'] as const) {
    rows.push({
      state,
      reasonCode: null,
      exotel: exotelStatusOf({ status: state, reasonCode: null }),
    });
  }
  for (const code of REASON_CODES) {
    const def: ReasonDefinition = REASONS[code];
    // Codes without a mapping never end a message (transient trouble, request errors).
    if (def.exotel === undefined) continue;
    const state: MessageStatus =
      def.kind === 'carrier' && code !== 'CARRIER_REJECTED' ? 'undelivered' : 'failed';
    rows.push({
      state,
      reasonCode: code,
      exotel: exotelStatusOf({ status: state, reasonCode: code }),
    });
  }
  return rows;
}

/** The table as Markdown rows, as docs/api.md has them. */
export function exotelStatusMarkdown(): string {
  const lines = [
    '| Our status | Reason code | Status | DetailedStatusCode | DetailedStatus |',
    '|---|---|---|---|---|',
  ];
  for (const r of exotelStatusTable()) {
    lines.push(
      `| \`${r.state}\` | ${r.reasonCode ? `\`${r.reasonCode}\`` : ''} | \`${r.exotel.status}\` | ${r.exotel.detailedStatusCode} | ${r.exotel.detailedStatus} |`,
    );
  }
  return lines.join('\n');
}
