/**
 * /api/v1/dnd: the account's copy of recipients' DND (NCPR) preferences, and the consents that
 * let promotional and service-explicit messages through. Numbers are normalised to E.164.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CallflowError } from '../../errors.ts';
import { normalizeNumber } from '../../sms/index.ts';
import type { ConsentRecord, DndRecord } from '../../store/types.ts';
import { checkEntityId, checkTemplateId } from '../dlt-resources.ts';
import { principal } from '../plugins/auth.ts';
import {
  errorResponses,
  NoContent,
  NullableString,
  NullableTimestamp,
  Timestamp,
} from '../schemas.ts';
import type { RouteContext } from './context.ts';

const tags = ['DND and consent'];

const DndResource = Type.Object(
  {
    number: Type.String({ description: 'E.164' }),
    preferences: Type.Array(Type.Integer(), {
      description: '0 = fully blocked; 1-7 = blocked categories; empty = no preference',
    }),
    updatedAt: Timestamp,
  },
  { title: 'DndPreference' },
);

const ConsentResource = Type.Object(
  {
    number: Type.String(),
    entityId: Type.String(),
    templateId: NullableString({ description: "null: consent to all of the entity's templates" }),
    grantedAt: Timestamp,
    expiresAt: NullableTimestamp,
    revokedAt: NullableTimestamp,
  },
  { title: 'Consent' },
);

const NumberParams = Type.Object({
  number: Type.String({ description: 'E.164 or a national number' }),
});

const ConsentKey = {
  number: Type.String({ minLength: 1, maxLength: 32 }),
  entityId: Type.String(),
};

function e164(input: string, field = 'number'): string {
  const normalized = normalizeNumber(input);
  if (normalized === undefined)
    throw new CallflowError('INVALID_NUMBER', `${input} is not a phone number.`, { field });
  return normalized;
}

const toDnd = (r: DndRecord) => ({
  number: r.number,
  preferences: r.preferences,
  updatedAt: r.updatedAt.toISOString(),
});

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

const toConsent = (c: ConsentRecord) => ({
  number: c.number,
  entityId: c.entityId,
  templateId: c.templateId,
  grantedAt: c.grantedAt.toISOString(),
  expiresAt: iso(c.expiresAt),
  revokedAt: iso(c.revokedAt),
});

export const dndRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const dnd = ctx.store.dnd;

  app.post(
    '/dnd/consents',
    {
      schema: {
        tags,
        summary: "Record a recipient's consent to an entity's messages",
        body: Type.Object({
          ...ConsentKey,
          templateId: Type.Optional(
            NullableString({ description: 'Omit or null for all templates' }),
          ),
          expiresAt: Type.Optional(NullableString({ format: 'date-time' })),
        }),
        response: { 201: ConsentResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const b = request.body;
      checkEntityId(b.entityId);
      const templateId = b.templateId ?? null;
      if (templateId !== null) checkTemplateId(templateId);
      const grantedAt = ctx.clock();
      const expiresAt = b.expiresAt == null ? null : new Date(b.expiresAt);
      if (expiresAt !== null && expiresAt <= grantedAt) {
        throw new CallflowError('VALIDATION_FAILED', 'expiresAt is in the past.', {
          field: 'expiresAt',
        });
      }
      const consent = await dnd.addConsent({
        accountSid: sid,
        number: e164(b.number),
        entityId: b.entityId,
        templateId,
        grantedAt,
        expiresAt,
      });
      return reply.status(201).send(toConsent(consent));
    },
  );

  app.get(
    '/dnd/consents',
    {
      schema: {
        tags,
        summary: 'The consent that covers a number and template now, if any',
        querystring: Type.Object({ ...ConsentKey, templateId: Type.String() }),
        response: { 200: ConsentResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const q = request.query;
      checkEntityId(q.entityId);
      checkTemplateId(q.templateId);
      const consent = await dnd.findConsent(
        sid,
        e164(q.number),
        q.entityId,
        q.templateId,
        ctx.clock(),
      );
      if (consent === undefined) throw new CallflowError('NOT_FOUND', 'No valid consent.');
      return toConsent(consent);
    },
  );

  app.delete(
    '/dnd/consents',
    {
      schema: {
        tags,
        summary: 'Revoke a consent',
        querystring: Type.Object({
          ...ConsentKey,
          templateId: Type.Optional(
            Type.String({ description: 'Omit for the entity-wide consent' }),
          ),
        }),
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const q = request.query;
      checkEntityId(q.entityId);
      if (q.templateId !== undefined) checkTemplateId(q.templateId);
      const revoked = await dnd.revokeConsent(
        sid,
        e164(q.number),
        q.entityId,
        q.templateId ?? null,
      );
      if (!revoked) throw new CallflowError('NOT_FOUND', 'No such consent.');
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/dnd/:number',
    {
      schema: {
        tags,
        summary: "Set a number's DND preferences",
        params: NumberParams,
        body: Type.Object({
          preferences: Type.Array(Type.Integer({ minimum: 0, maximum: 7 }), {
            maxItems: 8,
            uniqueItems: true,
          }),
        }),
        response: { 200: DndResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const preferences = [...request.body.preferences].sort((a, b) => a - b);
      return toDnd(await dnd.upsert(sid, e164(request.params.number), preferences));
    },
  );

  app.get(
    '/dnd/:number',
    {
      schema: {
        tags,
        summary: "Get a number's DND preferences",
        params: NumberParams,
        response: { 200: DndResource, ...errorResponses },
      },
    },
    async (request) => {
      const record = await dnd.get(principal(request).sid, e164(request.params.number));
      if (record === undefined)
        throw new CallflowError('NOT_FOUND', 'No DND record for this number.');
      return toDnd(record);
    },
  );

  app.delete(
    '/dnd/:number',
    {
      schema: {
        tags,
        summary: "Remove a number's DND record",
        params: NumberParams,
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const removed = await dnd.remove(principal(request).sid, e164(request.params.number));
      if (!removed) throw new CallflowError('NOT_FOUND', 'No DND record for this number.');
      return reply.status(204).send(null);
    },
  );
};
