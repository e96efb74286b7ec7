/**
 * From an API send request to a message: the request schema, its mapping to the domain's
 * SmsRequest, and `acceptSms`, which runs the pre-checks and hands the request to sendSms.
 * POST /api/v1/sms and each item of POST /api/v1/sms/bulk go through the same path.
 */

import { type Static, Type } from 'typebox';
import type { Sender, SendResult, SmsRequest } from '../delivery/send.ts';
import { SENDER_ID_MAX_LENGTH, smsTypeOf } from '../dlt/index.ts';
import type { DltTemplateRecord, Origin } from '../store/types.ts';
import { type PrecheckRefusal, precheckSms, type RegistryCache } from './prechecks.ts';
import { NullableString, SMS_TYPES, StringEnum } from './schemas.ts';

export const SmsRequestBody = Type.Object(
  {
    to: Type.String({
      minLength: 1,
      maxLength: 32,
      description: 'Recipient: E.164 (+919812345678) or an Indian national number',
    }),
    senderId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: SENDER_ID_MAX_LENGTH,
        description: 'DLT header, e.g. ACMECO',
      }),
    ),
    from: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: SENDER_ID_MAX_LENGTH,
        description: 'Alias of senderId (Exotel naming)',
      }),
    ),
    body: Type.String({ minLength: 1, description: 'Final text; must match the DLT template' }),
    dltTemplateId: Type.String({ minLength: 1, maxLength: 32, description: 'Send as a string' }),
    dltEntityId: Type.String({ minLength: 1, maxLength: 32, description: 'Send as a string' }),
    smsType: Type.Optional(
      StringEnum(SMS_TYPES, { description: "Default: the type the template's category carries" }),
    ),
    statusCallback: Type.Optional(
      NullableString({ maxLength: 2048, description: 'http(s) URL POSTed at the final status' }),
    ),
    customField: Type.Optional(
      NullableString({ maxLength: 1000, description: 'Echoed in the resource and callbacks' }),
    ),
    validitySeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Give up (EXPIRED) if not submitted within this many seconds',
      }),
    ),
  },
  { title: 'SmsRequest' },
);
export type SmsRequestBody = Static<typeof SmsRequestBody>;

/** Maps the body to the domain request; refuses a body with neither or two different sender IDs. */
export function toSmsRequest(
  body: SmsRequestBody,
  idempotencyKey: string | null,
): { ok: true; request: SmsRequest } | { ok: false; refusal: PrecheckRefusal } {
  const senderId = body.senderId ?? body.from;
  if (senderId === undefined) {
    return {
      ok: false,
      refusal: {
        code: 'VALIDATION_FAILED',
        field: 'senderId',
        message: 'senderId (or from) is required.',
      },
    };
  }
  if (body.senderId !== undefined && body.from !== undefined && body.senderId !== body.from) {
    return {
      ok: false,
      refusal: {
        code: 'VALIDATION_FAILED',
        field: 'from',
        message: 'from and senderId differ; send one.',
      },
    };
  }
  const request: SmsRequest = {
    to: body.to,
    senderId,
    body: body.body,
    dltTemplateId: body.dltTemplateId,
    dltEntityId: body.dltEntityId,
    statusCallback: body.statusCallback ?? null,
    customField: body.customField ?? null,
    idempotencyKey,
    callbackFormat: 'json',
  };
  if (body.smsType !== undefined) request.smsType = body.smsType;
  if (body.validitySeconds !== undefined) request.validitySeconds = body.validitySeconds;
  return { ok: true, request };
}

/** An API body through the pre-checks to sendSms. Never throws for a refusal; store outages propagate. */
export async function acceptSms(
  deps: { sender: Sender; registry: RegistryCache },
  accountSid: string,
  body: SmsRequestBody,
  idempotencyKey: string | null,
): Promise<SendResult> {
  const mapped = toSmsRequest(body, idempotencyKey);
  if (!mapped.ok) return refusalResult(mapped.refusal);
  return acceptRequest(deps, accountSid, mapped.request, { kind: 'api' });
}

/**
 * The one accept path of both APIs: the pre-checks, the SMS type of the template when the request
 * names none, then sendSms. `templateFits` adds a caller's own rule on the template (the Exotel
 * API's SmsType).
 */
export async function acceptRequest(
  deps: { sender: Sender; registry: RegistryCache },
  accountSid: string,
  request: SmsRequest,
  origin: Origin,
  templateFits?: (template: DltTemplateRecord) => PrecheckRefusal | null,
): Promise<SendResult> {
  const checked = await precheckSms(deps.registry, accountSid, request);
  if (!checked.ok) return refusalResult(checked);
  const misfit = templateFits?.(checked.template) ?? null;
  if (misfit !== null) return refusalResult(misfit);
  const smsType = request.smsType ?? smsTypeOf(checked.template.category);
  return deps.sender.sendSms(accountSid, { ...request, smsType }, origin);
}

function refusalResult(r: PrecheckRefusal): SendResult {
  return { ok: false, code: r.code, message: r.message, field: r.field };
}
