/**
 * The simulator reads each submit_sm from its raw bytes, not only as the `smpp` package
 * decoded it: the package turns validity_period into a Date, decodes short_message, and
 * decodes TLVs by a module-global registry that the client side of the same process also
 * writes to (DLT tags). Records of what arrived must show the bytes that were sent.
 */
import type { Session } from 'smpp';

export interface RawSubmitSm {
  sequenceNumber: number;
  serviceType: string;
  sourceTon: number;
  sourceNpi: number;
  sourceAddr: string;
  destTon: number;
  destNpi: number;
  destinationAddr: string;
  esmClass: number;
  protocolId: number;
  priorityFlag: number;
  scheduleDeliveryTime: string;
  validityPeriod: string;
  registeredDelivery: number;
  dataCoding: number;
  /** short_message as sent, UDH included. */
  shortMessage: Buffer;
  /** Optional parameters by tag, values as sent. */
  tlvs: Map<number, Buffer>;
}

/**
 * Parses a submit_sm from its bytes after command_length (command_id, command_status,
 * sequence_number, then the body). Throws a RangeError on a truncated PDU.
 */
export function readSubmitSm(pdu: Buffer): RawSubmitSm {
  let at = 8;
  const int32 = () => {
    const value = pdu.readUInt32BE(at);
    at += 4;
    return value;
  };
  const int8 = () => pdu.readUInt8(at++);
  const cstring = () => {
    const end = pdu.indexOf(0, at);
    if (end < 0) throw new RangeError('unterminated C-octet string in submit_sm');
    const value = pdu.toString('latin1', at, end);
    at = end + 1;
    return value;
  };
  const sequenceNumber = int32();
  const serviceType = cstring();
  const sourceTon = int8();
  const sourceNpi = int8();
  const sourceAddr = cstring();
  const destTon = int8();
  const destNpi = int8();
  const destinationAddr = cstring();
  const esmClass = int8();
  const protocolId = int8();
  const priorityFlag = int8();
  const scheduleDeliveryTime = cstring();
  const validityPeriod = cstring();
  const registeredDelivery = int8();
  int8(); // replace_if_present_flag
  const dataCoding = int8();
  int8(); // sm_default_msg_id
  const smLength = int8();
  const shortMessage = Buffer.from(pdu.subarray(at, at + smLength));
  at += smLength;
  const tlvs = new Map<number, Buffer>();
  while (at + 4 <= pdu.length) {
    const tag = pdu.readUInt16BE(at);
    const length = pdu.readUInt16BE(at + 2);
    tlvs.set(tag, Buffer.from(pdu.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return {
    sequenceNumber,
    serviceType,
    sourceTon,
    sourceNpi,
    sourceAddr,
    destTon,
    destNpi,
    destinationAddr,
    esmClass,
    protocolId,
    priorityFlag,
    scheduleDeliveryTime,
    validityPeriod,
    registeredDelivery,
    dataCoding,
    shortMessage,
    tlvs,
  };
}

/**
 * Keeps the bytes of the last PDU the session read. `smpp` reads a PDU as read(4) for
 * command_length, then read(length - 4) for the rest, and emits the decoded PDU right after,
 * synchronously; so inside a PDU handler the last read of more than 4 bytes is that PDU.
 */
export function captureLastPdu(session: Session): () => Buffer | undefined {
  const socket = session.socket;
  const read = socket.read.bind(socket);
  let last: Buffer | undefined;
  socket.read = (size?: number) => {
    const chunk: unknown = read(size);
    if (Buffer.isBuffer(chunk) && size !== 4) last = chunk;
    return chunk;
  };
  return () => last;
}

export interface Concatenation {
  reference: number;
  total: number;
  seq: number;
}

/** Splits short_message into UDH and payload when esm_class has UDHI, and reads a concat IE. */
export function splitUdh(
  esmClass: number,
  shortMessage: Buffer,
): { udh: Buffer | null; payload: Buffer; concat: Concatenation | null } {
  if ((esmClass & 0x40) === 0 || shortMessage.length === 0) {
    return { udh: null, payload: shortMessage, concat: null };
  }
  const udh = shortMessage.subarray(0, shortMessage[0]! + 1);
  let concat: Concatenation | null = null;
  for (let at = 1; at + 1 < udh.length; at += 2 + udh[at + 1]!) {
    const iei = udh[at]!;
    if (iei === 0x00 && udh[at + 1] === 3) {
      concat = { reference: udh[at + 2]!, total: udh[at + 3]!, seq: udh[at + 4]! };
    } else if (iei === 0x08 && udh[at + 1] === 4) {
      concat = { reference: udh.readUInt16BE(at + 2), total: udh[at + 4]!, seq: udh[at + 5]! };
    }
  }
  return { udh, payload: shortMessage.subarray(udh.length), concat };
}
