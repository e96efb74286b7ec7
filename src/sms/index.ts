/** Composing an SMS: encoding and segments, GSM suggestions, body variables, phone numbers. */

export {
  countSeptets,
  encodeGsm7,
  GSM7_BASIC_CHARS,
  GSM7_ESCAPE,
  GSM7_EXTENSION_CHARS,
  isGsm7,
} from './gsm7.ts';
export {
  normalizeNumber,
  parseRecipient,
  type RecipientResult,
  toSmppAddress,
} from './phone.ts';
export {
  GSM7_CONCATENATED,
  GSM7_SINGLE,
  inspectSms,
  type NonGsmCharacter,
  type SmsEncoding,
  type SmsInspection,
  type SmsSplitOptions,
  UCS2_CONCATENATED,
  UCS2_SINGLE,
} from './segments.ts';
export { type GsmReplacement, type GsmSuggestion, suggestGsm } from './suggest.ts';
export {
  type BodyVariable,
  CALL_SID_ALPHABET,
  CALL_SID_LENGTH,
  CALL_VARIABLE_NAMES,
  CALL_VARIABLES,
  type CallVariableName,
  type CallVariableShape,
  DEFAULT_MAX_DIGITS,
  formatDateTime,
  isCallVariableName,
  type RenderClock,
  renderBody,
  type VariableCharset,
  variablesOf,
} from './variables.ts';
