/** DND (NCPR) preferences and consent records on PostgreSQL. */

import {
  ALL_TEMPLATES,
  pgCodec as c,
  consentFromRow,
  dndFromRow,
  normalizePreferences,
} from '../rows.ts';
import type { DndRepo } from '../types.ts';
import type { PgDb } from './db.ts';

/** Rows per statement in a bulk upsert (a DND list may have millions of numbers). */
const CHUNK = 5000;

export function pgDnd(db: PgDb): Omit<DndRepo, 'importMany' | 'importConsents'> {
  return {
    async upsert(accountSid, number, preferences) {
      const row = await db.get(
        `INSERT INTO dnd (account_sid, number, preferences, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
           updated_at = excluded.updated_at
         RETURNING *`,
        [accountSid, number, JSON.stringify(normalizePreferences(preferences)), db.now()],
      );
      return dndFromRow(row!, c);
    },

    async upsertMany(accountSid, rows) {
      // Last row wins for a number listed twice, as with one upsert after another.
      const byNumber = new Map(
        rows.map((r) => [r.number, JSON.stringify(normalizePreferences(r.preferences))]),
      );
      const numbers = [...byNumber.keys()];
      const now = db.now();
      await db.tx(async (q) => {
        for (let i = 0; i < numbers.length; i += CHUNK) {
          const chunk = numbers.slice(i, i + CHUNK);
          await q.run(
            `INSERT INTO dnd (account_sid, number, preferences, updated_at)
             SELECT $1, n, p::jsonb, $4 FROM unnest($2::text[], $3::text[]) AS u (n, p)
             ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
               updated_at = excluded.updated_at`,
            [accountSid, chunk, chunk.map((n) => byNumber.get(n)), now],
          );
        }
      });
      return rows.length;
    },

    async get(accountSid, number) {
      const row = await db.get('SELECT * FROM dnd WHERE account_sid = $1 AND number = $2', [
        accountSid,
        number,
      ]);
      return row && dndFromRow(row, c);
    },

    async remove(accountSid, number) {
      const changed = await db.run('DELETE FROM dnd WHERE account_sid = $1 AND number = $2', [
        accountSid,
        number,
      ]);
      return changed > 0;
    },

    async count(accountSid) {
      const row = await db.get('SELECT count(*) AS n FROM dnd WHERE account_sid = $1', [
        accountSid,
      ]);
      return Number(row!.n);
    },

    async addConsent(consent) {
      const row = await db.get(
        `INSERT INTO consents (account_sid, number, entity_id, template_id, granted_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)
         ON CONFLICT (account_sid, number, entity_id, template_id) DO UPDATE SET
           granted_at = excluded.granted_at, expires_at = excluded.expires_at, revoked_at = NULL
         RETURNING *`,
        [
          consent.accountSid,
          consent.number,
          consent.entityId,
          consent.templateId ?? ALL_TEMPLATES,
          consent.grantedAt,
          consent.expiresAt,
        ],
      );
      return consentFromRow(row!, c);
    },

    async revokeConsent(accountSid, number, entityId, templateId) {
      const changed = await db.run(
        `UPDATE consents SET revoked_at = $1 WHERE account_sid = $2 AND number = $3
           AND entity_id = $4 AND template_id = $5 AND revoked_at IS NULL`,
        [db.now(), accountSid, number, entityId, templateId ?? ALL_TEMPLATES],
      );
      return changed > 0;
    },

    async findConsent(accountSid, number, entityId, templateId, at) {
      // A consent to this template is preferred to one for all of the entity's templates.
      const row = await db.get(
        `SELECT * FROM consents WHERE account_sid = $1 AND number = $2 AND entity_id = $3
           AND template_id IN ($4, '') AND revoked_at IS NULL AND granted_at <= $5
           AND (expires_at IS NULL OR expires_at > $5)
         ORDER BY template_id DESC LIMIT 1`,
        [accountSid, number, entityId, templateId, at],
      );
      return row && consentFromRow(row, c);
    },
  };
}
