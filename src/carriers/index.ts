/**
 * The carrier layer: the Carrier interface, its SMPP 3.4 implementation and the carrier
 * simulator. Every carrier speaks SMPP today; `createCarrier` is where another kind of
 * carrier would be chosen.
 */

import { SmppCarrier, type SmppCarrierOptions } from './smpp/client.ts';
import type { SmppCarrierConfig } from './smpp/config.ts';

export function createCarrier(
  config: SmppCarrierConfig,
  options: SmppCarrierOptions = {},
): SmppCarrier {
  return new SmppCarrier(config, options);
}

export { type DestinationRule, MAGIC_RULES, type OutcomeMix } from './sim/outcomes.ts';
export {
  CarrierSimulator,
  type SimulatedReceipt,
  type SimulatedSubmit,
  type SimulatorOptions,
  type SimulatorStats,
} from './simulator.ts';
export { SmppCarrier, type SmppCarrierOptions } from './smpp/client.ts';
export {
  type ReceiptIdFormat,
  type ResolvedSmppCarrierConfig,
  resolveSmppCarrierConfig,
  SMPP_CARRIER_DEFAULTS,
  type SmppCarrierConfig,
  SmppCarrierConfigSchema,
} from './smpp/config.ts';
export { tmChainHash } from './smpp/dlt-tlv.ts';
export {
  decimalToHexId,
  hexToDecimalId,
  normalizeMessageId,
  resolveReceiptId,
} from './smpp/receipt.ts';
export type {
  Carrier,
  CarrierLogger,
  CarrierState,
  CarrierStatus,
  CarrierSubmit,
  DeliveryReceipt,
  ReceiptHandler,
  ReceiptState,
  SmsEncoding,
  SubmitOutcome,
  TransientCode,
} from './types.ts';
export { silentLogger } from './types.ts';
