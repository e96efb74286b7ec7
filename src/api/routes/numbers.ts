/** /api/v1/numbers: the account's ExoPhones and the flow each answers with. */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { NumberView } from '../../flows/service.ts';
import { principal } from '../plugins/auth.ts';
import {
  errorResponses,
  ListOf,
  NoContent,
  NullableInteger,
  NullableString,
  Timestamp,
} from '../schemas.ts';
import type { FlowRouteDeps } from './flows.ts';

const tags = ['Numbers'];
const E164 = Type.String({
  pattern: '^\\+[1-9][0-9]{6,14}$',
  description: 'The ExoPhone in E.164, e.g. +914412345678',
});

const NumberResource = Type.Object(
  {
    number: Type.String(),
    flowId: NullableString({ description: 'The flow that answers calls to it' }),
    flowName: NullableString(),
    liveVersion: NullableInteger({
      description: "The flow's published version; null: calls find no flow",
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Number' },
);

const toResource = (n: NumberView) => ({
  number: n.e164,
  flowId: n.flowId,
  flowName: n.flowName,
  liveVersion: n.liveVersion,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});

export const numberRoutes: FastifyPluginAsyncTypebox<FlowRouteDeps> = async (app, { service }) => {
  app.get(
    '/numbers',
    {
      schema: {
        tags,
        summary: "The account's ExoPhones and the flow each runs",
        response: { 200: ListOf(NumberResource), ...errorResponses },
      },
    },
    async (request) => ({
      items: (await service.listNumbers(principal(request).sid)).map(toResource),
    }),
  );

  app.put(
    '/numbers/:number',
    {
      schema: {
        tags,
        summary: 'Add an ExoPhone to the account and assign it to a flow (or to none, with null)',
        params: Type.Object({ number: E164 }),
        body: Type.Object({
          flowId: NullableString({ description: 'null leaves the number without a flow' }),
        }),
        response: { 200: NumberResource, ...errorResponses },
      },
    },
    async (request) =>
      toResource(
        await service.assignNumber(
          principal(request).sid,
          request.params.number,
          request.body.flowId,
        ),
      ),
  );

  app.delete(
    '/numbers/:number',
    {
      schema: {
        tags,
        summary: 'Remove an ExoPhone from the account',
        params: Type.Object({ number: E164 }),
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      await service.removeNumber(principal(request).sid, request.params.number);
      return reply.status(204).send(null);
    },
  );
};
