/** Streamed imports on PostgreSQL: DND and consent files of any size. */

import { ALL_TEMPLATES, normalizePreferences } from '../rows.ts';
import type { DndRepo } from '../types.ts';
import type { PgDb } from './db.ts';

const UPSERT = `INSERT INTO dnd (account_sid, number, preferences, updated_at)
  SELECT $1, n, p::jsonb, $4 FROM unnest($2::text[], $3::text[]) AS u (n, p)
  ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
    updated_at = excluded.updated_at`;

export function pgDndImport(db: PgDb): Pick<DndRepo, 'importMany'> {
  return {
    async importMany(accountSid, batches) {
      const now = db.now();
      // One transaction on its own connection for the whole stream: the rows appear together at
      // COMMIT, and a failure anywhere (a bad row found late, a broken upload) rolls back.
      return db.tx(async (q) => {
        let rows = 0;
        for await (const batch of batches) {
          // One statement cannot upsert a number twice: the last row of the batch wins.
          const byNumber = new Map(
            batch.map((r) => [r.number, JSON.stringify(normalizePreferences(r.preferences))]),
          );
          if (byNumber.size > 0) {
            await q.run(UPSERT, [accountSid, [...byNumber.keys()], [...byNumber.values()], now]);
          }
          rows += batch.length;
        }
        return rows;
      });
    },
  };
}

const CONSENTS = `INSERT INTO consents
    (account_sid, number, entity_id, template_id, granted_at, expires_at, revoked_at)
  SELECT $1, n, e, t, g, x, NULL
  FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[]) AS u (n, e, t, g, x)
  ON CONFLICT (account_sid, number, entity_id, template_id) DO UPDATE SET
    granted_at = excluded.granted_at, expires_at = excluded.expires_at, revoked_at = NULL`;

export function pgConsentImport(db: PgDb): Pick<DndRepo, 'importConsents'> {
  return {
    async importConsents(accountSid, batches) {
      return db.tx(async (q) => {
        let rows = 0;
        for await (const batch of batches) {
          // One statement cannot upsert a key twice: the last row of the batch wins.
          const byKey = new Map(
            batch.map((c) => [`${c.number}\n${c.entityId}\n${c.templateId ?? ALL_TEMPLATES}`, c]),
          );
          const list = [...byKey.values()];
          if (list.length > 0) {
            await q.run(CONSENTS, [
              accountSid,
              list.map((c) => c.number),
              list.map((c) => c.entityId),
              list.map((c) => c.templateId ?? ALL_TEMPLATES),
              list.map((c) => c.grantedAt),
              list.map((c) => c.expiresAt),
            ]);
          }
          rows += batch.length;
        }
        return rows;
      });
    },
  };
}
