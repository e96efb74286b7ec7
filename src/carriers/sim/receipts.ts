/** The delivery receipts the simulator sends: the standard text, TLVs and deliver_sm fields. */
import { RECEIPT_FIELDS, type ReceiptOutcome } from './outcomes.ts';
import type { SimulatedSubmit } from './record.ts';

export interface SimulatedReceipt {
  messageId: string;
  outcome: ReceiptOutcome;
  /** The text sent in short_message. */
  text: string;
  attempts: number;
  /** command_status of each deliver_sm_resp, in order. */
  responses: number[];
  /** ISO time of the successful deliver_sm_resp. */
  ackedAt?: string;
}

export interface ReceiptIdStyle {
  /** hex as in submit_sm_resp, or its decimal reading. */
  format: 'hex' | 'decimal';
  /** Zero-pad to this width (0: none). */
  width: number;
  /** Also send the receipted_message_id TLV. */
  tlv: boolean;
}

/** YYMMDDhhmm, UTC. */
function receiptDate(date: Date): string {
  return date.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d).*$/, '$1$2$3$4$5');
}

/**
 * The receipt of one accepted part and the deliver_sm fields that carry it: from the handset
 * back to the sender, esm_class 0x04, message_state and (by default) receipted_message_id,
 * and the text `id:... sub:001 dlvrd:... submit date:... done date:... stat:... err:... text:...`.
 */
export function buildReceipt(
  submit: SimulatedSubmit,
  messageId: string,
  outcome: ReceiptOutcome,
  style: ReceiptIdStyle,
  now: Date,
): { receipt: SimulatedReceipt; pdu: Record<string, unknown> } {
  const fields = RECEIPT_FIELDS[outcome];
  const id = (
    style.format === 'decimal' ? BigInt(`0x${messageId}`).toString(10) : messageId
  ).padStart(style.width, '0');
  const excerpt = submit.text.slice(0, 20).replace(/[^A-Za-z0-9 ]/g, '.');
  const text =
    `id:${id} sub:001 dlvrd:${outcome === 'delivered' ? '001' : '000'} ` +
    `submit date:${receiptDate(new Date(submit.at))} done date:${receiptDate(now)} ` +
    `stat:${fields.stat} err:${fields.err} text:${excerpt}`;
  const pdu: Record<string, unknown> = {
    source_addr_ton: submit.destTon,
    source_addr_npi: submit.destNpi,
    source_addr: submit.destinationAddr,
    dest_addr_ton: submit.sourceTon,
    dest_addr_npi: submit.sourceNpi,
    destination_addr: submit.sourceAddr,
    esm_class: 0x04, // SMSC delivery receipt
    data_coding: 0,
    short_message: Buffer.from(text, 'latin1'),
    message_state: fields.state,
  };
  if (style.tlv) pdu.receipted_message_id = id;
  return { receipt: { messageId, outcome, text, attempts: 0, responses: [] }, pdu };
}
