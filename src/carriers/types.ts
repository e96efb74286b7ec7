/**
 * The Carrier interface: what the delivery worker sees of a carrier connection.
 *
 * Glossary:
 * - part (segment): one submit_sm. A message of N parts is N submit_sm PDUs joined on the
 *   handset by a UDH (05 00 03 ref total seq); each part gets its own carrier message ID.
 * - carrier message ID: the `message_id` of submit_sm_resp, normalised with
 *   `normalizeMessageId` (lower case, no leading zeros) so a receipt can find it.
 * - window: how many submit_sm may be waiting for their submit_sm_resp at once. The worker
 *   asks `availableWindow()` before claiming messages and never submits more parts than
 *   that; `submit` also queues parts internally, so the wire never exceeds the window.
 * - transient outcome: worth retrying later (throttled, connection lost, no answer in time);
 *   permanent outcome: the carrier refused the message (`CARRIER_REJECTED`), do not retry.
 * - receipt (DLR): a deliver_sm with esm_class 0x04 that reports what became of one part.
 *
 * Contract:
 * - `start()` connects and binds; it resolves after the first attempt whatever its result
 *   and keeps reconnecting with back-off in the background. It never throws for a carrier
 *   that is down.
 * - `submit()` never throws for carrier trouble: every carrier problem is a `SubmitOutcome`.
 *   It throws only for a caller bug (a part that is not encodable in the declared encoding
 *   or longer than a segment), before anything is sent.
 * - A multi-part message succeeds only if every part was accepted. When a part fails, the
 *   parts not yet sent are not sent, and `partsAccepted` lists the carrier message IDs of
 *   the parts the carrier did accept (in part order), so their receipts can still be matched.
 * - `onReceipt(handler)`: the handler persists the receipt. deliver_sm_resp is sent only
 *   after it resolves, so a receipt is never acknowledged before it is stored; when it
 *   rejects (or no handler is registered) the answer is ESME_RX_T_APPN and the carrier
 *   sends the receipt again later. Every receipt goes to the handler, even one that arrives
 *   before its submit_sm_resp: matching is the store's job. The exception is a receipt that
 *   names no message ID at all: it cannot be stored, so it is refused as permanent
 *   (ESME_RX_P_APPN) rather than acknowledged or resent for ever.
 * - `stop()` drains: queued parts resolve as CARRIER_UNAVAILABLE, parts on the wire get
 *   their answer or time out, running receipt handlers finish (bounded by the response
 *   timeout), then unbind and close.
 */

import type { SmsEncoding } from '../sms/segments.ts';

/** How the text of a message is encoded on the wire (data_coding 0 or 8). */
export type { SmsEncoding };

export interface CarrierSubmit {
  /** Our SmsSid, for logs and correlation. */
  messageId: string;
  /** E.164, e.g. +919876543210; sent as 919876543210 with TON 1 / NPI 1. */
  to: string;
  /** DLT header: ACMECO (alphanumeric, TON 5 / NPI 0) or 6 digits (TON 0 / NPI 1). */
  senderId: string;
  encoding: SmsEncoding;
  /** Already split by the core (src/sms); one part means no UDH. */
  parts: string[];
  /** DLT PE (entity) ID, 12 to 19 digits; sent as the entity TLV and heads the TM chain hash. */
  dltEntityId?: string;
  /** DLT template ID, 12 to 19 digits; sent as the template TLV. */
  dltTemplateId?: string;
  /** Validity period in seconds, sent as a relative validity_period. */
  validitySeconds?: number;
}

export type TransientCode = 'CARRIER_THROTTLED' | 'CARRIER_UNAVAILABLE' | 'CARRIER_TIMEOUT';

export type SubmitOutcome =
  | {
      ok: true;
      carrier: string;
      /** One per part, in part order, normalised. */
      carrierMessageIds: string[];
    }
  | {
      ok: false;
      transient: true;
      code: TransientCode;
      /** The command_status that caused it, when the carrier answered. */
      commandStatus?: number;
      detail: string;
      /** Normalised carrier message IDs of the parts that were accepted, in part order. */
      partsAccepted?: string[];
    }
  | {
      ok: false;
      transient: false;
      code: 'CARRIER_REJECTED';
      commandStatus: number;
      detail: string;
      partsAccepted?: string[];
    };

/** SMPP message_state names (SMPP 3.4 §5.2.28); SCHEDULED is reported as ENROUTE. */
export type ReceiptState =
  | 'DELIVERED'
  | 'EXPIRED'
  | 'DELETED'
  | 'UNDELIVERABLE'
  | 'ACCEPTED'
  | 'UNKNOWN'
  | 'REJECTED'
  | 'ENROUTE';

export interface DeliveryReceipt {
  carrier: string;
  /** Normalised; the ID the carrier gave in submit_sm_resp when it could be recovered. */
  carrierMessageId: string;
  /**
   * Other normalised forms the same ID may have had in submit_sm_resp (the hex or decimal
   * reading of it) when the client could not tell which one is right. The store tries
   * `carrierMessageId` first, then these.
   */
  alternateIds?: string[];
  state: ReceiptState;
  /** True when no later receipt is expected for this part (ENROUTE and ACCEPTED are not final). */
  final: boolean;
  /** The `err:` field of the receipt text (carrier specific, e.g. "000"). */
  errorCode?: string;
  /** `submit date:` as sent (YYMMDDhhmm[ss], the carrier's local time). */
  submitDate?: string;
  /** `done date:` as sent (YYMMDDhhmm[ss], the carrier's local time). */
  doneDate?: string;
  receivedAt: Date;
  /** The receipt text as received. */
  raw?: string;
}

export type CarrierState = 'connecting' | 'bound' | 'disconnected' | 'closed';

export interface CarrierStatus {
  name: string;
  state: CarrierState;
  /** Parts sent and waiting for submit_sm_resp. */
  inFlight: number;
  /** Parts accepted by `submit` but waiting for a window slot or a throughput token. */
  queued: number;
  window: number;
  /** Parts the carrier accepted since start. */
  submitted: number;
  /** Parts the carrier answered with ESME_RTHROTTLED or ESME_RMSGQFUL since start. */
  throttled: number;
  /** The last connection or bind problem, for operators. */
  lastError?: string;
}

export type ReceiptHandler = (receipt: DeliveryReceipt) => Promise<void>;

export interface Carrier {
  readonly name: string;
  start(): Promise<void>;
  submit(msg: CarrierSubmit): Promise<SubmitOutcome>;
  onReceipt(handler: ReceiptHandler): void;
  status(): CarrierStatus;
  /** How many more parts may be submitted now; 0 while not bound or backing off a throttle. */
  availableWindow(): number;
  stop(): Promise<void>;
}

/** The subset of pino's logger the carrier layer uses. */
export interface CarrierLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: CarrierLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
