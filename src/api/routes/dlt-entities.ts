/**
 * /api/v1/dlt/entities: the account's DLT principal entities (PEs), and under each its headers
 * (sender IDs) and whitelisted URLs and callback numbers. Headers nest under their entity because
 * DLT registers a header to exactly one PE. Nothing is deleted: deactivate with status inactive.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SENDER_ID_MAX_LENGTH, validateHeader } from '../../dlt/index.ts';
import { CallflowError } from '../../errors.ts';
import type { DltEntityRecord, SmsType } from '../../store/types.ts';
import {
  ActiveStatusSchema,
  checkEntityId,
  EntityResource,
  HeaderResource,
  TmChainSchema,
  toEntityResource,
  toHeaderResource,
  toWhitelistResource,
  WhitelistKindSchema,
  WhitelistResource,
} from '../dlt-resources.ts';
import { principal } from '../plugins/auth.ts';
import { EntityIdParam, errorResponses, ListOf, NoContent, SmsTypeSchema } from '../schemas.ts';
import { normalizeWhitelistValue } from '../whitelist.ts';
import type { RouteContext } from './context.ts';

const EntityParams = Type.Object({ entityId: EntityIdParam });
const HeaderParams = Type.Object({ entityId: EntityIdParam, senderId: Type.String() });
const tags = ['DLT registry'];

function checkHeader(senderId: string, smsType: SmsType, field: string): void {
  if (validateHeader(senderId, smsType) === null) return;
  const form = smsType === 'promotional' ? '6 digits' : '6 capital letters';
  throw new CallflowError('INVALID_HEADER', `A ${smsType} header is ${form}, not "${senderId}".`, {
    field,
  });
}

export const dltEntityRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const dlt = ctx.store.dlt;

  async function requireEntity(accountSid: string, entityId: string): Promise<DltEntityRecord> {
    checkEntityId(entityId);
    const entity = await dlt.getEntity(accountSid, entityId);
    if (entity === undefined) throw new CallflowError('NOT_FOUND', `No entity ${entityId}.`);
    return entity;
  }

  app.post(
    '/dlt/entities',
    {
      schema: {
        tags,
        summary: 'Register an entity (or update it: same entityId)',
        body: Type.Object({
          entityId: EntityIdParam,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          status: Type.Optional(ActiveStatusSchema),
          tmChain: Type.Optional(TmChainSchema),
        }),
        response: { 200: EntityResource, 201: EntityResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const b = request.body;
      checkEntityId(b.entityId);
      const existing = await dlt.getEntity(sid, b.entityId);
      const entity = await dlt.upsertEntity({
        accountSid: sid,
        entityId: b.entityId,
        name: b.name,
        status: b.status ?? existing?.status ?? 'active',
        tmChain: b.tmChain ?? existing?.tmChain ?? [],
      });
      ctx.registry.invalidate(sid);
      return reply.status(existing === undefined ? 201 : 200).send(toEntityResource(entity));
    },
  );

  app.get(
    '/dlt/entities',
    {
      schema: {
        tags,
        summary: 'List entities',
        response: { 200: ListOf(EntityResource), ...errorResponses },
      },
    },
    async (request) => {
      const entities = await dlt.listEntities(principal(request).sid);
      return { items: entities.map(toEntityResource) };
    },
  );

  app.get(
    '/dlt/entities/:entityId',
    {
      schema: {
        tags,
        summary: 'Get an entity',
        params: EntityParams,
        response: { 200: EntityResource, ...errorResponses },
      },
    },
    async (request) =>
      toEntityResource(await requireEntity(principal(request).sid, request.params.entityId)),
  );

  app.patch(
    '/dlt/entities/:entityId',
    {
      schema: {
        tags,
        summary: 'Change an entity (status inactive deactivates it)',
        params: EntityParams,
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          status: Type.Optional(ActiveStatusSchema),
          tmChain: Type.Optional(TmChainSchema),
        }),
        response: { 200: EntityResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const b = request.body;
      const updated = await dlt.upsertEntity({
        accountSid: sid,
        entityId: entity.entityId,
        name: b.name ?? entity.name,
        status: b.status ?? entity.status,
        tmChain: b.tmChain ?? entity.tmChain,
      });
      ctx.registry.invalidate(sid);
      return toEntityResource(updated);
    },
  );

  app.post(
    '/dlt/entities/:entityId/headers',
    {
      schema: {
        tags,
        summary: 'Register a header (sender ID) to the entity, or update it',
        description:
          'Headers are case-sensitive. Transactional and service headers are letters; promotional ones digits.',
        params: EntityParams,
        body: Type.Object({
          senderId: Type.String({ minLength: 1, maxLength: SENDER_ID_MAX_LENGTH }),
          smsType: SmsTypeSchema,
          status: Type.Optional(ActiveStatusSchema),
        }),
        response: { 200: HeaderResource, 201: HeaderResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const b = request.body;
      checkHeader(b.senderId, b.smsType, 'senderId');
      const existing = await dlt.getHeader(sid, entity.entityId, b.senderId);
      const header = await dlt.upsertHeader({
        accountSid: sid,
        entityId: entity.entityId,
        senderId: b.senderId,
        smsType: b.smsType,
        status: b.status ?? existing?.status ?? 'active',
      });
      ctx.registry.invalidate(sid);
      return reply.status(existing === undefined ? 201 : 200).send(toHeaderResource(header));
    },
  );

  app.get(
    '/dlt/entities/:entityId/headers',
    {
      schema: {
        tags,
        summary: "List the entity's headers",
        params: EntityParams,
        response: { 200: ListOf(HeaderResource), ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const headers = await dlt.listHeaders(sid, entity.entityId);
      return { items: headers.map(toHeaderResource) };
    },
  );

  app.get(
    '/dlt/entities/:entityId/headers/:senderId',
    {
      schema: {
        tags,
        summary: 'Get a header',
        params: HeaderParams,
        response: { 200: HeaderResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const header = await dlt.getHeader(sid, entity.entityId, request.params.senderId);
      if (header === undefined)
        throw new CallflowError('NOT_FOUND', `No header ${request.params.senderId}.`);
      return toHeaderResource(header);
    },
  );

  app.patch(
    '/dlt/entities/:entityId/headers/:senderId',
    {
      schema: {
        tags,
        summary: 'Change a header (status inactive deactivates it)',
        params: HeaderParams,
        body: Type.Object({
          smsType: Type.Optional(SmsTypeSchema),
          status: Type.Optional(ActiveStatusSchema),
        }),
        response: { 200: HeaderResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const header = await dlt.getHeader(sid, entity.entityId, request.params.senderId);
      if (header === undefined)
        throw new CallflowError('NOT_FOUND', `No header ${request.params.senderId}.`);
      const smsType = request.body.smsType ?? header.smsType;
      checkHeader(header.senderId, smsType, 'smsType');
      const updated = await dlt.upsertHeader({
        accountSid: sid,
        entityId: entity.entityId,
        senderId: header.senderId,
        smsType,
        status: request.body.status ?? header.status,
      });
      ctx.registry.invalidate(sid);
      return toHeaderResource(updated);
    },
  );

  app.post(
    '/dlt/entities/:entityId/whitelist',
    {
      schema: {
        tags,
        summary: 'Whitelist a URL or callback number for the entity',
        params: EntityParams,
        body: Type.Object({
          kind: WhitelistKindSchema,
          value: Type.String({ minLength: 1, maxLength: 2048 }),
        }),
        response: { 201: WhitelistResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const { kind } = request.body;
      const value = normalizeWhitelistValue(kind, request.body.value);
      const entry = await dlt.addWhitelist({
        accountSid: sid,
        entityId: entity.entityId,
        kind,
        value,
      });
      ctx.registry.invalidate(sid);
      return reply.status(201).send(toWhitelistResource(entry));
    },
  );

  app.get(
    '/dlt/entities/:entityId/whitelist',
    {
      schema: {
        tags,
        summary: "List the entity's whitelisted URLs and callback numbers",
        params: EntityParams,
        response: { 200: ListOf(WhitelistResource), ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const entries = await dlt.listWhitelist(sid, entity.entityId);
      return { items: entries.map(toWhitelistResource) };
    },
  );

  app.delete(
    '/dlt/entities/:entityId/whitelist',
    {
      schema: {
        tags,
        summary: 'Remove a whitelisted URL or callback number',
        params: EntityParams,
        querystring: Type.Object({
          kind: WhitelistKindSchema,
          value: Type.String({ minLength: 1 }),
        }),
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const entity = await requireEntity(sid, request.params.entityId);
      const { kind } = request.query;
      const value = normalizeWhitelistValue(kind, request.query.value);
      const removed = await dlt.removeWhitelist(sid, entity.entityId, kind, value);
      if (!removed) throw new CallflowError('NOT_FOUND', `${value} is not whitelisted.`);
      ctx.registry.invalidate(sid);
      return reply.status(204).send(null);
    },
  );
};
