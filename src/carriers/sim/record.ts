/** What the simulator keeps of each submit_sm: the fields as sent, decoded where useful. */
import { decodeGsm7, decodeUcs2 } from '../smpp/gsm-codec.ts';
import { type Concatenation, type RawSubmitSm, splitUdh } from './raw-submit.ts';

export interface DltTags {
  entityId: number;
  templateId: number;
  tmChain: number;
}

export interface SimulatedSubmit {
  /** ISO time of arrival. */
  at: string;
  systemId: string;
  sequenceNumber: number;
  sourceAddr: string;
  sourceTon: number;
  sourceNpi: number;
  destinationAddr: string;
  destTon: number;
  destNpi: number;
  esmClass: number;
  dataCoding: number;
  registeredDelivery: number;
  validityPeriod: string;
  /** The UDH, hex; null without one. */
  udh: string | null;
  concat: Concatenation | null;
  /** short_message after the UDH, hex. */
  payload: string;
  /** The payload decoded (UTF-16BE for data_coding 8, else GSM 03.38). */
  text: string;
  /** Every TLV as sent, hex by hex tag (e.g. "1400"). */
  tlvs: Record<string, string>;
  /** The DLT TLVs as text (a C-string's NUL removed). */
  dlt: { entityId?: string; templateId?: string; tmChain?: string };
  /** command_status answered; undefined while unanswered or never. */
  commandStatus?: number;
  messageId?: string;
}

export function submitRecord(
  systemId: string,
  raw: RawSubmitSm,
  tags: DltTags,
  at: Date,
): SimulatedSubmit {
  const { udh, payload, concat } = splitUdh(raw.esmClass, raw.shortMessage);
  const dlt: SimulatedSubmit['dlt'] = {};
  for (const field of ['entityId', 'templateId', 'tmChain'] as const) {
    const value = raw.tlvs.get(tags[field]);
    if (value) dlt[field] = value.toString('latin1').replace(/\0$/, '');
  }
  return {
    at: at.toISOString(),
    systemId,
    sequenceNumber: raw.sequenceNumber,
    sourceAddr: raw.sourceAddr,
    sourceTon: raw.sourceTon,
    sourceNpi: raw.sourceNpi,
    destinationAddr: raw.destinationAddr,
    destTon: raw.destTon,
    destNpi: raw.destNpi,
    esmClass: raw.esmClass,
    dataCoding: raw.dataCoding,
    registeredDelivery: raw.registeredDelivery,
    validityPeriod: raw.validityPeriod,
    udh: udh ? udh.toString('hex') : null,
    concat,
    payload: payload.toString('hex'),
    text: raw.dataCoding === 0x08 ? decodeUcs2(payload) : decodeGsm7(payload),
    tlvs: Object.fromEntries(
      [...raw.tlvs].map(([tag, value]) => [
        tag.toString(16).padStart(4, '0'),
        value.toString('hex'),
      ]),
    ),
    dlt,
  };
}
