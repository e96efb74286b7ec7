/**
 * /api/v1/calls: simulated inbound calls (a scripted caller, see docs/flows.md) that run the flow
 * live on the ExoPhone called, and every call's log with the SMS it produced.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CallRecord, Message } from '../../store/types.ts';
import { CallerScript } from '../../telephony/script.ts';
import { principal } from '../plugins/auth.ts';
import { MessageResource, toMessageResource } from '../resources.ts';
import {
  errorResponses,
  NullableString,
  NullableTimestamp,
  StringEnum,
  Timestamp,
} from '../schemas.ts';
import type { FlowRouteDeps } from './flows.ts';

const tags = ['Calls'];
/** A call's SMS listed with it, at most. */
const MAX_CALL_SMS = 100;

const CallBody = Type.Object(
  {
    ...CallerScript.properties,
    realTime: Type.Optional(
      Type.Boolean({
        description: 'Play the script in real time (demos); default: virtual time, ends at once',
      }),
    ),
  },
  { additionalProperties: false },
);

const callProperties = {
  sid: Type.String({
    description:
      'CallSid: 16 characters (digits and capitals without I, L, O, U); earlier calls 32 hex',
  }),
  flowId: Type.String(),
  flowVersion: Type.Integer({ description: 'The version live when the call started' }),
  from: Type.String(),
  to: Type.String(),
  status: StringEnum(['in-progress', 'completed'] as const),
  endReason: NullableString({
    description: 'hangup-applet, caller-hangup, step-limit, end-of-flow or error',
  }),
  startedAt: Timestamp,
  endedAt: NullableTimestamp,
  origin: Type.Union(
    [
      Type.Object(
        {
          kind: Type.Literal('sip'),
          via: StringEnum(['trunk', 'user'] as const, {
            description: 'Through a configured trunk or a softphone user',
          }),
          name: Type.String({ description: "The trunk's or the user's name" }),
          sipCallId: Type.String(),
          codec: Type.String({ description: 'PCMA or PCMU' }),
          remoteAddress: Type.String({ description: "Where the caller's RTP comes from" }),
          answeredAt: Timestamp,
          durationSeconds: Type.Optional(
            Type.Number({ description: 'From the answer to the end, seconds' }),
          ),
        },
        { title: 'CallOrigin' },
      ),
      Type.Object(
        {
          kind: Type.Literal('browser'),
          codec: Type.String({
            description: 'Audio codec between the media engine and the browser: PCMA or PCMU',
          }),
          remoteAddress: Type.String({ description: "The browser's media address from its offer" }),
          answeredAt: Timestamp,
          durationSeconds: Type.Optional(
            Type.Number({ description: 'From the answer to the end, seconds' }),
          ),
        },
        { title: 'BrowserCallOrigin' },
      ),
      Type.Null(),
    ],
    {
      description:
        "Where a real call came from (SIP, or the Builder's call from the browser); null for a test call (simulator)",
    },
  ),
};

const CallSummary = Type.Object(callProperties, { title: 'CallSummary' });
const CallResource = Type.Object(
  {
    ...callProperties,
    log: Type.Unknown({ description: 'The call log: steps, exits, timings, SMS (docs/flows.md)' }),
    sms: Type.Array(MessageResource, { description: 'The SMS the call produced, as they are now' }),
  },
  { title: 'Call' },
);

const summary = (c: CallRecord) => ({
  sid: c.sid,
  flowId: c.flowId,
  flowVersion: c.flowVersion,
  from: c.from,
  to: c.to,
  status: c.status,
  endReason: c.endReason,
  startedAt: c.startedAt.toISOString(),
  endedAt: c.endedAt === null ? null : c.endedAt.toISOString(),
  origin: c.origin,
});

export const callRoutes: FastifyPluginAsyncTypebox<FlowRouteDeps> = async (
  app,
  { service, store },
) => {
  async function detail(accountSid: string, sid: string) {
    const call = await service.getCall(accountSid, sid);
    const page = await store.messages.list(accountSid, { callSid: sid }, null, MAX_CALL_SMS);
    const sms = page.items.sort(
      (a: Message, b: Message) => a.createdAt.getTime() - b.createdAt.getTime(),
    );
    return { ...summary(call), log: call.log, sms: sms.map(toMessageResource) };
  }

  app.post(
    '/calls',
    {
      schema: {
        tags,
        summary:
          'Start a simulated inbound call to an ExoPhone; ?wait=true answers when it has ended',
        body: CallBody,
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean()) }),
        response: { 201: CallResource, 202: CallResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const accountSid = principal(request).sid;
      const { realTime, ...script } = request.body;
      const started = await service.startCall(
        accountSid,
        script,
        realTime === undefined ? {} : { realTime },
      );
      if (request.query.wait) {
        await started.done;
        return reply.status(201).send(await detail(accountSid, started.callSid));
      }
      return reply.status(202).send(await detail(accountSid, started.callSid));
    },
  );

  app.get(
    '/calls/:sid',
    {
      schema: {
        tags,
        summary: 'A call with its log and the SMS it produced',
        params: Type.Object({ sid: Type.String({ maxLength: 64 }) }),
        response: { 200: CallResource, ...errorResponses },
      },
    },
    async (request) => detail(principal(request).sid, request.params.sid),
  );

  app.get(
    '/calls',
    {
      schema: {
        tags,
        summary: 'List calls, newest first, with cursor pagination',
        querystring: Type.Object({
          flowId: Type.Optional(Type.String()),
          status: Type.Optional(StringEnum(['in-progress', 'completed'] as const)),
          since: Type.Optional(Timestamp),
          until: Type.Optional(Timestamp),
          cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
        }),
        response: {
          200: Type.Object({ items: Type.Array(CallSummary), nextCursor: NullableString() }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await service.listCalls(
        principal(request).sid,
        {
          ...(q.flowId !== undefined && { flowId: q.flowId }),
          ...(q.status !== undefined && { status: q.status }),
          ...(q.since !== undefined && { since: new Date(q.since) }),
          ...(q.until !== undefined && { until: new Date(q.until) }),
        },
        q.cursor ?? null,
        q.limit ?? 50,
      );
      return { items: page.items.map(summary), nextCursor: page.nextCursor };
    },
  );
};
