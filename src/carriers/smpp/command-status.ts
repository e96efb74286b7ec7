/**
 * What a submit_sm_resp (or generic_nack) command_status means for the message.
 *
 * Transient, retried later by the worker:
 * - 0x58 ESME_RTHROTTLED, 0x14 ESME_RMSGQFUL -> CARRIER_THROTTLED.
 * - 0x08 ESME_RSYSERR -> CARRIER_UNAVAILABLE: a fault inside the SMSC says nothing about
 *   the message, and Kannel and most gateways retry it.
 * - 0x04 ESME_RINVBNDSTS -> CARRIER_UNAVAILABLE: the SMSC no longer considers us bound;
 *   the client also re-binds.
 * Every other non-zero status is permanent: CARRIER_REJECTED with the status (0x0B bad
 * destination, 0xC3 missing TLV, 0xC4 bad TLV value, 0x45 submit failed, 0x0A bad source,
 * 0x104 bad data_coding, ...).
 */

export const ESME = {
  ROK: 0x00,
  RINVMSGLEN: 0x01,
  RINVBNDSTS: 0x04,
  RALYBND: 0x05,
  RSYSERR: 0x08,
  RINVSRCADR: 0x0a,
  RINVDSTADR: 0x0b,
  RBINDFAIL: 0x0d,
  RINVPASWD: 0x0e,
  RINVSYSID: 0x0f,
  RMSGQFUL: 0x14,
  RSUBMITFAIL: 0x45,
  RTHROTTLED: 0x58,
  RX_T_APPN: 0x64,
  RX_P_APPN: 0x65,
  RMISSINGTLV: 0xc3,
  RINVTLVVAL: 0xc4,
  RUNKNOWNERR: 0xff,
  RINVDCS: 0x104,
} as const;

const NAMES = new Map<number, string>(
  Object.entries(ESME).map(([name, code]) => [code, `ESME_${name}`]),
);

/** "ESME_RTHROTTLED (0x58)", or just the hex for codes without a name here. */
export function describeCommandStatus(status: number): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(2, '0')}`;
  const name = NAMES.get(status);
  return name ? `${name} (${hex})` : hex;
}

export type StatusClass =
  | { transient: true; code: 'CARRIER_THROTTLED' | 'CARRIER_UNAVAILABLE'; rebind: boolean }
  | { transient: false; code: 'CARRIER_REJECTED'; rebind: false };

/** Classifies a non-zero command_status. */
export function classifyCommandStatus(status: number): StatusClass {
  switch (status) {
    case ESME.RTHROTTLED:
    case ESME.RMSGQFUL:
      return { transient: true, code: 'CARRIER_THROTTLED', rebind: false };
    case ESME.RSYSERR:
      return { transient: true, code: 'CARRIER_UNAVAILABLE', rebind: false };
    case ESME.RINVBNDSTS:
      return { transient: true, code: 'CARRIER_UNAVAILABLE', rebind: true };
    default:
      return { transient: false, code: 'CARRIER_REJECTED', rebind: false };
  }
}
