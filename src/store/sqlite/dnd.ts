/** DND (NCPR) preferences and consent records on SQLite. */

import {
  ALL_TEMPLATES,
  sqliteCodec as c,
  consentFromRow,
  dndFromRow,
  normalizePreferences,
} from '../rows.ts';
import type { DndRepo } from '../types.ts';
import type { SqliteDb } from './db.ts';

const UPSERT = `INSERT INTO dnd (account_sid, number, preferences, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
    updated_at = excluded.updated_at
  RETURNING *`;

export function sqliteDnd(db: SqliteDb): Omit<DndRepo, 'importMany' | 'importConsents'> {
  return {
    async upsert(accountSid, number, preferences) {
      const prefs = JSON.stringify(normalizePreferences(preferences));
      return dndFromRow(db.get(UPSERT, accountSid, number, prefs, db.now())!, c);
    },

    async upsertMany(accountSid, rows) {
      const normalized = rows.map((r) => [
        r.number,
        JSON.stringify(normalizePreferences(r.preferences)),
      ]);
      const now = db.now();
      return db.tx(() => {
        for (const [number, prefs] of normalized) db.get(UPSERT, accountSid, number!, prefs!, now);
        return normalized.length;
      });
    },

    async get(accountSid, number) {
      const row = db.get(
        'SELECT * FROM dnd WHERE account_sid = ? AND number = ?',
        accountSid,
        number,
      );
      return row && dndFromRow(row, c);
    },

    async remove(accountSid, number) {
      return db.run('DELETE FROM dnd WHERE account_sid = ? AND number = ?', accountSid, number) > 0;
    },

    async count(accountSid) {
      return Number(db.get('SELECT count(*) AS n FROM dnd WHERE account_sid = ?', accountSid)!.n);
    },

    async addConsent(consent) {
      const row = db.get(
        `INSERT INTO consents (account_sid, number, entity_id, template_id, granted_at, expires_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)
         ON CONFLICT (account_sid, number, entity_id, template_id) DO UPDATE SET
           granted_at = excluded.granted_at, expires_at = excluded.expires_at, revoked_at = NULL
         RETURNING *`,
        consent.accountSid,
        consent.number,
        consent.entityId,
        consent.templateId ?? ALL_TEMPLATES,
        consent.grantedAt.getTime(),
        consent.expiresAt?.getTime() ?? null,
      )!;
      return consentFromRow(row, c);
    },

    async revokeConsent(accountSid, number, entityId, templateId) {
      return (
        db.run(
          `UPDATE consents SET revoked_at = ? WHERE account_sid = ? AND number = ? AND entity_id = ?
             AND template_id = ? AND revoked_at IS NULL`,
          db.now(),
          accountSid,
          number,
          entityId,
          templateId ?? ALL_TEMPLATES,
        ) > 0
      );
    },

    async findConsent(accountSid, number, entityId, templateId, at) {
      // A consent to this template is preferred to one for all of the entity's templates.
      const row = db.get(
        `SELECT * FROM consents WHERE account_sid = ? AND number = ? AND entity_id = ?
           AND template_id IN (?, '') AND revoked_at IS NULL AND granted_at <= ?
           AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY template_id DESC LIMIT 1`,
        accountSid,
        number,
        entityId,
        templateId,
        at.getTime(),
        at.getTime(),
      );
      return row && consentFromRow(row, c);
    },
  };
}
