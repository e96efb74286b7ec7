/** The DLT registry API: entities, their headers (sender IDs) and whitelists, and templates. */

import type { SmsType } from '../../../src/store/types.ts';
import { api, query } from './api.ts';

export type { SmsType };

export interface DltEntity {
  entityId: string;
  name: string;
  status: 'active' | 'inactive';
  tmChain: string[];
  createdAt: string;
  updatedAt: string;
}

export interface DltHeader {
  entityId: string;
  senderId: string;
  smsType: SmsType;
  status: 'active' | 'inactive';
  createdAt: string;
  updatedAt: string;
}

export interface LintFinding {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  at?: number;
}

export interface DltTemplate {
  templateId: string;
  entityId: string;
  name: string;
  content: string;
  category: 'transactional' | 'service-implicit' | 'service-explicit' | 'promotional';
  status: 'approved' | 'pending' | 'rejected' | 'inactive';
  senderIds: string[];
  createdAt: string;
  updatedAt: string;
  lint: LintFinding[];
}

export interface WhitelistEntry {
  entityId: string;
  kind: 'url' | 'cbn';
  value: string;
  createdAt: string;
}

interface List<T> {
  items: T[];
}

const opts = (signal?: AbortSignal) => (signal ? { signal } : {});
const entityPath = (entityId: string) => `/api/v1/dlt/entities/${encodeURIComponent(entityId)}`;

export const dltApi = {
  entities: (signal?: AbortSignal) =>
    api.get<List<DltEntity>>('/api/v1/dlt/entities', opts(signal)),
  saveEntity: (entity: { entityId: string; name: string; status?: string; tmChain?: string[] }) =>
    api.post<DltEntity>('/api/v1/dlt/entities', entity),
  headers: (entityId: string, signal?: AbortSignal) =>
    api.get<List<DltHeader>>(`${entityPath(entityId)}/headers`, opts(signal)),
  saveHeader: (entityId: string, header: { senderId: string; smsType: SmsType; status?: string }) =>
    api.post<DltHeader>(`${entityPath(entityId)}/headers`, header),
  templates: (
    filter: { entityId?: string; senderId?: string; status?: string } = {},
    signal?: AbortSignal,
  ) => api.get<List<DltTemplate>>(`/api/v1/dlt/templates${query(filter)}`, opts(signal)),
  saveTemplate: (template: {
    templateId: string;
    entityId: string;
    name?: string;
    content: string;
    category: DltTemplate['category'];
    status?: DltTemplate['status'];
    senderIds?: string[];
  }) => api.post<DltTemplate>('/api/v1/dlt/templates', template),
  whitelist: (entityId: string, signal?: AbortSignal) =>
    api.get<List<WhitelistEntry>>(`${entityPath(entityId)}/whitelist`, opts(signal)),
  addWhitelist: (entityId: string, kind: 'url' | 'cbn', value: string) =>
    api.post<WhitelistEntry>(`${entityPath(entityId)}/whitelist`, { kind, value }),
  removeWhitelist: (entityId: string, kind: 'url' | 'cbn', value: string) =>
    api.delete<void>(`${entityPath(entityId)}/whitelist${query({ kind, value })}`),
};

/** Everything the Builder needs from the registry, loaded at once. */
export interface DltRegistry {
  entities: DltEntity[];
  headers: DltHeader[];
  templates: DltTemplate[];
  whitelist: WhitelistEntry[];
}

export async function loadRegistry(signal?: AbortSignal): Promise<DltRegistry> {
  const [entities, templates] = await Promise.all([
    dltApi.entities(signal),
    dltApi.templates({}, signal),
  ]);
  const perEntity = await Promise.all(
    entities.items.map(async (e) => {
      const [headers, whitelist] = await Promise.all([
        dltApi.headers(e.entityId, signal),
        dltApi.whitelist(e.entityId, signal),
      ]);
      return { headers: headers.items, whitelist: whitelist.items };
    }),
  );
  return {
    entities: entities.items,
    headers: perEntity.flatMap((p) => p.headers),
    templates: templates.items,
    whitelist: perEntity.flatMap((p) => p.whitelist),
  };
}
