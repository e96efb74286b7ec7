/**
 * DLT registry resources (entities, headers, templates, whitelist entries): their schemas and the
 * mapping from store records, plus the ID checks the DLT routes share.
 */

import { type Static, Type } from 'typebox';
import { lintTemplate, validateEntityId, validateTemplateId } from '../dlt/index.ts';
import { CallflowError } from '../errors.ts';
import type {
  DltEntityRecord,
  DltHeaderRecord,
  DltTemplateRecord,
  WhitelistEntry,
} from '../store/types.ts';
import { SmsTypeSchema, StringEnum, Timestamp } from './schemas.ts';

export const ActiveStatusSchema = StringEnum(['active', 'inactive'] as const);
export const TemplateCategorySchema = StringEnum([
  'transactional',
  'service-implicit',
  'service-explicit',
  'promotional',
] as const);
export const TemplateStatusSchema = StringEnum([
  'approved',
  'pending',
  'rejected',
  'inactive',
] as const);
export const WhitelistKindSchema = StringEnum(['url', 'cbn'] as const, {
  description: 'url: a {#url#}/{#urlott#} value; cbn: a {#cbn#} callback number',
});
export const TmChainSchema = Type.Array(Type.String({ pattern: '^\\d{12,19}$' }), {
  maxItems: 10,
  description: 'TM IDs after the PE, for the PE-TM chain hash',
});

export const EntityResource = Type.Object(
  {
    entityId: Type.String(),
    name: Type.String(),
    status: ActiveStatusSchema,
    tmChain: Type.Array(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'DltEntity' },
);

export const HeaderResource = Type.Object(
  {
    entityId: Type.String(),
    senderId: Type.String(),
    smsType: SmsTypeSchema,
    status: ActiveStatusSchema,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'DltHeader' },
);

export const LintFindingSchema = Type.Object({
  code: Type.String({ description: 'Reason code, e.g. TEMPLATE_ADJACENT_VARIABLES' }),
  severity: StringEnum(['error', 'warning'] as const),
  message: Type.String(),
  at: Type.Optional(Type.Integer({ description: 'UTF-16 index in the content' })),
});

export const TemplateResource = Type.Object(
  {
    templateId: Type.String(),
    entityId: Type.String(),
    name: Type.String(),
    content: Type.String(),
    category: TemplateCategorySchema,
    status: TemplateStatusSchema,
    senderIds: Type.Array(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    lint: Type.Array(LintFindingSchema, { description: 'What DLT portals would object to' }),
  },
  { title: 'DltTemplate' },
);

export const WhitelistResource = Type.Object(
  {
    entityId: Type.String(),
    kind: WhitelistKindSchema,
    value: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'DltWhitelistEntry' },
);

export function toEntityResource(e: DltEntityRecord): Static<typeof EntityResource> {
  return {
    entityId: e.entityId,
    name: e.name,
    status: e.status,
    tmChain: e.tmChain,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

export function toHeaderResource(h: DltHeaderRecord): Static<typeof HeaderResource> {
  return {
    entityId: h.entityId,
    senderId: h.senderId,
    smsType: h.smsType,
    status: h.status,
    createdAt: h.createdAt.toISOString(),
    updatedAt: h.updatedAt.toISOString(),
  };
}

export function toTemplateResource(t: DltTemplateRecord): Static<typeof TemplateResource> {
  return {
    templateId: t.templateId,
    entityId: t.entityId,
    name: t.name,
    content: t.content,
    category: t.category,
    status: t.status,
    senderIds: t.senderIds,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    lint: lintTemplate(t.content),
  };
}

export function toWhitelistResource(w: WhitelistEntry): Static<typeof WhitelistResource> {
  return {
    entityId: w.entityId,
    kind: w.kind,
    value: w.value,
    createdAt: w.createdAt.toISOString(),
  };
}

/** Throws INVALID_ENTITY_ID for a malformed PE ID. */
export function checkEntityId(entityId: string, field = 'entityId'): void {
  const code = validateEntityId(entityId);
  if (code !== null) throw new CallflowError(code, ID_MESSAGE(field, entityId), { field });
}

/** Throws INVALID_TEMPLATE_ID for a malformed template ID. */
export function checkTemplateId(templateId: string, field = 'templateId'): void {
  const code = validateTemplateId(templateId);
  if (code !== null) throw new CallflowError(code, ID_MESSAGE(field, templateId), { field });
}

const ID_MESSAGE = (field: string, id: string) => `${field} must be 12 to 19 digits, not "${id}".`;
