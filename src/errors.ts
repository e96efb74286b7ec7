/**
 * The reason-code catalogue: every stable code callflow reports, in one place.
 *
 * A code is what API clients, status callbacks, reports and tests match on; the message
 * text may change, the code never does. `docs/errors.md` documents each code, and a test
 * fails when the two disagree.
 *
 * Glossary:
 * - kind: `request` (the caller sent something wrong; HTTP 4xx), `refusal` (the message was
 *   refused by a check and ends `failed`), `transient` (carrier trouble worth retrying),
 *   `carrier` (the carrier or handset said no), `flow` (a flow definition is invalid),
 *   `lint` (a DLT template finding), `media` (a real call's audio: rtpengine, prompts, speech),
 *   `sip` (a real call's signalling: a refused INVITE, a call ended by the network),
 *   `internal` (a bug or an outage).
 * - exotel: what the Exotel-compatible API reports for a message that ended with this code.
 */

export type ReasonKind =
  | 'request'
  | 'refusal'
  | 'transient'
  | 'carrier'
  | 'flow'
  | 'lint'
  | 'media'
  | 'sip'
  | 'internal';

export interface ExotelStatus {
  status: 'queued' | 'sending' | 'submitted' | 'sent' | 'failed_dnd' | 'failed';
  detailedStatusCode: number;
  detailedStatus: string;
}

export interface ReasonDefinition {
  kind: ReasonKind;
  /** What happened, in one sentence, for people. */
  meaning: string;
  /** HTTP status when an API request is refused with this code. */
  httpStatus?: number;
  exotel?: ExotelStatus;
}

const failed = (detailedStatusCode: number, detailedStatus: string): ExotelStatus => ({
  status: 'failed',
  detailedStatusCode,
  detailedStatus,
});

export const REASONS = {
  // Requests
  VALIDATION_FAILED: {
    kind: 'request',
    meaning:
      'The request does not match the schema: a field is missing, of the wrong type or out of range.',
    httpStatus: 400,
  },
  MALFORMED_REQUEST: {
    kind: 'request',
    meaning:
      'The request could not be parsed: invalid JSON, form or CSV in the body, or a URL the router cannot read (a bad %-escape, a path segment over 100 characters).',
    httpStatus: 400,
  },
  UNAUTHORIZED: {
    kind: 'request',
    meaning: 'No valid credentials: the API key and token (or session) are missing or wrong.',
    httpStatus: 401,
  },
  FORBIDDEN: {
    kind: 'request',
    meaning: 'The credentials are valid but may not act on this account.',
    httpStatus: 403,
  },
  NOT_FOUND: {
    kind: 'request',
    meaning: 'No such resource in this account.',
    httpStatus: 404,
  },
  CONFLICT: {
    kind: 'request',
    meaning: 'The resource already exists or was changed concurrently.',
    httpStatus: 409,
  },
  IDEMPOTENCY_KEY_REUSED: {
    kind: 'request',
    meaning: 'The Idempotency-Key was already used for a different request.',
    httpStatus: 422,
  },
  PAYLOAD_TOO_LARGE: {
    kind: 'request',
    meaning: 'The request body is larger than the limit.',
    httpStatus: 413,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    kind: 'request',
    meaning: 'The request body has a Content-Type the endpoint does not accept.',
    httpStatus: 415,
  },
  RATE_LIMITED: {
    kind: 'request',
    meaning: 'Too many requests for this account; retry after the time in Retry-After.',
    httpStatus: 429,
  },
  AUTH_THROTTLED: {
    kind: 'request',
    meaning:
      'Too many failed authentications from this address; retry after the time in Retry-After (correct credentials are still accepted).',
    httpStatus: 429,
  },
  INVALID_TEXT: {
    kind: 'request',
    meaning:
      'The text is not valid: not a string, a lone surrogate, a NUL character, or bytes that are not UTF-8.',
    httpStatus: 400,
    exotel: failed(23060, 'Rejected'),
  },
  TEXT_TOO_LONG: {
    kind: 'request',
    meaning: 'The text is longer than the limit.',
    httpStatus: 400,
    exotel: failed(23060, 'Rejected'),
  },
  INVALID_ENTITY_ID: {
    kind: 'request',
    meaning: 'A DLT entity (PE) ID must be 12 to 19 digits.',
    httpStatus: 400,
    exotel: failed(23281, 'DLT entity not found'),
  },
  INVALID_TEMPLATE_ID: {
    kind: 'request',
    meaning: 'A DLT template ID must be 12 to 19 digits.',
    httpStatus: 400,
    exotel: failed(23181, 'DLT template id invalid'),
  },
  INVALID_HEADER: {
    kind: 'request',
    meaning: 'The sender ID (header) does not have the form its SMS type requires.',
    httpStatus: 400,
    exotel: failed(23072, 'Invalid sender'),
  },
  CALLBACK_URL_BLOCKED: {
    kind: 'request',
    meaning:
      'An outbound URL points to a private, loopback or link-local address, or is not http(s).',
    httpStatus: 400,
  },

  // Refusals of a message by the checks before sending
  INVALID_NUMBER: {
    kind: 'refusal',
    meaning: 'The recipient is not a valid phone number.',
    httpStatus: 400,
    exotel: failed(23010, 'Invalid number'),
  },
  NOT_MOBILE: {
    kind: 'refusal',
    meaning: 'The recipient is a valid number that cannot receive SMS (a fixed line, toll-free).',
    httpStatus: 400,
    exotel: failed(23010, 'Invalid number'),
  },
  DLT_ENTITY_NOT_FOUND: {
    kind: 'refusal',
    meaning: 'The DLT entity ID is not registered in this account.',
    httpStatus: 400,
    exotel: failed(23281, 'DLT entity not found'),
  },
  DLT_ENTITY_INACTIVE: {
    kind: 'refusal',
    meaning: 'The DLT entity is registered but not active.',
    exotel: failed(23081, 'DLT entity inactive'),
  },
  DLT_HEADER_NOT_FOUND: {
    kind: 'refusal',
    meaning: 'The sender ID is not registered to the entity (headers are case-sensitive).',
    httpStatus: 400,
    exotel: failed(23080, 'DLT sender not registered'),
  },
  DLT_HEADER_INACTIVE: {
    kind: 'refusal',
    meaning: 'The sender ID is registered but not active.',
    exotel: failed(23080, 'DLT sender inactive'),
  },
  DLT_HEADER_TYPE_MISMATCH: {
    kind: 'refusal',
    meaning:
      'The sender ID is registered as promotional and the message is not: transactional and service SMS need a header registered for them.',
    httpStatus: 400,
    exotel: failed(23080, 'DLT sender type mismatch'),
  },
  DLT_HEADER_NOT_LINKED: {
    kind: 'refusal',
    meaning: 'The template is not linked to this sender ID.',
    httpStatus: 400,
    exotel: failed(23080, 'DLT sender not linked to template'),
  },
  DLT_TEMPLATE_NOT_FOUND: {
    kind: 'refusal',
    meaning: 'The DLT template ID is not registered in this account.',
    httpStatus: 400,
    exotel: failed(23182, 'DLT template not found'),
  },
  DLT_TEMPLATE_NOT_APPROVED: {
    kind: 'refusal',
    meaning: 'The template is pending, rejected or inactive.',
    exotel: failed(23183, 'DLT template inactive'),
  },
  DLT_TEMPLATE_ENTITY_MISMATCH: {
    kind: 'refusal',
    meaning: 'The template belongs to another entity.',
    httpStatus: 400,
    exotel: failed(23182, 'DLT template not found'),
  },
  DLT_CATEGORY_MISMATCH: {
    kind: 'refusal',
    meaning: "The template's category does not allow this SMS type.",
    httpStatus: 400,
    exotel: failed(23082, 'DLT template category mismatch'),
  },
  DLT_TEMPLATE_MISMATCH: {
    kind: 'refusal',
    meaning: "The message's fixed text departs from the template.",
    exotel: failed(23185, 'DLT template does not match'),
  },
  DLT_VARIABLE_TOO_LONG: {
    kind: 'refusal',
    meaning:
      'A variable value is longer than its DLT limit (30 for {#var#}, 40 for {#alphanumeric#}).',
    exotel: failed(23186, 'DLT template length exceeded'),
  },
  DLT_VARIABLE_TYPE: {
    kind: 'refusal',
    meaning:
      'A variable value does not fit its type ({#numeric#}, {#alphanumeric#}, {#email#}, ...).',
    exotel: failed(23185, 'DLT template does not match'),
  },
  DLT_URL_NOT_WHITELISTED: {
    kind: 'refusal',
    meaning: "A {#url#} or {#urlott#} value is not on the entity's whitelist.",
    exotel: failed(23185, 'DLT template does not match'),
  },
  DLT_CBN_NOT_WHITELISTED: {
    kind: 'refusal',
    meaning: "A {#cbn#} callback number is not on the entity's whitelist.",
    exotel: failed(23185, 'DLT template does not match'),
  },
  DND_BLOCKED: {
    kind: 'refusal',
    meaning: "The recipient's DND preferences block this message's category.",
    exotel: { status: 'failed_dnd', detailedStatusCode: 23005, detailedStatus: 'Failed DND' },
  },
  OUTSIDE_PROMO_WINDOW: {
    kind: 'refusal',
    meaning: 'A promotional message could not be sent inside the promotional window.',
    exotel: failed(23084, 'DLT scrubbing failure'),
  },
  INSUFFICIENT_BALANCE: {
    kind: 'refusal',
    meaning: "The account's balance does not cover the message's segments.",
    httpStatus: 402,
    exotel: failed(24010, 'Insufficient balance'),
  },
  EXPIRED: {
    kind: 'refusal',
    meaning:
      'The message could not be submitted within its validity period; the debit was refunded.',
    exotel: failed(24990, 'Expired'),
  },
  NO_ROUTE: {
    kind: 'refusal',
    meaning:
      'No route of the carrier routing fits the message (its SMS type, number, account or sender ID); nothing was charged.',
    exotel: failed(23030, 'Unavailable route'),
  },

  // Carrier
  CARRIER_THROTTLED: {
    kind: 'transient',
    meaning: 'The carrier answered ESME_RTHROTTLED or ESME_RMSGQFUL; the message is retried later.',
  },
  CARRIER_UNAVAILABLE: {
    kind: 'transient',
    meaning: 'No carrier bind is up, or the connection dropped; the message is retried later.',
  },
  CARRIER_TIMEOUT: {
    kind: 'transient',
    meaning: 'The carrier did not answer submit_sm in time; the message is retried later.',
  },
  CARRIER_REJECTED: {
    kind: 'carrier',
    meaning: 'The carrier refused submit_sm with a permanent command_status.',
    exotel: failed(23060, 'Rejected'),
  },
  UNDELIVERED: {
    kind: 'carrier',
    meaning:
      'The carrier reported that the handset could not be reached (UNDELIV, DELETED, UNKNOWN).',
    exotel: failed(24120, 'Subscriber error'),
  },
  DELIVERY_EXPIRED: {
    kind: 'carrier',
    meaning: 'The carrier gave up delivering before the handset could be reached (stat EXPIRED).',
    exotel: failed(23035, 'Subscriber unavailable'),
  },
  RECEIPT_TIMEOUT: {
    kind: 'carrier',
    meaning:
      'No final delivery receipt came within delivery.receiptTimeoutSeconds of the submit: whether the handset got the message is unknown. A receipt that comes later still updates the message.',
    exotel: failed(24990, 'Delivery unknown'),
  },
  DELIVERY_REJECTED: {
    kind: 'carrier',
    meaning:
      'The carrier or the DLT scrubber rejected the message after accepting it (stat REJECTD).',
    exotel: failed(24110, 'Operator error'),
  },

  // Flows
  FLOW_INVALID: {
    kind: 'flow',
    meaning: 'The flow is not a valid flow document (no start, no applets, wrong shape).',
    httpStatus: 400,
  },
  FLOW_UNKNOWN_APPLET_TYPE: {
    kind: 'flow',
    meaning: 'An applet has a type that callflow does not know.',
    httpStatus: 400,
  },
  FLOW_INVALID_CONFIG: {
    kind: 'flow',
    meaning: "An applet's configuration breaks its schema (a required field is missing or wrong).",
    httpStatus: 400,
  },
  FLOW_DANGLING_EXIT: {
    kind: 'flow',
    meaning: 'An exit points to an applet that does not exist, or an exit is not connected.',
    httpStatus: 400,
  },
  FLOW_UNKNOWN_VARIABLE: {
    kind: 'flow',
    meaning: 'A body uses a variable that no earlier applet can produce.',
    httpStatus: 400,
  },
  FLOW_TEMPLATE_NEVER_MATCHES: {
    kind: 'flow',
    meaning: 'An SMS body can never match its DLT template.',
    httpStatus: 400,
  },
  FLOW_UNREACHABLE_APPLET: {
    kind: 'flow',
    meaning: 'An applet cannot be reached from the start (a warning).',
  },
  FLOW_STEP_LIMIT: {
    kind: 'flow',
    meaning: 'A call passed through more applets than the step limit and was ended.',
  },

  // DLT template lint findings
  TEMPLATE_TOO_MANY_VARIABLES: {
    kind: 'lint',
    meaning: 'The template has more variables than TRAI allows (2; a third only with reasons).',
  },
  TEMPLATE_ADJACENT_VARIABLES: {
    kind: 'lint',
    meaning:
      'Two variables are next to each other or separated only by spaces, commas or special characters.',
  },
  TEMPLATE_ANGLE_BRACKETS: {
    kind: 'lint',
    meaning: 'The template contains < or >, which DLT portals do not accept.',
  },
  TEMPLATE_LOW_FIXED_TEXT: {
    kind: 'lint',
    meaning: 'Too little of the template is fixed text.',
  },
  TEMPLATE_UNKNOWN_VARIABLE: {
    kind: 'lint',
    meaning: 'The template has a {#...#} placeholder that is not a DLT variable type.',
  },

  // Media of real calls (rtpengine, prompts, text-to-speech)
  NO_COMMON_CODEC: {
    kind: 'media',
    meaning:
      'The caller offered no codec callflow speaks (G.711 PCMA or PCMU); the call is refused with 488.',
  },
  MEDIA_UNAVAILABLE: {
    kind: 'media',
    meaning: 'rtpengine is not running or not installed, so real calls cannot carry audio.',
  },
  MEDIA_CONTROL_TIMEOUT: {
    kind: 'media',
    meaning: 'rtpengine did not answer an NG control request after its retries.',
  },
  MEDIA_REJECTED: {
    kind: 'media',
    meaning: 'rtpengine answered an NG control request with an error (an unknown call, a bad SDP).',
  },
  TTS_FAILED: {
    kind: 'media',
    meaning:
      'The text-to-speech engine could not render a prompt; the prompt is skipped, the call goes on.',
  },
  PROMPT_FETCH_FAILED: {
    kind: 'media',
    meaning:
      'A prompt URL could not be fetched: unreachable, blocked by the outbound guard, or not 2xx.',
  },
  PROMPT_NOT_AUDIO: {
    kind: 'media',
    meaning: 'A prompt URL did not return a WAV file callflow can play (PCM, mu-law or A-law).',
  },
  PROMPT_TOO_LARGE: {
    kind: 'media',
    meaning: 'A prompt file is larger than the size limit.',
  },

  // SIP signalling of real calls (logged with the SIP status sent)
  SIP_NUMBER_UNKNOWN: {
    kind: 'sip',
    meaning: 'The number dialled is no ExoPhone of any account; the INVITE is refused with 404.',
  },
  SIP_NO_LIVE_FLOW: {
    kind: 'sip',
    meaning: 'The ExoPhone dialled has no published flow; the INVITE is refused with 480.',
  },
  SIP_FORBIDDEN: {
    kind: 'sip',
    meaning:
      'The request came from a source that is no configured trunk and passed no digest authentication; refused with 403.',
  },
  SIP_OVER_CAPACITY: {
    kind: 'sip',
    meaning: 'sip.maxCalls calls are in progress; the INVITE is refused with 503 and Retry-After.',
  },
  SIP_MALFORMED: {
    kind: 'sip',
    meaning: 'A SIP message did not parse (or broke a size limit); answered 400 when possible.',
  },
  SIP_FLOOD: {
    kind: 'sip',
    meaning:
      'A source sent new requests faster than sip.invitesPerSecondPerSource; the excess is dropped unanswered.',
  },
  SIP_NO_OUTBOUND_TRUNK: {
    kind: 'sip',
    meaning:
      'Connect on a real call could not dial a number: no outbound trunk is configured (or the one named has no outbound settings); the attempt ends failed.',
  },
  SIP_MEDIA_TIMEOUT: {
    kind: 'sip',
    meaning:
      "No media came from the caller for sip.mediaTimeoutSeconds; callflow hung up (as the caller's hang-up).",
  },
  SIP_ACK_TIMEOUT: {
    kind: 'sip',
    meaning: 'The caller never acknowledged the 200 OK (64·T1, 32 s); callflow hung up with BYE.',
  },

  // Connect on real calls
  SIP_AGENT_UNREACHABLE: {
    kind: 'sip',
    meaning:
      'A Connect agent could not be rung: a softphone user that is not configured or not registered, or a host that does not resolve; the attempt ends failed.',
  },

  // The Builder's test call from the browser (WebRTC)
  BROWSER_CALL_UNAVAILABLE: {
    kind: 'media',
    meaning:
      'A call from the browser needs real calls on (sip.enabled and rtpengine installed); they are off.',
    httpStatus: 503,
  },
  BROWSER_CALL_BAD_OFFER: {
    kind: 'request',
    meaning:
      "The browser's SDP offer is not readable or offers no audio codec callflow speaks (G.711).",
    httpStatus: 400,
  },

  // Internal
  INTERNAL_ERROR: {
    kind: 'internal',
    meaning: 'An unexpected error inside callflow; it is logged with details.',
    httpStatus: 500,
    exotel: failed(24990, 'Unknown error'),
  },
  STORE_TOO_NEW: {
    kind: 'internal',
    meaning: 'The database was migrated by a newer callflow; upgrade the code before starting.',
  },
  STORE_UNAVAILABLE: {
    kind: 'internal',
    meaning: 'The store could not be reached.',
    httpStatus: 503,
  },
} as const satisfies Record<string, ReasonDefinition>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && Object.hasOwn(REASONS, value);
}

export function reason(code: ReasonCode): ReasonDefinition {
  return REASONS[code];
}

/** An error that carries a stable reason code. Throw it where a caller decides what to do. */
export class CallflowError extends Error {
  readonly code: ReasonCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ReasonCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? REASONS[code].meaning);
    this.name = 'CallflowError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    const def: ReasonDefinition = REASONS[this.code];
    return def.httpStatus ?? 500;
  }
}

/**
 * A thrown value as an Error: itself when it is one, otherwise an Error whose message is the value
 * as text and whose `cause` is the value. Code that reads a caught value's message calls this once
 * instead of casting.
 */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return new Error(text, { cause: value });
}
