/**
 * Row ↔ domain mapping shared by both adapters. The two schemas use the same column names; they
 * differ in how values come back (SQLite: epoch milliseconds, JSON text, 0/1; PostgreSQL: Date,
 * parsed jsonb, boolean, int8 as string), which the codec hides.
 */

import { CallflowError, type ReasonCode } from '../errors.ts';
import type {
  Account,
  ApiKey,
  CallbackJob,
  ConsentRecord,
  DltEntityRecord,
  DltHeaderRecord,
  DltTemplateRecord,
  DndRecord,
  LedgerEntry,
  Message,
  MessagePart,
  NewMessage,
  Origin,
  Transition,
  WhitelistEntry,
} from './types.ts';

export type Row = Record<string, unknown>;

export interface Codec {
  date(v: unknown): Date;
  json<T>(v: unknown): T;
}

export const sqliteCodec: Codec = {
  date: (v) => new Date(v as number),
  json: <T>(v: unknown) => JSON.parse(v as string) as T,
};

export const pgCodec: Codec = {
  date: (v) => v as Date,
  json: <T>(v: unknown) => v as T,
};

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const dateOrNull = (c: Codec, v: unknown): Date | null =>
  v === null || v === undefined ? null : c.date(v);

export function accountFromRow(r: Row, c: Codec): Account {
  return {
    sid: r.sid as string,
    name: r.name as string,
    timeZone: r.time_zone as string,
    voice: (r.voice as string | null | undefined) ?? null,
    balancePaise: Number(r.balance_paise),
    rates: {
      transactional: Number(r.rate_transactional),
      service: Number(r.rate_service),
      promotional: Number(r.rate_promotional),
    },
    webhookSecret: r.webhook_secret as string,
    createdAt: c.date(r.created_at),
  };
}

export function apiKeyFromRow(r: Row, c: Codec): ApiKey {
  return {
    id: r.id as string,
    accountSid: r.account_sid as string,
    key: r.key as string,
    tokenHash: r.token_hash as string,
    label: r.label as string,
    createdAt: c.date(r.created_at),
    revokedAt: dateOrNull(c, r.revoked_at),
  };
}

export function ledgerFromRow(r: Row, c: Codec): LedgerEntry {
  return {
    id: String(r.id),
    accountSid: r.account_sid as string,
    messageSid: str(r.message_sid),
    kind: r.kind as LedgerEntry['kind'],
    amountPaise: Number(r.amount_paise),
    balanceAfterPaise: Number(r.balance_after_paise),
    at: c.date(r.at),
    note: str(r.note),
  };
}

export function entityFromRow(r: Row, c: Codec): DltEntityRecord {
  return {
    accountSid: r.account_sid as string,
    entityId: r.entity_id as string,
    name: r.name as string,
    status: r.status as DltEntityRecord['status'],
    tmChain: c.json<string[]>(r.tm_chain),
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
  };
}

export function headerFromRow(r: Row, c: Codec): DltHeaderRecord {
  return {
    accountSid: r.account_sid as string,
    entityId: r.entity_id as string,
    senderId: r.sender_id as string,
    smsType: r.sms_type as DltHeaderRecord['smsType'],
    status: r.status as DltHeaderRecord['status'],
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
  };
}

export function templateFromRow(r: Row, c: Codec): DltTemplateRecord {
  return {
    accountSid: r.account_sid as string,
    templateId: r.template_id as string,
    entityId: r.entity_id as string,
    name: r.name as string,
    content: r.content as string,
    category: r.category as DltTemplateRecord['category'],
    status: r.status as DltTemplateRecord['status'],
    senderIds: c.json<string[]>(r.sender_ids),
    ncprCategory: r.ncpr_category === null ? null : Number(r.ncpr_category),
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
  };
}

export function whitelistFromRow(r: Row, c: Codec): WhitelistEntry {
  return {
    accountSid: r.account_sid as string,
    entityId: r.entity_id as string,
    kind: r.kind as WhitelistEntry['kind'],
    value: r.value as string,
    createdAt: c.date(r.created_at),
  };
}

export function dndFromRow(r: Row, c: Codec): DndRecord {
  return {
    accountSid: r.account_sid as string,
    number: r.number as string,
    preferences: c.json<number[]>(r.preferences),
    updatedAt: c.date(r.updated_at),
  };
}

/** Consent for all of an entity's templates is stored with template_id '' (a key column cannot be null). */
export const ALL_TEMPLATES = '';

export function consentFromRow(r: Row, c: Codec): ConsentRecord {
  return {
    accountSid: r.account_sid as string,
    number: r.number as string,
    entityId: r.entity_id as string,
    templateId: r.template_id === ALL_TEMPLATES ? null : (r.template_id as string),
    grantedAt: c.date(r.granted_at),
    expiresAt: dateOrNull(c, r.expires_at),
    revokedAt: dateOrNull(c, r.revoked_at),
  };
}

function originFromRow(r: Row): Origin {
  if (r.origin_kind === 'flow') {
    return {
      kind: 'flow',
      callSid: r.call_sid as string,
      flowId: r.flow_id as string,
      appletId: r.applet_id as string,
    };
  }
  return { kind: r.origin_kind as 'api' | 'exotel' };
}

/** Origin as the four columns it is stored in. */
export function originColumns(o: Origin): [string, string | null, string | null, string | null] {
  return o.kind === 'flow' ? ['flow', o.callSid, o.flowId, o.appletId] : [o.kind, null, null, null];
}

/**
 * A new message's columns, in the order both dialects' INSERT lists them (sid … valid_until);
 * `time` makes valid_until the dialect's timestamp.
 */
export function newMessageValues(m: NewMessage, time: (at: Date) => unknown): unknown[] {
  const [originKind, callSid, flowId, appletId] = originColumns(m.origin);
  return [
    m.sid,
    m.accountSid,
    originKind,
    callSid,
    flowId,
    appletId,
    m.to,
    m.senderId,
    m.body,
    m.smsType,
    m.dltEntityId,
    m.dltTemplateId,
    m.encoding,
    m.segments,
    m.statusCallback,
    m.callbackFormat,
    m.customField,
    m.idempotencyKey,
    m.requestHash,
    time(m.validUntil),
  ];
}

export function messageFromRow(r: Row, c: Codec): Message {
  return {
    sid: r.sid as string,
    accountSid: r.account_sid as string,
    origin: originFromRow(r),
    to: r.to_number as string,
    senderId: r.sender_id as string,
    body: r.body as string,
    smsType: r.sms_type as Message['smsType'],
    dltEntityId: r.dlt_entity_id as string,
    dltTemplateId: r.dlt_template_id as string,
    encoding: r.encoding as Message['encoding'],
    segments: Number(r.segments),
    statusCallback: str(r.status_callback),
    callbackFormat: r.callback_format as Message['callbackFormat'],
    customField: str(r.custom_field),
    idempotencyKey: str(r.idempotency_key),
    requestHash: str(r.request_hash),
    validUntil: c.date(r.valid_until),
    status: r.status as Message['status'],
    reasonCode: str(r.reason_code) as ReasonCode | null,
    reasonDetail: str(r.reason_detail),
    pricePaise: r.price_paise === null ? null : Number(r.price_paise),
    carrier: str(r.carrier),
    carrierMessageIds: c.json<string[]>(r.carrier_message_ids),
    attempts: Number(r.attempts),
    nextAttemptAt: c.date(r.next_attempt_at),
    leaseOwner: str(r.lease_owner),
    leaseUntil: dateOrNull(c, r.lease_until),
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
    submittedAt: dateOrNull(c, r.submitted_at),
    doneAt: dateOrNull(c, r.done_at),
  };
}

export function transitionFromRow(r: Row, c: Codec): Transition {
  return {
    messageSid: r.message_sid as string,
    status: r.status as Transition['status'],
    at: c.date(r.at),
    reasonCode: str(r.reason_code) as ReasonCode | null,
    detail: str(r.detail),
  };
}

export function partFromRow(r: Row, c: Codec): MessagePart {
  return {
    messageSid: r.message_sid as string,
    seq: Number(r.seq),
    carrier: r.carrier as string,
    carrierMessageId: r.carrier_message_id as string,
    state: r.state as MessagePart['state'],
    errorCode: str(r.error_code),
    updatedAt: c.date(r.updated_at),
  };
}

export function callbackFromRow(r: Row, c: Codec): CallbackJob {
  return {
    id: r.id as string,
    accountSid: r.account_sid as string,
    messageSid: r.message_sid as string,
    url: r.url as string,
    format: r.format as CallbackJob['format'],
    attempts: Number(r.attempts),
    nextAttemptAt: c.date(r.next_attempt_at),
    status: r.status as CallbackJob['status'],
    lastError: str(r.last_error),
    createdAt: c.date(r.created_at),
  };
}

/** Keeps DND preferences canonical: unique, sorted, each 0 (fully blocked) to 7. */
export function normalizePreferences(preferences: readonly number[]): number[] {
  for (const p of preferences) {
    if (!Number.isInteger(p) || p < 0 || p > 7) {
      throw new CallflowError(
        'VALIDATION_FAILED',
        `DND preference ${p} is not 0 (fully blocked) or a category 1-7.`,
      );
    }
  }
  return [...new Set(preferences)].sort((a, b) => a - b);
}
