/**
 * /api/v1/sms: send one message, send up to 1,000 in one request, read one (with its timeline and
 * parts), list with filters and cursor pagination.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { SendResult } from '../../delivery/send.ts';
import { CallflowError } from '../../errors.ts';
import { normalizeNumber } from '../../sms/index.ts';
import type { MessageFilter } from '../../store/types.ts';
import { principal } from '../plugins/auth.ts';
import { schemaError, validationDetails } from '../plugins/errors.ts';
import { itemProblem } from '../plugins/input.ts';
import {
  MessageDetailResource,
  MessageResource,
  toMessageDetail,
  toMessageResource,
} from '../resources.ts';
import {
  errorResponses,
  MESSAGE_STATUSES,
  NullableString,
  SmsTypeSchema,
  StringEnum,
} from '../schemas.ts';
import { acceptSms, SmsRequestBody } from '../sms-requests.ts';
import type { RouteContext } from './context.ts';

export const BULK_MAX_MESSAGES = 1000;

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      // Printable ASCII, as sendSms requires; 250 leaves room for the bulk suffix `#999`.
      pattern: '^[\\x21-\\x7e]{1,250}$',
      description:
        'Up to 250 printable ASCII characters, unique per account. A retry with the same key ' +
        'returns the same message instead of sending again.',
    }),
  ),
});

const BulkResult = Type.Object({
  index: Type.Integer({ description: 'Position of the item in `messages`' }),
  ok: Type.Boolean(),
  message: Type.Optional(MessageResource),
  code: Type.Optional(Type.String({ description: 'Reason code when ok is false' })),
  error: Type.Optional(Type.String()),
  field: Type.Optional(Type.String()),
  details: Type.Optional(Type.Unknown()),
});

const ListQuery = Type.Object({
  status: Type.Optional(StringEnum(MESSAGE_STATUSES)),
  to: Type.Optional(Type.String({ description: 'Recipient; normalised to E.164' })),
  from: Type.Optional(Type.String({ description: 'Sender ID' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  callSid: Type.Optional(Type.String()),
  flowId: Type.Optional(Type.String()),
  smsType: Type.Optional(SmsTypeSchema),
  templateId: Type.Optional(Type.String({ description: 'DLT template ID' })),
  cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
});

function refusalError(result: Extract<SendResult, { ok: false }>): CallflowError {
  const details: Record<string, unknown> = {};
  if (result.field !== undefined) details.field = result.field;
  return new CallflowError(
    result.code,
    result.message,
    result.field === undefined ? undefined : details,
  );
}

export const smsRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  app.post(
    '/sms',
    {
      schema: {
        tags: ['SMS'],
        summary: 'Send an SMS',
        description:
          'Accepts the message (202) and returns it queued; delivery happens in the background. ' +
          'A retry with the same Idempotency-Key returns the existing message with 200.',
        headers: IdempotencyHeaders,
        body: SmsRequestBody,
        response: { 200: MessageResource, 202: MessageResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const account = principal(request);
      const key = request.headers['idempotency-key'] ?? null;
      const result = await acceptSms(ctx, account.sid, request.body, key);
      if (!result.ok) throw refusalError(result);
      if (!result.created) reply.header('idempotent-replayed', 'true');
      return reply.status(result.created ? 202 : 200).send(toMessageResource(result.message));
    },
  );

  app.post(
    '/sms/bulk',
    {
      bodyLimit: ctx.bulkBodyLimitBytes,
      // Item errors are reported per item, so a bad item must not fail the whole request.
      attachValidation: true,
      config: { checksItems: true },
      schema: {
        tags: ['SMS'],
        summary: 'Send up to 1,000 SMS',
        description:
          'One result per item, in order. The request succeeds (202) even when some items are refused. ' +
          'With an Idempotency-Key, item i uses the key "<key>#<i>", so retrying the whole request is safe.',
        headers: IdempotencyHeaders,
        body: Type.Object({
          messages: Type.Array(SmsRequestBody, { minItems: 1, maxItems: BULK_MAX_MESSAGES }),
        }),
        response: {
          202: Type.Object({
            accepted: Type.Integer(),
            refused: Type.Integer(),
            results: Type.Array(BulkResult),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const account = principal(request);
      const list = bulkItems(request);
      // Only when the body failed the route schema do the items need checking one by one.
      const validate = request.validationError
        ? request.compileValidationSchema(SmsRequestBody, 'body')
        : null;
      const key = request.headers['idempotency-key'] ?? null;

      const results: Static<typeof BulkResult>[] = [];
      let accepted = 0;
      for (let index = 0; index < list.length; index++) {
        const item = list[index];
        if (validate !== null && !validate(item)) {
          const found = validationDetails(validate.errors ?? [], 'body');
          const details = found.map((d) => ({ ...d, path: `/messages/${index}${d.path}` }));
          results.push({
            index,
            ok: false,
            code: 'VALIDATION_FAILED',
            error: details.map((d) => `${d.path} ${d.message}`).join('; '),
            // The first field at fault, as for the other refusals of an item.
            ...(found[0] !== undefined &&
              found[0].path !== '' && { field: found[0].path.slice(1) }),
            details,
          });
          continue;
        }
        const problem = itemProblem(item);
        if (problem !== null) {
          results.push({
            index,
            ok: false,
            code: problem.code,
            error: problem.message,
            field: problem.field,
          });
          continue;
        }
        const result = await acceptSms(
          ctx,
          account.sid,
          item as SmsRequestBody,
          key === null ? null : `${key}#${index}`,
        );
        if (result.ok) {
          accepted++;
          results.push({ index, ok: true, message: toMessageResource(result.message) });
        } else {
          const refused: Static<typeof BulkResult> = {
            index,
            ok: false,
            code: result.code,
            error: result.message,
          };
          if (result.field !== undefined) refused.field = result.field;
          results.push(refused);
        }
      }
      return reply.status(202).send({ accepted, refused: list.length - accepted, results });
    },
  );

  app.get(
    '/sms/:sid',
    {
      schema: {
        tags: ['SMS'],
        summary: 'Get one SMS with its timeline and parts',
        params: Type.Object({ sid: Type.String() }),
        response: { 200: MessageDetailResource, ...errorResponses },
      },
    },
    async (request) => {
      const account = principal(request);
      const message = await ctx.store.messages.get(account.sid, request.params.sid);
      // Another account's message answers exactly like a missing one.
      if (message === undefined) throw new CallflowError('NOT_FOUND', 'No such message.');
      const [transitions, parts] = await Promise.all([
        ctx.store.messages.transitions(message.sid),
        ctx.store.messages.parts(message.sid),
      ]);
      return toMessageDetail(message, transitions, parts);
    },
  );

  app.get(
    '/sms',
    {
      schema: {
        tags: ['SMS'],
        summary: 'List SMS, newest first, with cursor pagination',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(MessageResource),
            nextCursor: NullableString({
              description: 'Pass as cursor for the next page; null at the end',
            }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const account = principal(request);
      const q = request.query;
      const filter: MessageFilter = {};
      if (q.status !== undefined) filter.status = q.status;
      if (q.to !== undefined) filter.to = toFilterNumber(q.to);
      if (q.from !== undefined) filter.from = q.from;
      if (q.since !== undefined) filter.since = new Date(q.since);
      if (q.until !== undefined) filter.until = new Date(q.until);
      if (q.callSid !== undefined) filter.callSid = q.callSid;
      if (q.flowId !== undefined) filter.flowId = q.flowId;
      if (q.smsType !== undefined) filter.smsType = q.smsType;
      if (q.templateId !== undefined) filter.dltTemplateId = q.templateId;
      const page = await ctx.store.messages.list(
        account.sid,
        filter,
        q.cursor ?? null,
        q.limit ?? 50,
      );
      return { items: page.items.map(toMessageResource), nextCursor: page.nextCursor };
    },
  );
};

/**
 * The items of a bulk request whose schema check was deferred (attachValidation): refuses the
 * whole request only when the envelope is wrong, so bad items are reported one by one.
 */
function bulkItems(request: FastifyRequest): unknown[] {
  const items = (request.body as { messages?: unknown } | undefined)?.messages;
  const failure = request.validationError;
  if (!failure) return items as unknown[];
  const envelopeOk =
    Array.isArray(items) &&
    items.length >= 1 &&
    items.length <= BULK_MAX_MESSAGES &&
    items.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i));
  if (failure.validationContext !== 'body' || !envelopeOk) throw failure;
  // Fastify stops at the first invalid part, and the headers come after the body.
  const checkHeaders = request.compileValidationSchema(IdempotencyHeaders, 'headers');
  if (!checkHeaders(request.headers)) throw schemaError('headers', checkHeaders.errors ?? []);
  return items;
}

function toFilterNumber(input: string): string {
  const normalized = normalizeNumber(input);
  if (normalized === undefined)
    throw new CallflowError('INVALID_NUMBER', `${input} is not a phone number.`, { field: 'to' });
  return normalized;
}
