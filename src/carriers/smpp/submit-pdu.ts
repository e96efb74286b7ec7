/**
 * Turns a CarrierSubmit into the submit_sm parameters of each part: addresses with their
 * TON/NPI, data_coding with text we encoded ourselves, the concatenation UDH, the validity
 * period, registered_delivery and the DLT TLVs.
 */
import { CallflowError } from '../../errors.ts';
import {
  GSM7_CONCATENATED,
  GSM7_SINGLE,
  type SmsEncoding,
  UCS2_CONCATENATED,
  UCS2_SINGLE,
} from '../../sms/segments.ts';
import type { CarrierSubmit } from '../types.ts';
import type { ResolvedSmppCarrierConfig } from './config.ts';
import { dltTlvFields } from './dlt-tlv.ts';
import { encodeGsm7, encodeUcs2 } from './gsm-codec.ts';

export const DATA_CODING = { 'GSM-7': 0x00, 'UCS-2': 0x08 } as const satisfies Record<
  SmsEncoding,
  number
>;

/** esm_class bit: short_message starts with a user data header. */
export const ESM_CLASS_UDHI = 0x40;

/** Largest part in octets of short_message (one per septet, two per UCS-2 unit), without the UDH. */
const LIMITS = {
  'GSM-7': { single: GSM7_SINGLE, concatenated: GSM7_CONCATENATED },
  'UCS-2': { single: UCS2_SINGLE * 2, concatenated: UCS2_CONCATENATED * 2 },
} as const;

export interface Address {
  ton: number;
  npi: number;
  addr: string;
}

/**
 * The source address for a DLT header. An alphanumeric header (ACMECO) is TON 5 / NPI 0.
 * An all-digit header (the 6-digit numeric headers) is a short code, not an international
 * number, so TON 0 (unknown) / NPI 1 (ISDN), as Kannel and most Indian aggregators send it;
 * a "+" number is TON 1 / NPI 1. `sourceTon` / `sourceNpi` in the config override all cases.
 */
export function sourceAddress(senderId: string, config: ResolvedSmppCarrierConfig): Address {
  let detected: Address;
  if (/^\+[0-9]+$/.test(senderId)) detected = { ton: 1, npi: 1, addr: senderId.slice(1) };
  else if (/^[0-9]+$/.test(senderId)) detected = { ton: 0, npi: 1, addr: senderId };
  else detected = { ton: 5, npi: 0, addr: senderId };
  return {
    ton: config.sourceTon ?? detected.ton,
    npi: config.sourceNpi ?? detected.npi,
    addr: detected.addr,
  };
}

/** E.164 +919876543210 -> 919876543210 with TON 1 / NPI 1 (configurable). */
export function destinationAddress(to: string, config: ResolvedSmppCarrierConfig): Address {
  return { ton: config.destTon, npi: config.destNpi, addr: to.startsWith('+') ? to.slice(1) : to };
}

const MAX_RELATIVE_DAYS = 99;

/**
 * validity_period in the relative format YYMMDDhhmmss000R (SMPP 3.4 §7.1.1): relative,
 * so the carrier's clock and time zone do not matter. Expressed in days, hours, minutes
 * and seconds; longer than 99 days is capped there (carriers cap far lower anyway).
 */
export function relativeValidity(seconds: number): string {
  const total = Math.min(Math.floor(seconds), (MAX_RELATIVE_DAYS + 1) * 86_400 - 1);
  const two = (n: number) => String(n).padStart(2, '0');
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return `0000${two(days)}${two(hours)}${two(minutes)}${two(total % 60)}000R`;
}

/** The 8-bit-reference concatenation UDH: 05 00 03 ref total seq (seq counts from 1). */
export function concatenationUdh(reference: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, reference & 0xff, total, seq]);
}

function encodePart(text: string, encoding: SmsEncoding, concatenated: boolean): Buffer {
  let bytes: Buffer;
  try {
    bytes = encoding === 'GSM-7' ? encodeGsm7(text) : encodeUcs2(text);
  } catch (error) {
    throw new CallflowError('INTERNAL_ERROR', `part is not ${encoding}: ${String(error)}`);
  }
  const limit = LIMITS[encoding][concatenated ? 'concatenated' : 'single'];
  if (bytes.length > limit) {
    throw new CallflowError(
      'INTERNAL_ERROR',
      `part of ${bytes.length} ${encoding === 'GSM-7' ? 'septets' : 'octets'} exceeds ${limit}`,
    );
  }
  return bytes;
}

/**
 * The submit_sm parameters of every part, in order. `reference` is the concatenation
 * reference (0..255) shared by the parts of this message. Throws CallflowError
 * INTERNAL_ERROR when the parts break the encoding or segment limits (a caller bug).
 */
export function buildSubmitParts(
  msg: CarrierSubmit,
  config: ResolvedSmppCarrierConfig,
  reference: number,
): Record<string, unknown>[] {
  const total = msg.parts.length;
  if (total < 1 || total > 255) {
    throw new CallflowError('INTERNAL_ERROR', `a message has 1 to 255 parts, not ${total}`);
  }
  const source = sourceAddress(msg.senderId, config);
  const destination = destinationAddress(msg.to, config);
  const common: Record<string, unknown> = {
    service_type: '',
    source_addr_ton: source.ton,
    source_addr_npi: source.npi,
    source_addr: source.addr,
    dest_addr_ton: destination.ton,
    dest_addr_npi: destination.npi,
    destination_addr: destination.addr,
    esm_class: 0,
    registered_delivery: 0x01, // final receipt, success or failure
    data_coding: DATA_CODING[msg.encoding],
    ...dltTlvFields(config.tlv, config.tmChain, msg),
  };
  if (msg.validitySeconds !== undefined && msg.validitySeconds >= 1) {
    common.validity_period = relativeValidity(msg.validitySeconds);
  }
  return msg.parts.map((text, i) => {
    const bytes = encodePart(text, msg.encoding, total > 1);
    if (total === 1) return { ...common, short_message: bytes };
    // The smpp package prepends the UDH and sets the UDHI bit itself; we set it too so the
    // parameters say what goes on the wire.
    const udh = concatenationUdh(reference, total, i + 1);
    return { ...common, esm_class: ESM_CLASS_UDHI, short_message: { udh, message: bytes } };
  });
}
