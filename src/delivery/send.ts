/**
 * sendSms: the one way in for an SMS (the flow applet, the REST API and the Exotel-compatible API
 * all call it). It checks the request's shape, computes encoding and segments, writes the outbox
 * row and wakes the workers; compliance (number, DLT, DND, window, balance) is the worker's job.
 * It never throws: a call flow must not be hurt by an SMS, so every problem is a result.
 */

import { createHash } from 'node:crypto';
import { CallflowError, coerceError, type ReasonCode } from '../errors.ts';
import { inspectSms } from '../sms/index.ts';
import { type Message, type Origin, SMS_TYPES, type SmsType, type Store } from '../store/types.ts';
import {
  DEFAULT_SEND_CONFIG,
  DEFAULT_SMS_CONFIG,
  type DeliveryLogger,
  type SendConfig,
  type SmsSettings,
  silentLogger,
} from './config.ts';
import { newMessageSid } from './message-id.ts';
import { checkRecipient, idProblem, type RequestProblem } from './request-rules.ts';
import { checkOutboundUrl, type OutboundPolicy } from './ssrf.ts';

export interface SmsRequest {
  /** Recipient; E.164 or a national number (default region IN). */
  to: string;
  /** DLT header, e.g. ACMECO. */
  senderId: string;
  /** Final text (callers render variables first). */
  body: string;
  dltTemplateId: string;
  dltEntityId: string;
  /** Default transactional. */
  smsType?: SmsType;
  statusCallback?: string | null;
  customField?: string | null;
  /** Default SendConfig.validitySeconds. */
  validitySeconds?: number;
  /** Same key and same request: the same message; same key, other request: IDEMPOTENCY_KEY_REUSED. */
  idempotencyKey?: string | null;
  /** Default 'exotel' for the Exotel-compatible API, 'json' otherwise. */
  callbackFormat?: 'json' | 'exotel';
}

export type SendResult =
  | { ok: true; message: Message; created: boolean }
  | { ok: false; code: ReasonCode; message: string; field?: string };

/** What `handOver` answers at once: refused, or the new message's SmsSid while it is stored. */
export type Handover =
  | { ok: true; sid: string; stored: Promise<SendResult> }
  | Extract<SendResult, { ok: false }>;

export interface Sender {
  /** How segments are counted: grapheme clusters kept whole (sms.splitGraphemes) or not. */
  readonly splitGraphemes: boolean;
  sendSms(accountSid: string, request: SmsRequest, origin: Origin): Promise<SendResult>;
  /**
   * For a call flow, which must not wait for the disk: checks and composes the message at once
   * and answers with its SmsSid (or why it was refused) before the row is written; `stored`
   * settles once the row is committed, or with why it could not be (it never rejects). Without an
   * idempotency key, so the SmsSid is always the new message's.
   */
  handOver(
    accountSid: string,
    request: Omit<SmsRequest, 'idempotencyKey'>,
    origin: Origin,
  ): Handover;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const MAX_CUSTOM_FIELD = 1000;
const MAX_URL = 2048;

class Refusal extends Error {
  readonly code: ReasonCode;
  readonly field: string | undefined;
  constructor(code: ReasonCode, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

const refuse = (code: ReasonCode, field: string, message: string): never => {
  throw new Refusal(code, message, field);
};
const fail = (problem: RequestProblem): never =>
  refuse(problem.code, problem.field, problem.message);

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    refuse('VALIDATION_FAILED', field, `${field} is required and must be a non-empty string.`);
  }
  return value as string;
}

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) {
    refuse('VALIDATION_FAILED', field, `${field} must be a string of at most ${max} characters.`);
  }
  // No field needs one, and PostgreSQL cannot store one (the HTTP routes refuse it earlier; a
  // flow's Passthru answer or a script may still bring one).
  if ((value as string).includes('\u0000')) {
    refuse('INVALID_TEXT', field, `${field} contains a NUL character.`);
  }
  return value as string;
}

function codePoints(text: string, stopAfter: number): number {
  let n = 0;
  for (const _ of text) if (++n > stopAfter) break;
  return n;
}

export function createSender(deps: {
  store: Store;
  clock?: () => Date;
  /** The `delivery` section of the configuration (its validity settings are read). */
  config?: Partial<SendConfig>;
  /**
   * Which internal addresses a status callback may name: the `callbacks` section of the
   * configuration (allowPrivateAddresses, allowList), as the dispatcher applies it. Default: none.
   */
  outbound?: OutboundPolicy;
  /** The `sms` section of the configuration: how parts are counted. */
  sms?: Partial<SmsSettings>;
  logger?: DeliveryLogger;
}): Sender {
  const config = { ...DEFAULT_SEND_CONFIG, ...deps.config };
  const outbound = deps.outbound ?? {};
  const sms: SmsSettings = { ...DEFAULT_SMS_CONFIG, ...deps.sms };
  if (config.validitySeconds > config.maxValiditySeconds) {
    throw new RangeError('the default validitySeconds must not exceed maxValiditySeconds');
  }
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;

  /** The outbox row for a valid request; throws Refusal for an invalid one. */
  function compose(accountSid: string, r: SmsRequest, origin: Origin) {
    if (typeof accountSid !== 'string' || accountSid === '') {
      refuse('VALIDATION_FAILED', 'accountSid', 'accountSid is required.');
    }
    if (typeof r !== 'object' || r === null) refuse('VALIDATION_FAILED', 'request', 'No request.');
    const rawTo = requireString(r.to, 'to').trim();
    const recipient = checkRecipient(rawTo);
    if (!recipient.ok && !recipient.storable) fail(recipient.problem);
    const senderId = requireString(r.senderId, 'senderId');
    if (typeof r.body !== 'string') refuse('INVALID_TEXT', 'body', 'body must be a string.');
    if (r.body === '') refuse('VALIDATION_FAILED', 'body', 'body must not be empty.');
    if (codePoints(r.body, config.maxBodyCharacters) > config.maxBodyCharacters) {
      refuse(
        'TEXT_TOO_LONG',
        'body',
        `body is longer than ${config.maxBodyCharacters} characters.`,
      );
    }
    // Throws INVALID_TEXT for a lone surrogate or a NUL.
    const { encoding, segments } = inspectSms(r.body, sms);
    const dltEntityId = requireString(r.dltEntityId, 'dltEntityId');
    const dltTemplateId = requireString(r.dltTemplateId, 'dltTemplateId');
    const malformed = idProblem({ senderId, dltEntityId, dltTemplateId });
    if (malformed !== null) fail(malformed);
    const smsType = r.smsType ?? 'transactional';
    if (!(SMS_TYPES as readonly SmsType[]).includes(smsType)) {
      refuse('VALIDATION_FAILED', 'smsType', `smsType must be one of ${SMS_TYPES.join(', ')}.`);
    }
    const statusCallback = optionalString(r.statusCallback, 'statusCallback', MAX_URL) || null;
    if (statusCallback !== null) {
      try {
        checkOutboundUrl(statusCallback, outbound);
      } catch (error) {
        refuse('CALLBACK_URL_BLOCKED', 'statusCallback', coerceError(error).message);
      }
    }
    const customField = optionalString(r.customField, 'customField', MAX_CUSTOM_FIELD);
    const idempotencyKey = optionalString(r.idempotencyKey, 'idempotencyKey', 255) || null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      refuse(
        'VALIDATION_FAILED',
        'idempotencyKey',
        'An idempotency key is printable ASCII without spaces.',
      );
    }
    const validitySeconds = r.validitySeconds ?? config.validitySeconds;
    if (
      !Number.isInteger(validitySeconds) ||
      validitySeconds < 1 ||
      validitySeconds > config.maxValiditySeconds
    ) {
      refuse(
        'VALIDATION_FAILED',
        'validitySeconds',
        `validitySeconds must be a whole number from 1 to ${config.maxValiditySeconds}.`,
      );
    }
    const callbackFormat = r.callbackFormat ?? (origin.kind === 'exotel' ? 'exotel' : 'json');
    if (callbackFormat !== 'json' && callbackFormat !== 'exotel') {
      refuse('VALIDATION_FAILED', 'callbackFormat', 'callbackFormat must be json or exotel.');
    }
    // Kept in E.164 when it parses, so lists, reports and DND look-ups agree; an invalid number
    // is kept as given and refused by the worker with its reason code.
    const to = recipient.ok ? recipient.e164 : rawTo;
    // Only an idempotent retry compares the hash (a message without a key is never returned as
    // "not created"), so it is computed only when there is a key: sha256 of the JSON was a few
    // per cent of the accept path's CPU.
    const requestHash =
      idempotencyKey === null
        ? null
        : createHash('sha256')
            .update(
              JSON.stringify([
                to,
                senderId,
                r.body,
                dltEntityId,
                dltTemplateId,
                smsType,
                statusCallback,
                customField,
                validitySeconds,
                callbackFormat,
              ]),
            )
            .digest('base64url');
    const now = clock();
    return {
      // Time-ordered (cheaper primary-key inserts). The wall clock, not `clock`: what matters for
      // the index is the real order of inserts, and a test's fixed clock must not change IDs.
      sid: newMessageSid(),
      accountSid,
      origin,
      to,
      senderId,
      body: r.body,
      smsType,
      dltEntityId,
      dltTemplateId,
      encoding,
      segments,
      statusCallback,
      callbackFormat,
      customField,
      idempotencyKey,
      requestHash,
      validUntil: new Date(now.getTime() + validitySeconds * 1000),
    };
  }

  /** Writes a composed row (the store wakes the workers); every problem is a result. */
  async function store(row: ReturnType<typeof compose>): Promise<SendResult> {
    try {
      const { message, created } = await deps.store.messages.insert(row);
      if (!created && message.requestHash !== row.requestHash) {
        return {
          ok: false,
          code: 'IDEMPOTENCY_KEY_REUSED',
          message: `The idempotency key was used for another request (message ${message.sid}).`,
          field: 'idempotencyKey',
        };
      }
      return { ok: true, message, created };
    } catch (error) {
      return refused(error, row.accountSid);
    }
  }

  function refused(error: unknown, accountSid: string): Extract<SendResult, { ok: false }> {
    if (error instanceof Refusal) {
      return {
        ok: false,
        code: error.code,
        message: error.message,
        ...(error.field !== undefined && { field: error.field }),
      };
    }
    if (error instanceof CallflowError) {
      const field = error.code === 'INVALID_TEXT' ? { field: 'body' } : {};
      return { ok: false, code: error.code, message: error.message, ...field };
    }
    logger.error({ err: error, accountSid }, 'sendSms could not write the message');
    return {
      ok: false,
      code: 'STORE_UNAVAILABLE',
      message: 'The message could not be stored; try again.',
    };
  }

  return {
    splitGraphemes: sms.splitGraphemes,

    async sendSms(accountSid, request, origin) {
      let row: ReturnType<typeof compose>;
      try {
        row = compose(accountSid, request, origin);
      } catch (error) {
        return refused(error, accountSid);
      }
      return store(row);
    },

    handOver(accountSid, request, origin) {
      let row: ReturnType<typeof compose>;
      try {
        row = compose(accountSid, { ...request, idempotencyKey: null }, origin);
      } catch (error) {
        return refused(error, accountSid);
      }
      return { ok: true, sid: row.sid, stored: store(row) };
    },
  };
}
