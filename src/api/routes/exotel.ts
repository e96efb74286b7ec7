/**
 * The Exotel-compatible SMS API, so clients written for Exotel work by changing the host:
 *
 * - POST /v1/Accounts/:sid/Sms/send      one message; `To` may list up to 100 recipients
 * - POST /v1/Accounts/:sid/Sms/bulksend  up to 100 messages, each with its own To and Body
 * - GET  /v1/Accounts/:sid/SMS/Messages/:SmsSid   one message
 *
 * Append `.json` (or send Accept: application/json) for JSON; XML under Exotel's legacy root
 * <TwilioResponse> otherwise. Bodies are form-encoded as Exotel's clients send them, or JSON.
 * HTTP Basic with the API key and token; `:sid` must be the SID of the account they belong to (403
 * otherwise). Errors are RestException { Status, Message } with our reason code beside them.
 *
 * Every message goes through the same pre-checks and `sendSms` as POST /api/v1/sms, with origin
 * `exotel`, so its status callbacks are form-encoded with Exotel's field names.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { SmsRequest } from '../../delivery/send.ts';
import { findTemplates } from '../../dlt/index.ts';
import { CallflowError, REASONS, type ReasonCode } from '../../errors.ts';
import type { DltTemplateRecord } from '../../store/types.ts';
import {
  type BodyKind,
  bulkParams,
  type ExotelMessageParams,
  ExotelParamError,
  messageParams,
  unflatten,
} from '../exotel/params.ts';
import {
  type ExotelEntry,
  type ExotelFormat,
  type RestException,
  renderExotel,
  smsMessage,
} from '../exotel/render.ts';
import {
  BulkParams,
  ExotelEntries,
  ExotelErrors,
  SendParams,
  SmsMessageSchema,
} from '../exotel/schemas.ts';
import { isFormBody } from '../plugins/body.ts';
import { statusOf } from '../plugins/errors.ts';
import { itemProblem } from '../plugins/input.ts';
import { acceptRequest } from '../sms-requests.ts';
import type { RouteContext } from './context.ts';

/** Recipients of one send, and messages of one bulksend, at most (as Exotel). */
export const EXOTEL_MAX_MESSAGES = 100;

const tags = ['Exotel-compatible'];

/**
 * The send schemas document the parameters; the handlers read them (params.ts), because ajv would
 * coerce a 19-digit JSON number into a string of the wrong digits, and `To[]` or `Messages[0][To]`
 * keys only make sense once unflattened.
 */
const documentOnly = () => () => true;

/** A form body's values are all text; a JSON body's are typed (see params.ts). */
const kindOf = (request: FastifyRequest): BodyKind => (isFormBody(request.body) ? 'form' : 'json');

function formatOf(request: FastifyRequest, jsonPath: boolean): ExotelFormat {
  if (jsonPath) return 'json';
  const accept = request.headers.accept ?? '';
  return /application\/json/i.test(accept) && !/xml/i.test(accept) ? 'json' : 'xml';
}

function send(
  reply: FastifyReply,
  status: number,
  entries: ExotelEntry | ExotelEntry[],
  format: ExotelFormat,
) {
  const { contentType, body } = renderExotel(entries, format);
  return reply.status(status).type(contentType).send(body);
}

function exception(code: ReasonCode, message: string): { status: number; entry: ExotelEntry } {
  const status = statusOf(code);
  const entry: { RestException: RestException } = {
    RestException: { Status: status, Message: message, ReasonCode: code },
  };
  return { status, entry };
}

/** Exotel's SMS types and the template categories each may use. */
const EXOTEL_SMS_TYPES: Record<string, DltTemplateRecord['category'][]> = {
  transactional: ['transactional', 'service-implicit'],
  transactional_opt_in: ['service-explicit'],
  promotional: ['promotional'],
};

type Outcome = { ok: true; entry: ExotelEntry } | { ok: false; status: number; entry: ExotelEntry };

export const exotelRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const jsonPaths = new WeakSet<FastifyRequest>();

  app.addHook('onRequest', async (request) => {
    if (request.url.split('?')[0]!.endsWith('.json')) jsonPaths.add(request);
  });
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', async (request) => {
    const { sid } = request.params as { sid?: string };
    if (request.account !== null && sid !== request.account.sid) {
      throw new CallflowError('FORBIDDEN', `These credentials do not belong to account ${sid}.`);
    }
  });

  app.setErrorHandler((error: FastifyError | CallflowError, request, reply) => {
    const format = formatOf(request, jsonPaths.has(request));
    let code: ReasonCode;
    let message = error.message;
    if (error instanceof CallflowError) code = error.code;
    else if (Array.isArray((error as FastifyError).validation)) code = 'VALIDATION_FAILED';
    else if ((error as FastifyError).statusCode === 413) code = 'PAYLOAD_TOO_LARGE';
    else if ((error as FastifyError).statusCode === 415) code = 'UNSUPPORTED_MEDIA_TYPE';
    else if (((error as FastifyError).statusCode ?? 500) < 500) code = 'MALFORMED_REQUEST';
    else {
      request.log.error({ err: error }, 'unhandled error');
      code = 'INTERNAL_ERROR';
      message = REASONS.INTERNAL_ERROR.meaning;
    }
    if (code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Basic realm="callflow"');
    const { status, entry } = exception(code, message);
    return send(reply, status, entry, format);
  });

  /** Templates of an entity the body may match, when the request names no DltTemplateId. */
  function matcher(accountSid: string) {
    const cache = new Map<string, Promise<DltTemplateRecord[]>>();
    return async (entityId: string, senderId: string, body: string) => {
      let templates = cache.get(entityId);
      if (templates === undefined) {
        templates = ctx.store.dlt.listTemplates(accountSid, { entityId, status: 'approved' });
        cache.set(entityId, templates);
      }
      const usable = (await templates).filter(
        (t) => t.senderIds.length === 0 || t.senderIds.includes(senderId),
      );
      return findTemplates(usable, body).map((f) => f.templateId);
    };
  }

  /** One message: Exotel's parameters to our request, pre-checks, then sendSms. */
  async function accept(
    accountSid: string,
    timeZone: string,
    p: ExotelMessageParams,
    to: string,
    format: ExotelFormat,
    match: ReturnType<typeof matcher>,
  ): Promise<Outcome> {
    const refuse = (code: ReasonCode, message: string): Outcome => ({
      ok: false,
      ...exception(code, message),
    });
    if (!p.From) return refuse('VALIDATION_FAILED', 'From is required.');
    if (p.Body === undefined || p.Body === '')
      return refuse('VALIDATION_FAILED', 'Body is required.');
    if (p.EncodingType !== undefined && !['plain', 'unicode'].includes(p.EncodingType)) {
      return refuse('VALIDATION_FAILED', 'EncodingType must be plain or unicode.');
    }
    if (p.Priority !== undefined && !['normal', 'high'].includes(p.Priority)) {
      return refuse('VALIDATION_FAILED', 'Priority must be normal or high.');
    }
    if (p.SmsType !== undefined && !(p.SmsType in EXOTEL_SMS_TYPES)) {
      return refuse(
        'VALIDATION_FAILED',
        'SmsType must be transactional, transactional_opt_in or promotional.',
      );
    }
    const senderId = p.From.trim().replace(/^[A-Z]{2}-(?=[A-Za-z0-9]{6}$)/, '');
    let entityId = p.DltEntityId?.trim();
    if (!entityId) {
      const entities = await ctx.store.dlt.listEntities(accountSid);
      if (entities.length !== 1) {
        return refuse(
          'VALIDATION_FAILED',
          'DltEntityId is required (the account has more than one entity).',
        );
      }
      entityId = entities[0]!.entityId;
    }
    let templateId = p.DltTemplateId?.trim();
    if (!templateId) {
      const found = await match(entityId, senderId, p.Body);
      if (found.length === 0) {
        return refuse(
          'DLT_TEMPLATE_NOT_FOUND',
          'No approved template of the entity matches the Body; send DltTemplateId.',
        );
      }
      templateId = found[0]!;
    }
    const exotelType = p.SmsType;
    const request: SmsRequest = {
      to,
      senderId,
      body: p.Body,
      dltEntityId: entityId,
      dltTemplateId: templateId,
      // Exotel's promotional is ours; its other types only narrow the template's category.
      ...(exotelType === 'promotional' && { smsType: 'promotional' }),
      statusCallback: p.StatusCallback || null,
      customField: p.CustomField ?? null,
      callbackFormat: 'exotel',
    };
    const result = await acceptRequest(ctx, accountSid, request, { kind: 'exotel' }, (template) =>
      exotelType === undefined || EXOTEL_SMS_TYPES[exotelType]!.includes(template.category)
        ? null
        : {
            code: 'DLT_CATEGORY_MISMATCH',
            field: 'SmsType',
            message: `A ${template.category} template cannot be sent as SmsType ${exotelType}.`,
          },
    );
    if (!result.ok) return refuse(result.code, result.message);
    return { ok: true, entry: { SMSMessage: smsMessage(result.message, timeZone, format) } };
  }

  async function timeZoneOf(accountSid: string): Promise<string> {
    return (await ctx.store.accounts.get(accountSid))?.timeZone ?? 'Asia/Kolkata';
  }

  function readParams<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof ExotelParamError) {
        throw new CallflowError('VALIDATION_FAILED', error.message, { field: error.field });
      }
      throw error;
    }
  }

  const sendHandler = (json: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const format = formatOf(request, json);
    const accountSid = request.account!.sid;
    const p = readParams(() =>
      messageParams(unflatten((request.body ?? {}) as Record<string, unknown>), kindOf(request)),
    );
    if (p.To.length === 0)
      throw new CallflowError('VALIDATION_FAILED', 'To is required.', { field: 'To' });
    if (p.To.length > EXOTEL_MAX_MESSAGES) {
      throw new CallflowError(
        'VALIDATION_FAILED',
        `To lists more than ${EXOTEL_MAX_MESSAGES} recipients.`,
        {
          field: 'To',
        },
      );
    }
    const timeZone = await timeZoneOf(accountSid);
    const match = matcher(accountSid);
    const outcomes: Outcome[] = [];
    for (const to of p.To) outcomes.push(await accept(accountSid, timeZone, p, to, format, match));
    if (outcomes.length === 1) {
      const only = outcomes[0]!;
      return send(reply, only.ok ? 200 : only.status, only.entry, format);
    }
    return send(
      reply,
      200,
      outcomes.map((o) => o.entry),
      format,
    );
  };

  const bulkHandler = (json: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const format = formatOf(request, json);
    const accountSid = request.account!.sid;
    const messages = readParams(() =>
      bulkParams(unflatten((request.body ?? {}) as Record<string, unknown>), kindOf(request)),
    );
    if (messages.length === 0 || messages.length > EXOTEL_MAX_MESSAGES) {
      throw new CallflowError(
        'VALIDATION_FAILED',
        `Messages must hold 1 to ${EXOTEL_MAX_MESSAGES} messages.`,
        {
          field: 'Messages',
        },
      );
    }
    const timeZone = await timeZoneOf(accountSid);
    const match = matcher(accountSid);
    const entries: ExotelEntry[] = [];
    for (const [i, m] of messages.entries()) {
      if (m.To.length !== 1) {
        entries.push(
          exception('VALIDATION_FAILED', `Messages[${i}] must have exactly one To.`).entry,
        );
        continue;
      }
      const problem = itemProblem(m);
      if (problem !== null) {
        entries.push(exception(problem.code, `Messages[${i}]: ${problem.message}`).entry);
        continue;
      }
      entries.push((await accept(accountSid, timeZone, m, m.To[0]!, format, match)).entry);
    }
    return send(reply, 200, entries, format);
  };

  const sendSchema = (summary: string) => ({
    tags,
    summary,
    consumes: ['application/x-www-form-urlencoded', 'application/json'],
    params: Type.Object({ sid: Type.String({ description: 'Your account SID' }) }),
    body: SendParams,
    response: { 200: Type.Union([SmsMessageSchema, ExotelEntries]), ...ExotelErrors },
  });
  for (const json of [false, true]) {
    const suffix = json ? '.json' : '';
    app.post(
      `/v1/Accounts/:sid/Sms/send${suffix}`,
      {
        schema: sendSchema(`Send an SMS, Exotel-style (${json ? 'JSON' : 'XML'} response)`),
        validatorCompiler: documentOnly,
      },
      sendHandler(json),
    );
    app.post(
      `/v1/Accounts/:sid/Sms/bulksend${suffix}`,
      {
        schema: {
          tags,
          summary: `Send up to 100 different SMS, Exotel-style (${json ? 'JSON' : 'XML'} response)`,
          description:
            'Messages (or sms): a list of { To, Body, and optionally From, DltTemplateId, SmsType, ... }; ' +
            'outer From, DltEntityId, DltTemplateId, SmsType, StatusCallback apply to items without them. ' +
            'One SMSMessage or RestException per item, in order.',
          consumes: ['application/x-www-form-urlencoded', 'application/json'],
          params: Type.Object({ sid: Type.String() }),
          body: BulkParams,
          response: { 200: ExotelEntries, ...ExotelErrors },
        },
        validatorCompiler: documentOnly,
        // One SMSMessage or RestException per item: a bad item must not fail the others.
        config: { checksItems: true },
      },
      bulkHandler(json),
    );
  }

  for (const collection of ['SMS', 'Sms']) {
    app.get(
      `/v1/Accounts/:sid/${collection}/Messages/:smsSid`,
      {
        schema: {
          tags,
          summary: 'Get an SMS, Exotel-style (append .json for JSON)',
          ...(collection === 'Sms' && { hide: true }),
          params: Type.Object({ sid: Type.String(), smsSid: Type.String() }),
          response: { 200: SmsMessageSchema, ...ExotelErrors },
        },
      },
      async (request, reply) => {
        const accountSid = request.account!.sid;
        let smsSid = request.params.smsSid;
        const json = smsSid.endsWith('.json');
        if (json) smsSid = smsSid.slice(0, -'.json'.length);
        const format = formatOf(request, json);
        const message = await ctx.store.messages.get(accountSid, smsSid);
        if (message === undefined) throw new CallflowError('NOT_FOUND', `No SMS ${smsSid}.`);
        return send(
          reply,
          200,
          { SMSMessage: smsMessage(message, await timeZoneOf(accountSid), format) },
          format,
        );
      },
    );
  }
};
