/**
 * DND (NCPR) preferences and consent records, written once for both dialects (port.ts). A bulk
 * upsert of a whole DND list is the one part each dialect writes its own way (PostgreSQL sends
 * thousands of rows per statement); without one, the rows go one by one in a transaction.
 */

import { ALL_TEMPLATES, consentFromRow, dndFromRow, normalizePreferences } from '../rows.ts';
import type { DndRepo } from '../types.ts';
import { get, type SqlPort, type Steps } from './port.ts';

export const UPSERT_DND = `INSERT INTO dnd (account_sid, number, preferences, updated_at)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (account_sid, number) DO UPDATE SET preferences = excluded.preferences,
    updated_at = excluded.updated_at
  RETURNING *`;

type BaseDndRepo = Omit<DndRepo, 'importMany' | 'importConsents'>;

export function sqlDnd(
  port: SqlPort,
  own: Partial<Pick<BaseDndRepo, 'upsertMany'>> = {},
): BaseDndRepo {
  const c = port.codec;
  const prefsOf = (preferences: readonly number[]) => port.json(normalizePreferences(preferences));

  function* upsertEach(
    accountSid: string,
    rows: readonly { number: string; preferences: readonly number[] }[],
    now: unknown,
  ): Steps<number> {
    for (const r of rows)
      yield* get(UPSERT_DND, [accountSid, r.number, prefsOf(r.preferences), now]);
    return rows.length;
  }

  return {
    async upsert(accountSid, number, preferences) {
      const row = await port.get(UPSERT_DND, [
        accountSid,
        number,
        prefsOf(preferences),
        port.now(),
      ]);
      return dndFromRow(row!, c);
    },

    upsertMany:
      own.upsertMany ??
      ((accountSid, rows) => {
        const now = port.now();
        return port.tx(() => upsertEach(accountSid, rows, now));
      }),

    async get(accountSid, number) {
      const row = await port.get('SELECT * FROM dnd WHERE account_sid = $1 AND number = $2', [
        accountSid,
        number,
      ]);
      return row && dndFromRow(row, c);
    },

    async remove(accountSid, number) {
      const changed = await port.run('DELETE FROM dnd WHERE account_sid = $1 AND number = $2', [
        accountSid,
        number,
      ]);
      return changed > 0;
    },

    async count(accountSid) {
      const row = await port.get('SELECT count(*) AS n FROM dnd WHERE account_sid = $1', [
        accountSid,
      ]);
      return Number(row!.n);
    },

    async addConsent(consent) {
      const row = await port.get(
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
          port.time(consent.grantedAt),
          consent.expiresAt ? port.time(consent.expiresAt) : null,
        ],
      );
      return consentFromRow(row!, c);
    },

    async revokeConsent(accountSid, number, entityId, templateId) {
      const changed = await port.run(
        `UPDATE consents SET revoked_at = $1 WHERE account_sid = $2 AND number = $3
           AND entity_id = $4 AND template_id = $5 AND revoked_at IS NULL`,
        [port.now(), accountSid, number, entityId, templateId ?? ALL_TEMPLATES],
      );
      return changed > 0;
    },

    async findConsent(accountSid, number, entityId, templateId, at) {
      // A consent to this template is preferred to one for all of the entity's templates.
      const row = await port.get(
        `SELECT * FROM consents WHERE account_sid = $1 AND number = $2 AND entity_id = $3
           AND template_id IN ($4, '') AND revoked_at IS NULL AND granted_at <= $5
           AND (expires_at IS NULL OR expires_at > $5)
         ORDER BY template_id DESC LIMIT 1`,
        [accountSid, number, entityId, templateId, port.time(at)],
      );
      return row && consentFromRow(row, c);
    },
  };
}
