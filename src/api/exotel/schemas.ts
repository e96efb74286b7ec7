/** The schemas that document the Exotel-compatible API in the OpenAPI document. */

import { Type } from 'typebox';

export const SendParams = Type.Object(
  {
    From: Type.String({
      description: 'Sender ID (DLT header); an operator prefix (VM-) is removed',
    }),
    To: Type.Union([Type.String(), Type.Array(Type.String())], {
      description:
        'Recipient(s): E.164 or national; several separated by commas or repeated (max 100)',
    }),
    Body: Type.String({ description: 'Final text; must match the DLT template' }),
    EncodingType: Type.Optional(
      Type.String({ description: 'plain or unicode (the text decides)' }),
    ),
    Priority: Type.Optional(Type.String({ description: 'normal or high (accepted, not used)' })),
    StatusCallback: Type.Optional(
      Type.String({ description: 'Form-encoded POST at the final status' }),
    ),
    DltEntityId: Type.Optional(Type.String({ description: "Default: the account's only entity" })),
    DltTemplateId: Type.Optional(
      Type.String({ description: 'Default: the registered template the Body matches' }),
    ),
    SmsType: Type.Optional(
      Type.String({ description: 'transactional, transactional_opt_in or promotional' }),
    ),
    CustomField: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const BulkMessage = Type.Object(
  {
    To: Type.String(),
    Body: Type.String(),
    From: Type.Optional(Type.String()),
    DltEntityId: Type.Optional(Type.String()),
    DltTemplateId: Type.Optional(Type.String()),
    SmsType: Type.Optional(Type.String()),
    StatusCallback: Type.Optional(Type.String()),
    CustomField: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const BulkParams = Type.Object(
  {
    From: Type.Optional(Type.String({ description: 'For messages without their own From' })),
    DltEntityId: Type.Optional(Type.String()),
    DltTemplateId: Type.Optional(Type.String()),
    SmsType: Type.Optional(Type.String()),
    EncodingType: Type.Optional(Type.String()),
    StatusCallback: Type.Optional(Type.String()),
    Messages: Type.Optional(
      Type.Array(BulkMessage, {
        maxItems: 100,
        description: 'Up to 100 messages (form: Messages[0][To], Messages[0][Body], ...)',
      }),
    ),
    sms: Type.Optional(Type.Array(BulkMessage, { maxItems: 100, description: 'Same as Messages' })),
  },
  { additionalProperties: true },
);

export const SmsMessageSchema = Type.Object(
  {
    SMSMessage: Type.Object({
      Sid: Type.String(),
      AccountSid: Type.String(),
      From: Type.String(),
      To: Type.String(),
      DateCreated: Type.String({ description: 'YYYY-MM-DD HH:mm:ss, account time zone' }),
      DateUpdated: Type.String(),
      DateSent: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
      Body: Type.String(),
      Direction: Type.String(),
      Uri: Type.String(),
      ApiVersion: Type.Null(),
      Price: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'Rupees' }),
      Status: Type.String({ description: 'queued, sending, submitted, sent, failed_dnd, failed' }),
      DetailedStatusCode: Type.Integer(),
      DetailedStatus: Type.String(),
      SmsUnits: Type.Integer(),
    }),
  },
  { title: 'ExotelSMSMessage' },
);

export const RestExceptionSchema = Type.Object(
  {
    RestException: Type.Object({
      Status: Type.Integer(),
      Message: Type.String(),
      ReasonCode: Type.String({ description: 'Our reason code (docs/errors.md)' }),
    }),
  },
  { title: 'ExotelRestException' },
);

export const ExotelErrors = { '4xx': RestExceptionSchema, '5xx': RestExceptionSchema };

export const ExotelEntries = Type.Array(Type.Union([SmsMessageSchema, RestExceptionSchema]));
