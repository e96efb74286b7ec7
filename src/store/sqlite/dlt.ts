/** The DLT registry (entities, headers, templates, URL/number whitelist) on SQLite. */

import {
  sqliteCodec as c,
  entityFromRow,
  headerFromRow,
  templateFromRow,
  whitelistFromRow,
} from '../rows.ts';
import type { DltRepo, DltTemplateRecord } from '../types.ts';
import type { SqliteDb } from './db.ts';

type TemplateInput = Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>;

export function sqliteDlt(db: SqliteDb): DltRepo {
  const writeTemplate = (t: TemplateInput, now: number) =>
    db.get(
      `INSERT INTO dlt_templates (account_sid, template_id, entity_id, name, content, category, status,
         sender_ids, ncpr_category, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account_sid, template_id) DO UPDATE SET entity_id = excluded.entity_id,
         name = excluded.name, content = excluded.content, category = excluded.category,
         status = excluded.status, sender_ids = excluded.sender_ids,
         ncpr_category = excluded.ncpr_category, updated_at = excluded.updated_at
       RETURNING *`,
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
      now,
    )!;

  return {
    async upsertEntity(e) {
      const now = db.now();
      const row = db.get(
        `INSERT INTO dlt_entities (account_sid, entity_id, name, status, tm_chain, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_sid, entity_id) DO UPDATE SET name = excluded.name,
           status = excluded.status, tm_chain = excluded.tm_chain, updated_at = excluded.updated_at
         RETURNING *`,
        e.accountSid,
        e.entityId,
        e.name,
        e.status,
        JSON.stringify(e.tmChain),
        now,
        now,
      )!;
      return entityFromRow(row, c);
    },

    async getEntity(accountSid, entityId) {
      const row = db.get(
        'SELECT * FROM dlt_entities WHERE account_sid = ? AND entity_id = ?',
        accountSid,
        entityId,
      );
      return row && entityFromRow(row, c);
    },

    async listEntities(accountSid) {
      return db
        .all('SELECT * FROM dlt_entities WHERE account_sid = ? ORDER BY entity_id', accountSid)
        .map((r) => entityFromRow(r, c));
    },

    async upsertHeader(h) {
      const now = db.now();
      const row = db.get(
        `INSERT INTO dlt_headers (account_sid, entity_id, sender_id, sms_type, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_sid, entity_id, sender_id) DO UPDATE SET sms_type = excluded.sms_type,
           status = excluded.status, updated_at = excluded.updated_at
         RETURNING *`,
        h.accountSid,
        h.entityId,
        h.senderId,
        h.smsType,
        h.status,
        now,
        now,
      )!;
      return headerFromRow(row, c);
    },

    async getHeader(accountSid, entityId, senderId) {
      const row = db.get(
        'SELECT * FROM dlt_headers WHERE account_sid = ? AND entity_id = ? AND sender_id = ?',
        accountSid,
        entityId,
        senderId,
      );
      return row && headerFromRow(row, c);
    },

    async listHeaders(accountSid, entityId) {
      const rows =
        entityId === undefined
          ? db.all(
              'SELECT * FROM dlt_headers WHERE account_sid = ? ORDER BY entity_id, sender_id',
              accountSid,
            )
          : db.all(
              'SELECT * FROM dlt_headers WHERE account_sid = ? AND entity_id = ? ORDER BY sender_id',
              accountSid,
              entityId,
            );
      return rows.map((r) => headerFromRow(r, c));
    },

    async upsertTemplate(t) {
      return templateFromRow(writeTemplate(t, db.now()), c);
    },

    async upsertTemplates(ts) {
      const now = db.now();
      return db.tx(() => {
        for (const t of ts) writeTemplate(t, now);
        return ts.length;
      });
    },

    async getTemplate(accountSid, templateId) {
      const row = db.get(
        'SELECT * FROM dlt_templates WHERE account_sid = ? AND template_id = ?',
        accountSid,
        templateId,
      );
      return row && templateFromRow(row, c);
    },

    async listTemplates(accountSid, filter = {}) {
      const rows = db.all(
        `SELECT * FROM dlt_templates WHERE account_sid = ?1
           AND (?2 IS NULL OR entity_id = ?2)
           AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(sender_ids) WHERE value = ?4))
         ORDER BY template_id`,
        accountSid,
        filter.entityId ?? null,
        filter.status ?? null,
        filter.senderId ?? null,
      );
      return rows.map((r) => templateFromRow(r, c));
    },

    async addWhitelist(e) {
      db.run(
        `INSERT INTO dlt_whitelist (account_sid, entity_id, kind, value, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        e.accountSid,
        e.entityId,
        e.kind,
        e.value,
        db.now(),
      );
      const row = db.get(
        'SELECT * FROM dlt_whitelist WHERE account_sid = ? AND entity_id = ? AND kind = ? AND value = ?',
        e.accountSid,
        e.entityId,
        e.kind,
        e.value,
      )!;
      return whitelistFromRow(row, c);
    },

    async removeWhitelist(accountSid, entityId, kind, value) {
      return (
        db.run(
          'DELETE FROM dlt_whitelist WHERE account_sid = ? AND entity_id = ? AND kind = ? AND value = ?',
          accountSid,
          entityId,
          kind,
          value,
        ) > 0
      );
    },

    async listWhitelist(accountSid, entityId) {
      return db
        .all(
          'SELECT * FROM dlt_whitelist WHERE account_sid = ? AND entity_id = ? ORDER BY kind, value',
          accountSid,
          entityId,
        )
        .map((r) => whitelistFromRow(r, c));
    },
  };
}
