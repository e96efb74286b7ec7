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

import { checkRecipient, idProblem } from '../delivery/request-rules.ts';
import { checkRegistry } from '../dlt/index.ts';
import type { ReasonCode } from '../errors.ts';
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
  smsType?: SmsType | undefined;
}

export interface PrecheckRefusal {
  code: ReasonCode;
  message: string;
  /** The request field at fault. */
  field: string;
}

export type PrecheckResult =
  | { ok: true; template: DltTemplateRecord }
  | ({ ok: false } & PrecheckRefusal);

/**
 * The template when nothing certain to fail was found; otherwise the first refusal. The rules are
 * the worker's (request-rules.ts, dlt/registry-rules.ts), without the states that may change
 * before it runs.
 */
const ignore = () => {};

export async function precheckSms(
  registry: RegistryCache,
  accountSid: string,
  input: PrecheckInput,
): Promise<PrecheckResult> {
  const recipient = checkRecipient(input.to);
  if (!recipient.ok) return { ok: false, ...recipient.problem };
  const malformed = idProblem(input);
  if (malformed !== null) return { ok: false, ...malformed };
  // Started together, so a miss costs one round trip; awaited in turn, which is cheaper than
  // Promise.all when they are cached. The later two are marked handled: one that fails while the
  // first is awaited must not be an unhandled rejection (the await below still throws it).
  const entity = registry.entity(accountSid, input.dltEntityId);
  const header = registry.header(accountSid, input.dltEntityId, input.senderId);
  const template = registry.template(accountSid, input.dltTemplateId);
  header.catch(ignore);
  template.catch(ignore);
  const records = { entity: await entity, header: await header, template: await template };
  return checkRegistry(input, records, { states: false });
}
