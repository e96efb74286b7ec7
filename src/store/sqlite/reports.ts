/** Streamed imports on SQLite: DND and consent files of any size. */

import { ALL_TEMPLATES, normalizePreferences } from '../rows.ts';
import type { DndRepo } from '../types.ts';
import type { SqliteDb } from './db.ts';

// Staging lives in the connection's TEMP schema: the shared connection cannot hold a transaction
// open across the awaits of a stream (everything else in the process would join it), so batches
// are staged as they come and merged into `dnd` in one short transaction at the end.
const STAGING = `CREATE TEMP TABLE IF NOT EXISTS dnd_import (
  import_id INTEGER NOT NULL, number TEXT NOT NULL, preferences TEXT NOT NULL,
  PRIMARY KEY (import_id, number)) WITHOUT ROWID`;
const STAGE = `INSERT INTO temp.dnd_import (import_id, number, preferences) VALUES (?, ?, ?)
  ON CONFLICT (import_id, number) DO UPDATE SET preferences = excluded.preferences`;
const MERGE = `INSERT INTO dnd (account_sid, number, preferences, updated_at)
  SELECT ?, number, preferences, ? FROM temp.dnd_import WHERE import_id = ?
  ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
    updated_at = excluded.updated_at`;
const DISCARD = 'DELETE FROM temp.dnd_import WHERE import_id = ?';

let nextImport = 0;

export function sqliteDndImport(db: SqliteDb): Pick<DndRepo, 'importMany'> {
  return {
    async importMany(accountSid, batches) {
      db.exec(STAGING);
      const id = ++nextImport;
      let rows = 0;
      try {
        for await (const batch of batches) {
          const staged = batch.map((r) => [
            r.number,
            JSON.stringify(normalizePreferences(r.preferences)),
          ]);
          db.tx(() => {
            for (const [number, prefs] of staged) db.run(STAGE, id, number!, prefs!);
          });
          rows += batch.length;
        }
        const now = db.now();
        db.tx(() => {
          db.run(MERGE, accountSid, now, id);
        });
        return rows;
      } finally {
        db.run(DISCARD, id);
      }
    },
  };
}

const CONSENT_STAGING = `CREATE TEMP TABLE IF NOT EXISTS consent_import (
  import_id INTEGER NOT NULL, number TEXT NOT NULL, entity_id TEXT NOT NULL, template_id TEXT NOT NULL,
  granted_at INTEGER NOT NULL, expires_at INTEGER,
  PRIMARY KEY (import_id, number, entity_id, template_id)) WITHOUT ROWID`;
const CONSENT_STAGE = `INSERT INTO temp.consent_import
  (import_id, number, entity_id, template_id, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (import_id, number, entity_id, template_id) DO UPDATE SET
    granted_at = excluded.granted_at, expires_at = excluded.expires_at`;
const CONSENT_MERGE = `INSERT INTO consents
  (account_sid, number, entity_id, template_id, granted_at, expires_at, revoked_at)
  SELECT ?, number, entity_id, template_id, granted_at, expires_at, NULL
  FROM temp.consent_import WHERE import_id = ?
  ON CONFLICT (account_sid, number, entity_id, template_id) DO UPDATE SET
    granted_at = excluded.granted_at, expires_at = excluded.expires_at, revoked_at = NULL`;
const CONSENT_DISCARD = 'DELETE FROM temp.consent_import WHERE import_id = ?';

export function sqliteConsentImport(db: SqliteDb): Pick<DndRepo, 'importConsents'> {
  return {
    async importConsents(accountSid, batches) {
      db.exec(CONSENT_STAGING);
      const id = ++nextImport;
      let rows = 0;
      try {
        for await (const batch of batches) {
          db.tx(() => {
            for (const c of batch) {
              db.run(
                CONSENT_STAGE,
                id,
                c.number,
                c.entityId,
                c.templateId ?? ALL_TEMPLATES,
                c.grantedAt.getTime(),
                c.expiresAt?.getTime() ?? null,
              );
            }
          });
          rows += batch.length;
        }
        db.tx(() => {
          db.run(CONSENT_MERGE, accountSid, id);
        });
        return rows;
      } finally {
        db.run(CONSENT_DISCARD, id);
      }
    },
  };
}
