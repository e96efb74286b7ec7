/** The DLT registry (entities, headers, templates, URL/number whitelist) on PostgreSQL. */

import {
  pgCodec as c,
  entityFromRow,
  headerFromRow,
  templateFromRow,
  whitelistFromRow,
} from '../rows.ts';
import type { DltRepo, DltTemplateRecord } from '../types.ts';
import type { PgDb, Queryable } from './db.ts';

type TemplateInput = Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>;

const UPSERT_TEMPLATE = `INSERT INTO dlt_templates (account_sid, template_id, entity_id, name, content,
    category, status, sender_ids, ncpr_category, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
  ON CONFLICT (account_sid, template_id) DO UPDATE SET entity_id = excluded.entity_id,
    name = excluded.name, content = excluded.content, category = excluded.category,
    status = excluded.status, sender_ids = excluded.sender_ids,
    ncpr_category = excluded.ncpr_category, updated_at = excluded.updated_at
  RETURNING *`;

const writeTemplate = (q: Queryable, t: TemplateInput, now: Date) =>
  q.get(UPSERT_TEMPLATE, [
    t.accountSid,
    t.templateId,
    t.entityId,
    t.name,
    t.content,
    t.category,
    t.status,
    JSON.stringify(t.senderIds),
    t.ncprCategory ?? null,
    now,
  ]);

export function pgDlt(db: PgDb): DltRepo {
  return {
    async upsertEntity(e) {
      const row = await db.get(
        `INSERT INTO dlt_entities (account_sid, entity_id, name, status, tm_chain, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (account_sid, entity_id) DO UPDATE SET name = excluded.name,
           status = excluded.status, tm_chain = excluded.tm_chain, updated_at = excluded.updated_at
         RETURNING *`,
        [e.accountSid, e.entityId, e.name, e.status, JSON.stringify(e.tmChain), db.now()],
      );
      return entityFromRow(row!, c);
    },

    async getEntity(accountSid, entityId) {
      const row = await db.get(
        'SELECT * FROM dlt_entities WHERE account_sid = $1 AND entity_id = $2',
        [accountSid, entityId],
      );
      return row && entityFromRow(row, c);
    },

    async listEntities(accountSid) {
      const rows = await db.all(
        'SELECT * FROM dlt_entities WHERE account_sid = $1 ORDER BY entity_id',
        [accountSid],
      );
      return rows.map((r) => entityFromRow(r, c));
    },

    async upsertHeader(h) {
      const row = await db.get(
        `INSERT INTO dlt_headers (account_sid, entity_id, sender_id, sms_type, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (account_sid, entity_id, sender_id) DO UPDATE SET sms_type = excluded.sms_type,
           status = excluded.status, updated_at = excluded.updated_at
         RETURNING *`,
        [h.accountSid, h.entityId, h.senderId, h.smsType, h.status, db.now()],
      );
      return headerFromRow(row!, c);
    },

    async getHeader(accountSid, entityId, senderId) {
      const row = await db.get(
        'SELECT * FROM dlt_headers WHERE account_sid = $1 AND entity_id = $2 AND sender_id = $3',
        [accountSid, entityId, senderId],
      );
      return row && headerFromRow(row, c);
    },

    async listHeaders(accountSid, entityId) {
      const rows = await db.all(
        `SELECT * FROM dlt_headers WHERE account_sid = $1 AND ($2::text IS NULL OR entity_id = $2)
         ORDER BY entity_id, sender_id`,
        [accountSid, entityId ?? null],
      );
      return rows.map((r) => headerFromRow(r, c));
    },

    async upsertTemplate(t) {
      return templateFromRow((await writeTemplate(db, t, db.now()))!, c);
    },

    async upsertTemplates(ts) {
      const now = db.now();
      return db.tx(async (q) => {
        for (const t of ts) await writeTemplate(q, t, now);
        return ts.length;
      });
    },

    async getTemplate(accountSid, templateId) {
      const row = await db.get(
        'SELECT * FROM dlt_templates WHERE account_sid = $1 AND template_id = $2',
        [accountSid, templateId],
      );
      return row && templateFromRow(row, c);
    },

    async listTemplates(accountSid, filter = {}) {
      const rows = await db.all(
        `SELECT * FROM dlt_templates WHERE account_sid = $1
           AND ($2::text IS NULL OR entity_id = $2)
           AND ($3::text IS NULL OR status = $3)
           AND ($4::text IS NULL OR sender_ids ? $4)
         ORDER BY template_id`,
        [accountSid, filter.entityId ?? null, filter.status ?? null, filter.senderId ?? null],
      );
      return rows.map((r) => templateFromRow(r, c));
    },

    async addWhitelist(e) {
      const row = await db.get(
        `INSERT INTO dlt_whitelist (account_sid, entity_id, kind, value, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_sid, entity_id, kind, value) DO UPDATE SET value = excluded.value
         RETURNING *`,
        [e.accountSid, e.entityId, e.kind, e.value, db.now()],
      );
      return whitelistFromRow(row!, c);
    },

    async removeWhitelist(accountSid, entityId, kind, value) {
      const changed = await db.run(
        `DELETE FROM dlt_whitelist
         WHERE account_sid = $1 AND entity_id = $2 AND kind = $3 AND value = $4`,
        [accountSid, entityId, kind, value],
      );
      return changed > 0;
    },

    async listWhitelist(accountSid, entityId) {
      const rows = await db.all(
        `SELECT * FROM dlt_whitelist WHERE account_sid = $1 AND entity_id = $2
         ORDER BY kind, value`,
        [accountSid, entityId],
      );
      return rows.map((r) => whitelistFromRow(r, c));
    },
  };
}
