/**
 * The DLT registry (entities, headers, templates, URL/number whitelist), written once for both
 * dialects (port.ts).
 */

import { entityFromRow, headerFromRow, templateFromRow, whitelistFromRow } from '../rows.ts';
import type { DltRepo, DltTemplateRecord } from '../types.ts';
import { get, type SqlPort, type Steps } from './port.ts';

type TemplateInput = Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>;

const UPSERT_TEMPLATE = `INSERT INTO dlt_templates (account_sid, template_id, entity_id, name, content,
    category, status, sender_ids, ncpr_category, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
  ON CONFLICT (account_sid, template_id) DO UPDATE SET entity_id = excluded.entity_id,
    name = excluded.name, content = excluded.content, category = excluded.category,
    status = excluded.status, sender_ids = excluded.sender_ids,
    ncpr_category = excluded.ncpr_category, updated_at = excluded.updated_at
  RETURNING *`;

export function sqlDlt(port: SqlPort): DltRepo {
  const c = port.codec;
  const templateParams = (t: TemplateInput, now: unknown) => [
    t.accountSid,
    t.templateId,
    t.entityId,
    t.name,
    t.content,
    t.category,
    t.status,
    port.json(t.senderIds),
    t.ncprCategory ?? null,
    now,
  ];

  function* writeTemplates(ts: readonly TemplateInput[], now: unknown): Steps<number> {
    for (const t of ts) yield* get(UPSERT_TEMPLATE, templateParams(t, now));
    return ts.length;
  }

  // A null parameter needs a type on PostgreSQL; CAST says it in SQL both dialects read.
  const LIST_TEMPLATES = `SELECT * FROM dlt_templates WHERE account_sid = $1
       AND (CAST($2 AS text) IS NULL OR entity_id = $2)
       AND (CAST($3 AS text) IS NULL OR status = $3)
       AND (CAST($4 AS text) IS NULL OR ${port.jsonArrayHas('sender_ids', '$4')})
     ORDER BY template_id`;

  return {
    async upsertEntity(e) {
      const row = await port.get(
        `INSERT INTO dlt_entities (account_sid, entity_id, name, status, tm_chain, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (account_sid, entity_id) DO UPDATE SET name = excluded.name,
           status = excluded.status, tm_chain = excluded.tm_chain, updated_at = excluded.updated_at
         RETURNING *`,
        [e.accountSid, e.entityId, e.name, e.status, port.json(e.tmChain), port.now()],
      );
      return entityFromRow(row!, c);
    },

    async getEntity(accountSid, entityId) {
      const row = await port.get(
        'SELECT * FROM dlt_entities WHERE account_sid = $1 AND entity_id = $2',
        [accountSid, entityId],
      );
      return row && entityFromRow(row, c);
    },

    async listEntities(accountSid) {
      const rows = await port.all(
        'SELECT * FROM dlt_entities WHERE account_sid = $1 ORDER BY entity_id',
        [accountSid],
      );
      return rows.map((r) => entityFromRow(r, c));
    },

    async upsertHeader(h) {
      const row = await port.get(
        `INSERT INTO dlt_headers (account_sid, entity_id, sender_id, sms_type, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (account_sid, entity_id, sender_id) DO UPDATE SET sms_type = excluded.sms_type,
           status = excluded.status, updated_at = excluded.updated_at
         RETURNING *`,
        [h.accountSid, h.entityId, h.senderId, h.smsType, h.status, port.now()],
      );
      return headerFromRow(row!, c);
    },

    async getHeader(accountSid, entityId, senderId) {
      const row = await port.get(
        'SELECT * FROM dlt_headers WHERE account_sid = $1 AND entity_id = $2 AND sender_id = $3',
        [accountSid, entityId, senderId],
      );
      return row && headerFromRow(row, c);
    },

    async listHeaders(accountSid, entityId) {
      const rows = await port.all(
        `SELECT * FROM dlt_headers WHERE account_sid = $1
           AND (CAST($2 AS text) IS NULL OR entity_id = $2)
         ORDER BY entity_id, sender_id`,
        [accountSid, entityId ?? null],
      );
      return rows.map((r) => headerFromRow(r, c));
    },

    async upsertTemplate(t) {
      return templateFromRow((await port.get(UPSERT_TEMPLATE, templateParams(t, port.now())))!, c);
    },

    async upsertTemplates(ts) {
      const now = port.now();
      return port.tx(() => writeTemplates(ts, now));
    },

    async getTemplate(accountSid, templateId) {
      const row = await port.get(
        'SELECT * FROM dlt_templates WHERE account_sid = $1 AND template_id = $2',
        [accountSid, templateId],
      );
      return row && templateFromRow(row, c);
    },

    async listTemplates(accountSid, filter = {}) {
      const rows = await port.all(LIST_TEMPLATES, [
        accountSid,
        filter.entityId ?? null,
        filter.status ?? null,
        filter.senderId ?? null,
      ]);
      return rows.map((r) => templateFromRow(r, c));
    },

    async addWhitelist(e) {
      const row = await port.get(
        `INSERT INTO dlt_whitelist (account_sid, entity_id, kind, value, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_sid, entity_id, kind, value) DO UPDATE SET value = excluded.value
         RETURNING *`,
        [e.accountSid, e.entityId, e.kind, e.value, port.now()],
      );
      return whitelistFromRow(row!, c);
    },

    async removeWhitelist(accountSid, entityId, kind, value) {
      const changed = await port.run(
        `DELETE FROM dlt_whitelist
         WHERE account_sid = $1 AND entity_id = $2 AND kind = $3 AND value = $4`,
        [accountSid, entityId, kind, value],
      );
      return changed > 0;
    },

    async listWhitelist(accountSid, entityId) {
      const rows = await port.all(
        `SELECT * FROM dlt_whitelist WHERE account_sid = $1 AND entity_id = $2
         ORDER BY kind, value`,
        [accountSid, entityId],
      );
      return rows.map((r) => whitelistFromRow(r, c));
    },
  };
}
