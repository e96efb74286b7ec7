/**
 * sms: renders the body, resolves the recipient, hands the message to `sendSms` and takes
 * `default` at once, whatever becomes of the SMS. `sendSms` checks the request and answers
 * synchronously with the SmsSid; the outbox row is committed while the call goes on (the call's
 * log is saved only once it is, so a finished call never claims an SMS that is not on disk).
 * Delivery, DLT checks and billing happen later in the delivery worker; a message refused there
 * does not touch the call. Nothing here may throw into the call: every failure is logged with
 * its code.
 */

import { type Static, Type } from 'typebox';
import { SENDER_ID_MAX_LENGTH } from '../../dlt/index.ts';
import { coerceError, isReasonCode } from '../../errors.ts';
import { renderBody, variablesOf } from '../../sms/variables.ts';
import type {
  AppletContext,
  AppletDefinition,
  FlowSmsRequest,
  SendSmsResult,
  SmsHandover,
} from '../types.ts';

const DltId = Type.String({ pattern: '^[0-9]{12,19}$' });

export const Recipient = Type.Union(
  [
    Type.Object({ kind: Type.Literal('caller') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('called') }, { additionalProperties: false }),
    Type.Object(
      { kind: Type.Literal('custom'), number: Type.String({ pattern: '^\\+?[0-9]{6,15}$' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        kind: Type.Literal('dynamic'),
        /** `<passthruAppletId>.<field>` of an earlier Passthru's JSON answer. */
        from: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]*\\.[A-Za-z0-9_.]+$' }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    title: 'To Number',
    description:
      "The caller (default), the ExoPhone called, a fixed number, or a Passthru answer's field.",
    default: { kind: 'caller' },
  },
);

export const SmsConfigSchema = Type.Object(
  {
    to: Recipient,
    senderId: Type.String({ minLength: 1, maxLength: SENDER_ID_MAX_LENGTH, title: 'Sender ID' }),
    body: Type.String({ minLength: 1, maxLength: 2000, title: 'Message Body' }),
    dltTemplateId: { ...DltId, title: 'DLT Template ID' },
    dltEntityId: { ...DltId, title: 'DLT Entity ID' },
    /** Default transactional: call-flow messages are expected by the caller and reach DND numbers. */
    smsType: Type.Optional(
      Type.Union([
        Type.Literal('transactional'),
        Type.Literal('service'),
        Type.Literal('promotional'),
      ]),
    ),
    statusCallback: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 2000 })),
    customField: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** The applet's config, as the Builder edits it. */
export type SmsConfig = Static<typeof SmsConfigSchema>;
export type Recipient = Static<typeof Recipient>;

export const sms: AppletDefinition<typeof SmsConfigSchema> = {
  type: 'sms',
  version: 1,
  title: 'SMS',
  description:
    'Sends a DLT-compliant SMS and continues at once; delivery happens independently of the call.',
  configSchema: SmsConfigSchema,
  defaultConfig: {
    to: { kind: 'caller' },
    senderId: '',
    body: '',
    dltTemplateId: '',
    dltEntityId: '',
    smsType: 'transactional',
  },
  exits: () => ['default'],
  needsCaller: false,
  consumes: (config) => [
    ...variablesOf(config.body).map((v) => v.name),
    ...(config.to.kind === 'dynamic' ? [config.to.from] : []),
  ],
  dlt: (config) => ({
    body: config.body,
    dltTemplateId: config.dltTemplateId,
    dltEntityId: config.dltEntityId,
  }),
  async run(ctx, config) {
    const values = ctx.variables();
    const to = recipient(ctx, config.to, values);
    if (!to) {
      // A caller may withhold their number: the call then has none to send to.
      const source = config.to.kind === 'dynamic' ? config.to.from : `the call's ${config.to.kind}`;
      ctx.recordSms({ code: 'INVALID_NUMBER', message: `no number in ${source}` });
      return 'default';
    }
    let body: string;
    try {
      body = renderBody(config.body, values, { now: ctx.now(), timeZone: ctx.timeZone });
    } catch (error) {
      ctx.recordSms({ to, code: codeOf(error), message: coerceError(error).message });
      return 'default';
    }
    const request: FlowSmsRequest = {
      to,
      senderId: config.senderId,
      body,
      dltTemplateId: config.dltTemplateId,
      dltEntityId: config.dltEntityId,
      smsType: config.smsType ?? 'transactional',
      ...(config.statusCallback === undefined ? {} : { statusCallback: config.statusCallback }),
      ...(config.customField === undefined ? {} : { customField: config.customField }),
    };
    const entry = ctx.recordSms({ to, body });
    const handover = handOverSafely(ctx, request);
    if (!handover.ok) {
      Object.assign(entry, { code: handover.code, message: handover.message });
      return 'default';
    }
    entry.sid = handover.sid;
    entry.pending = true;
    // The call's end waits for this, so its saved log says what became of the hand-over.
    ctx.background(
      storedSafely(handover.stored).then((result) => {
        delete entry.pending;
        if (!result.ok) {
          delete entry.sid;
          Object.assign(entry, { code: result.code, message: result.message });
        }
      }),
    );
    return 'default';
  },
};

function recipient(
  ctx: AppletContext,
  to: Static<typeof SmsConfigSchema>['to'],
  values: Record<string, string | undefined>,
): string | undefined {
  const number = (() => {
    switch (to.kind) {
      case 'caller':
        return ctx.call.from;
      case 'called':
        return ctx.call.to;
      case 'custom':
        return to.number;
      case 'dynamic':
        return values[to.from];
    }
  })()?.trim();
  return number === '' ? undefined : number;
}

/** sendSms, with a throw turned into a refusal: nothing from it may reach the call. */
function handOverSafely(ctx: AppletContext, request: FlowSmsRequest): SmsHandover {
  try {
    return ctx.sendSms(request, {
      kind: 'flow',
      callSid: ctx.call.callSid,
      flowId: ctx.call.flowId,
      appletId: ctx.appletId,
    });
  } catch (error) {
    return { ok: false, code: codeOf(error), message: coerceError(error).message };
  }
}

async function storedSafely(stored: Promise<SendSmsResult>): Promise<SendSmsResult> {
  try {
    return await stored;
  } catch (error) {
    return { ok: false, code: codeOf(error), message: coerceError(error).message };
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return isReasonCode(code) ? code : 'INTERNAL_ERROR';
}
