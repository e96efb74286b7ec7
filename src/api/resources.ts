/**
 * The message resource: how a stored Message looks in the API (camelCase, ISO times, price in
 * paise and as a rupee string, the reason explained), with its TypeBox schema beside the mapping
 * so the two cannot drift apart.
 */

import { type Static, Type } from 'typebox';
import { paiseToRupees } from '../accounts.ts';
import { REASONS } from '../errors.ts';
import type { Message, MessagePart, Transition } from '../store/types.ts';
import {
  MESSAGE_STATUSES,
  NullableInteger,
  NullableString,
  NullableTimestamp,
  SmsTypeSchema,
  StringEnum,
  Timestamp,
} from './schemas.ts';

const MessageStatusSchema = StringEnum(MESSAGE_STATUSES);

const OriginSchema = Type.Object(
  {
    kind: StringEnum(['api', 'exotel', 'flow'] as const),
    callSid: Type.Optional(Type.String()),
    flowId: Type.Optional(Type.String()),
    appletId: Type.Optional(Type.String()),
  },
  {
    description: 'Who sent it: the API, the Exotel-compatible API, or an SMS applet in a call flow',
  },
);

const messageProperties = {
  sid: Type.String({ description: 'SmsSid' }),
  accountSid: Type.String(),
  status: MessageStatusSchema,
  reasonCode: NullableString({
    description: 'Why it failed or was not delivered (docs/errors.md)',
  }),
  reasonDescription: NullableString(),
  to: Type.String({ description: 'Recipient, E.164' }),
  from: Type.String({ description: 'Sender ID (DLT header)' }),
  body: Type.String(),
  smsType: SmsTypeSchema,
  dltEntityId: Type.String(),
  dltTemplateId: Type.String(),
  encoding: StringEnum(['GSM-7', 'UCS-2'] as const),
  segments: Type.Integer({ description: 'SMS parts (units) the body needs' }),
  pricePaise: NullableInteger({ description: 'Debited price in paise; null until debited' }),
  price: NullableString({ description: 'Debited price in rupees, e.g. "0.25"' }),
  carrier: NullableString(),
  carrierMessageIds: Type.Array(Type.String(), { description: 'One per segment, once submitted' }),
  origin: OriginSchema,
  statusCallback: NullableString(),
  customField: NullableString(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  submittedAt: NullableTimestamp,
  doneAt: NullableTimestamp,
  validUntil: Timestamp,
};

export const MessageResource = Type.Object(messageProperties, { title: 'Message' });
export type MessageResource = Static<typeof MessageResource>;

const TransitionResource = Type.Object({
  status: MessageStatusSchema,
  at: Timestamp,
  reasonCode: NullableString(),
  detail: NullableString(),
});

const PartResource = Type.Object({
  seq: Type.Integer({ description: '1-based segment number' }),
  carrierMessageId: Type.String(),
  state: Type.String({
    description: 'submitted, or the last receipt state (DELIVERED, UNDELIVERABLE, ...)',
  }),
  errorCode: NullableString(),
});

export const MessageDetailResource = Type.Object(
  {
    ...messageProperties,
    transitions: Type.Array(TransitionResource, {
      description: 'Every status change, oldest first',
    }),
    parts: Type.Array(PartResource, { description: 'Segments as submitted, with their receipts' }),
  },
  { title: 'MessageDetail' },
);
export type MessageDetailResource = Static<typeof MessageDetailResource>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function originResource(origin: Message['origin']): MessageResource['origin'] {
  if (origin.kind === 'flow') {
    return {
      kind: 'flow',
      callSid: origin.callSid,
      flowId: origin.flowId,
      appletId: origin.appletId,
    };
  }
  return { kind: origin.kind };
}

export function reasonDescription(
  code: Message['reasonCode'],
  detail: string | null,
): string | null {
  if (code === null) return detail;
  const meaning = REASONS[code].meaning;
  return detail ? `${meaning} (${detail})` : meaning;
}

export function toMessageResource(m: Message): MessageResource {
  return {
    sid: m.sid,
    accountSid: m.accountSid,
    status: m.status,
    reasonCode: m.reasonCode,
    reasonDescription: reasonDescription(m.reasonCode, m.reasonDetail),
    to: m.to,
    from: m.senderId,
    body: m.body,
    smsType: m.smsType,
    dltEntityId: m.dltEntityId,
    dltTemplateId: m.dltTemplateId,
    encoding: m.encoding,
    segments: m.segments,
    pricePaise: m.pricePaise,
    price: m.pricePaise === null ? null : paiseToRupees(m.pricePaise),
    carrier: m.carrier,
    carrierMessageIds: m.carrierMessageIds,
    origin: originResource(m.origin),
    statusCallback: m.statusCallback,
    customField: m.customField,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    submittedAt: iso(m.submittedAt),
    doneAt: iso(m.doneAt),
    validUntil: m.validUntil.toISOString(),
  };
}

export function toMessageDetail(
  m: Message,
  transitions: Transition[],
  parts: MessagePart[],
): MessageDetailResource {
  return {
    ...toMessageResource(m),
    transitions: transitions.map((t) => ({
      status: t.status,
      at: t.at.toISOString(),
      reasonCode: t.reasonCode,
      detail: t.detail,
    })),
    parts: parts.map((p) => ({
      seq: p.seq,
      carrierMessageId: p.carrierMessageId,
      state: p.state,
      errorCode: p.errorCode,
    })),
  };
}
