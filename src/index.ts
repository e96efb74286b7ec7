/**
 * callflow's public library API: what another program may import. The pure SMS and DLT core
 * (no I/O), the reason-code catalogue, and the factories that run the system.
 */

export {
  type Carrier,
  CarrierSimulator,
  createCarrier,
  type DeliveryReceipt,
  type SimulatorOptions,
} from './carriers/index.ts';
export { type Config, ConfigError, loadConfig } from './config.ts';
export { createSender, type SendResult, type SmsRequest } from './delivery/send.ts';
export {
  type BodyCheck,
  type CompiledTemplate,
  categoryAllows,
  checkBody,
  compileTemplate,
  findTemplates,
  type LintFinding,
  lintTemplate,
  type MatchResult,
  matchTemplate,
  TemplateIndex,
  validateEntityId,
  validateHeader,
  validateTemplateId,
} from './dlt/index.ts';
export {
  CallflowError,
  isReasonCode,
  REASON_CODES,
  REASONS,
  type ReasonCode,
  type ReasonDefinition,
} from './errors.ts';
export { type RunningServer, startServer } from './server.ts';
export {
  type BodyVariable,
  formatDateTime,
  inspectSms,
  normalizeNumber,
  parseRecipient,
  renderBody,
  type SmsInspection,
  type SmsSplitOptions,
  suggestGsm,
  variablesOf,
} from './sms/index.ts';
export { openStore } from './store/index.ts';
export type { Message, Store } from './store/types.ts';
