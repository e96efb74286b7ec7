/**
 * /api/v1/dlt/templates: content templates, flat because a template ID is unique on DLT; each
 * names its entity. Every response carries `lint`, what a DLT portal would object to in the
 * content. Nothing is deleted: deactivate with status inactive.
 */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SENDER_ID_MAX_LENGTH } from '../../dlt/index.ts';
import { CallflowError } from '../../errors.ts';
import type { DltTemplateRecord } from '../../store/types.ts';
import {
  checkEntityId,
  checkTemplateId,
  TemplateCategorySchema,
  TemplateResource,
  TemplateStatusSchema,
  toTemplateResource,
} from '../dlt-resources.ts';
import { principal } from '../plugins/auth.ts';
import { errorResponses, ListOf, TemplateIdParam } from '../schemas.ts';
import type { RouteContext } from './context.ts';

const tags = ['DLT registry'];
const Content = Type.String({
  minLength: 1,
  maxLength: 2000,
  description: 'Text with {#var#} placeholders',
});
const SenderIds = Type.Array(Type.String({ minLength: 1, maxLength: SENDER_ID_MAX_LENGTH }), {
  maxItems: 100,
  uniqueItems: true,
  description: 'Headers the template is linked to; each must be registered to the entity',
});

export const dltTemplateRoutes: FastifyPluginAsyncTypebox<RouteContext> = async (app, ctx) => {
  const dlt = ctx.store.dlt;

  async function requireTemplate(
    accountSid: string,
    templateId: string,
  ): Promise<DltTemplateRecord> {
    checkTemplateId(templateId);
    const template = await dlt.getTemplate(accountSid, templateId);
    if (template === undefined) throw new CallflowError('NOT_FOUND', `No template ${templateId}.`);
    return template;
  }

  /** A template may link only headers registered to its entity. */
  async function checkSenderIds(
    accountSid: string,
    entityId: string,
    senderIds: string[],
  ): Promise<void> {
    if (senderIds.length === 0) return;
    const registered = new Set(
      (await dlt.listHeaders(accountSid, entityId)).map((h) => h.senderId),
    );
    const missing = senderIds.filter((s) => !registered.has(s));
    if (missing.length > 0) {
      throw new CallflowError(
        'DLT_HEADER_NOT_FOUND',
        `Not registered to entity ${entityId}: ${missing.join(', ')}.`,
        { field: 'senderIds', senderIds: missing },
      );
    }
  }

  app.post(
    '/dlt/templates',
    {
      schema: {
        tags,
        summary: 'Register a template (or update it: same templateId)',
        body: Type.Object({
          templateId: TemplateIdParam,
          entityId: Type.String({ description: 'The entity (PE) that registered it' }),
          name: Type.Optional(Type.String({ maxLength: 200 })),
          content: Content,
          category: TemplateCategorySchema,
          status: Type.Optional(TemplateStatusSchema),
          senderIds: Type.Optional(SenderIds),
        }),
        response: { 200: TemplateResource, 201: TemplateResource, ...errorResponses },
      },
    },
    async (request, reply) => {
      const sid = principal(request).sid;
      const b = request.body;
      checkTemplateId(b.templateId);
      checkEntityId(b.entityId);
      const [entity, existing] = await Promise.all([
        dlt.getEntity(sid, b.entityId),
        dlt.getTemplate(sid, b.templateId),
      ]);
      if (entity === undefined) {
        throw new CallflowError('DLT_ENTITY_NOT_FOUND', `Entity ${b.entityId} is not registered.`, {
          field: 'entityId',
        });
      }
      if (existing !== undefined && existing.entityId !== b.entityId) {
        throw new CallflowError(
          'CONFLICT',
          `Template ${b.templateId} is registered to entity ${existing.entityId}; a template never changes entity.`,
          { field: 'entityId' },
        );
      }
      const senderIds = b.senderIds ?? existing?.senderIds ?? [];
      await checkSenderIds(sid, b.entityId, senderIds);
      const template = await dlt.upsertTemplate({
        accountSid: sid,
        templateId: b.templateId,
        entityId: b.entityId,
        name: b.name ?? existing?.name ?? '',
        content: b.content,
        category: b.category,
        status: b.status ?? existing?.status ?? 'approved',
        senderIds,
      });
      ctx.registry.invalidate(sid);
      return reply.status(existing === undefined ? 201 : 200).send(toTemplateResource(template));
    },
  );

  app.get(
    '/dlt/templates',
    {
      schema: {
        tags,
        summary: 'List templates',
        querystring: Type.Object({
          entityId: Type.Optional(Type.String()),
          senderId: Type.Optional(Type.String({ description: 'Templates linked to this header' })),
          status: Type.Optional(TemplateStatusSchema),
        }),
        response: { 200: ListOf(TemplateResource), ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const q = request.query;
      const filter: { entityId?: string; senderId?: string; status?: DltTemplateRecord['status'] } =
        {};
      if (q.entityId !== undefined) filter.entityId = q.entityId;
      if (q.senderId !== undefined) filter.senderId = q.senderId;
      if (q.status !== undefined) filter.status = q.status;
      const templates = await dlt.listTemplates(sid, filter);
      return { items: templates.map(toTemplateResource) };
    },
  );

  app.get(
    '/dlt/templates/:templateId',
    {
      schema: {
        tags,
        summary: 'Get a template with its lint findings',
        params: Type.Object({ templateId: TemplateIdParam }),
        response: { 200: TemplateResource, ...errorResponses },
      },
    },
    async (request) =>
      toTemplateResource(await requireTemplate(principal(request).sid, request.params.templateId)),
  );

  app.patch(
    '/dlt/templates/:templateId',
    {
      schema: {
        tags,
        summary: 'Change a template (status inactive deactivates it)',
        params: Type.Object({ templateId: TemplateIdParam }),
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 200 })),
          content: Type.Optional(Content),
          category: Type.Optional(TemplateCategorySchema),
          status: Type.Optional(TemplateStatusSchema),
          senderIds: Type.Optional(SenderIds),
        }),
        response: { 200: TemplateResource, ...errorResponses },
      },
    },
    async (request) => {
      const sid = principal(request).sid;
      const t = await requireTemplate(sid, request.params.templateId);
      const b = request.body;
      if (b.senderIds !== undefined) await checkSenderIds(sid, t.entityId, b.senderIds);
      const updated = await dlt.upsertTemplate({
        accountSid: sid,
        templateId: t.templateId,
        entityId: t.entityId,
        name: b.name ?? t.name,
        content: b.content ?? t.content,
        category: b.category ?? t.category,
        status: b.status ?? t.status,
        senderIds: b.senderIds ?? t.senderIds,
      });
      ctx.registry.invalidate(sid);
      return toTemplateResource(updated);
    },
  );
};
