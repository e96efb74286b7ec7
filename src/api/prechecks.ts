/**
 * Pre-checks for a send request: refuse at once, with 400 and the reason code, what is certain to
 * fail (an invalid recipient; an entity, template or header the account has not registered; a
 * template of another entity or not linked to the header; a category that forbids the SMS type).
 * What can change before the worker runs (content match, DND, balance, active states) is left to
 * the worker and reported on the message.
 *
 * The accept path must stay cheap, so registry lookups are cached per account for a few seconds.
 * Writes through this process's DLT routes invalidate the account's entries at once; writes by
 * other processes are seen within the TTL.
 */

import {
  categoryAllows,
  headerAllows,
  validateEntityId,
  validateTemplateId,
} from '../dlt/index.ts';
import type { ReasonCode } from '../errors.ts';
import { parseRecipient } from '../sms/index.ts';
import type {
  DltEntityRecord,
  DltHeaderRecord,
  DltTemplateRecord,
  SmsType,
  Store,
} from '../store/types.ts';
import { createTtlCache } from './ttl-cache.ts';

export interface RegistryCache {
  entity(accountSid: string, entityId: string): Promise<DltEntityRecord | undefined>;
  template(accountSid: string, templateId: string): Promise<DltTemplateRecord | undefined>;
  header(
    accountSid: string,
    entityId: string,
    senderId: string,
  ): Promise<DltHeaderRecord | undefined>;
  /** Forgets everything cached for the account (after a registry write). */
  invalidate(accountSid: string): void;
}

export function createRegistryCache(opts: {
  store: Store;
  ttlMs: number;
  now: () => number;
  maxEntries?: number;
}): RegistryCache {
  const cache = createTtlCache<Promise<unknown>>({
    ttlMs: opts.ttlMs,
    maxEntries: opts.maxEntries ?? 50_000,
    now: opts.now,
  });

  // Caches the promise, so concurrent requests for one key share one query; a failed query is not kept.
  function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit !== undefined) return hit as Promise<T>;
    const pending = load().catch((err: unknown) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, pending);
    return pending;
  }

  const dlt = opts.store.dlt;
  return {
    entity: (a, entityId) => cached(`${a}\ne\n${entityId}`, () => dlt.getEntity(a, entityId)),
    template: (a, templateId) =>
      cached(`${a}\nt\n${templateId}`, () => dlt.getTemplate(a, templateId)),
    header: (a, entityId, senderId) =>
      cached(`${a}\nh\n${entityId}\n${senderId}`, () => dlt.getHeader(a, entityId, senderId)),
    invalidate: (a) => cache.deletePrefix(`${a}\n`),
  };
}

export interface PrecheckInput {
  to: string;
  senderId: string;
  dltEntityId: string;
  dltTemplateId: string;
  smsType?: SmsType;
}

export interface PrecheckRefusal {
  code: ReasonCode;
  message: string;
  /** The request field at fault. */
  field: string;
}

const refuse = (code: ReasonCode, field: string, message: string): PrecheckResult => ({
  ok: false,
  code,
  field,
  message,
});

/** The SMS type a template's category carries, for a request that names none. */
export function smsTypeOf(category: DltTemplateRecord['category']): SmsType {
  if (category === 'promotional') return 'promotional';
  if (category === 'transactional') return 'transactional';
  return 'service';
}

export type PrecheckResult =
  | { ok: true; template: DltTemplateRecord }
  | ({ ok: false } & PrecheckRefusal);

/** The template when nothing certain to fail was found; otherwise the first refusal. */
export async function precheckSms(
  registry: RegistryCache,
  accountSid: string,
  input: PrecheckInput,
): Promise<PrecheckResult> {
  const recipient = parseRecipient(input.to);
  if (!recipient.ok) return refuse(recipient.code, 'to', recipient.message);

  if (validateEntityId(input.dltEntityId) !== null) {
    return refuse('INVALID_ENTITY_ID', 'dltEntityId', 'dltEntityId must be 12 to 19 digits.');
  }
  if (validateTemplateId(input.dltTemplateId) !== null) {
    return refuse('INVALID_TEMPLATE_ID', 'dltTemplateId', 'dltTemplateId must be 12 to 19 digits.');
  }

  const [entity, template, header] = await Promise.all([
    registry.entity(accountSid, input.dltEntityId),
    registry.template(accountSid, input.dltTemplateId),
    registry.header(accountSid, input.dltEntityId, input.senderId),
  ]);
  if (entity === undefined) {
    return refuse(
      'DLT_ENTITY_NOT_FOUND',
      'dltEntityId',
      `Entity ${input.dltEntityId} is not registered.`,
    );
  }
  if (template === undefined) {
    return refuse(
      'DLT_TEMPLATE_NOT_FOUND',
      'dltTemplateId',
      `Template ${input.dltTemplateId} is not registered.`,
    );
  }
  if (template.entityId !== entity.entityId) {
    return refuse(
      'DLT_TEMPLATE_ENTITY_MISMATCH',
      'dltTemplateId',
      `Template ${template.templateId} belongs to entity ${template.entityId}, not ${entity.entityId}.`,
    );
  }
  if (header === undefined) {
    return refuse(
      'DLT_HEADER_NOT_FOUND',
      'senderId',
      `Sender ID ${input.senderId} is not registered to entity ${entity.entityId} (headers are case-sensitive).`,
    );
  }
  if (template.senderIds.length > 0 && !template.senderIds.includes(input.senderId)) {
    return refuse(
      'DLT_HEADER_NOT_LINKED',
      'senderId',
      `Template ${template.templateId} is linked to ${template.senderIds.join(', ')}, not ${input.senderId}.`,
    );
  }
  const smsType = input.smsType ?? smsTypeOf(template.category);
  if (!headerAllows(header.smsType, smsType)) {
    return refuse(
      'DLT_HEADER_TYPE_MISMATCH',
      'senderId',
      `Sender ID ${header.senderId} is registered for promotional SMS, not ${smsType}.`,
    );
  }
  if (input.smsType !== undefined && !categoryAllows(template.category, input.smsType)) {
    return refuse(
      'DLT_CATEGORY_MISMATCH',
      'smsType',
      `A ${template.category} template cannot be sent as ${input.smsType}.`,
    );
  }
  return { ok: true, template };
}
