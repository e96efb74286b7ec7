/** Accounts, API keys and the balance ledger on PostgreSQL. */

import { CallflowError } from '../../errors.ts';
import { accountFromRow, apiKeyFromRow, pgCodec as c, ledgerFromRow } from '../rows.ts';
import type { AccountsRepo, LedgerEntry } from '../types.ts';
import { isUniqueViolation, type PgDb, type Queryable } from './db.ts';

/** Writes one ledger row in the caller's transaction. */
export async function writeLedger(
  q: Queryable,
  e: Omit<LedgerEntry, 'id' | 'at'>,
  at: Date,
): Promise<LedgerEntry> {
  const row = await q.get(
    `INSERT INTO ledger (account_sid, message_sid, kind, amount_paise, balance_after_paise, at, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [e.accountSid, e.messageSid, e.kind, e.amountPaise, e.balanceAfterPaise, at, e.note],
  );
  return ledgerFromRow(row!, c);
}

export function pgAccounts(db: PgDb): AccountsRepo {
  return {
    async create(input) {
      try {
        const row = await db.get(
          `INSERT INTO accounts (sid, name, time_zone, balance_paise, rate_transactional, rate_service,
             rate_promotional, webhook_secret, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
          [
            input.sid,
            input.name,
            input.timeZone ?? 'Asia/Kolkata',
            input.balancePaise,
            input.rates.transactional,
            input.rates.service,
            input.rates.promotional,
            input.webhookSecret,
            db.now(),
          ],
        );
        return accountFromRow(row!, c);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new CallflowError('CONFLICT', `Account ${input.sid} already exists.`);
        }
        throw error;
      }
    },

    async get(sid) {
      const row = await db.get('SELECT * FROM accounts WHERE sid = $1', [sid]);
      return row && accountFromRow(row, c);
    },

    async list() {
      return (await db.all('SELECT * FROM accounts ORDER BY created_at, sid')).map((r) =>
        accountFromRow(r, c),
      );
    },

    async update(sid, patch) {
      const row = await db.get(
        `UPDATE accounts SET name = coalesce($1, name), time_zone = coalesce($2, time_zone),
           rate_transactional = coalesce($3, rate_transactional),
           rate_service = coalesce($4, rate_service),
           rate_promotional = coalesce($5, rate_promotional),
           webhook_secret = coalesce($6, webhook_secret),
           voice = coalesce($7, voice)
         WHERE sid = $8 RETURNING *`,
        [
          patch.name ?? null,
          patch.timeZone ?? null,
          patch.rates?.transactional ?? null,
          patch.rates?.service ?? null,
          patch.rates?.promotional ?? null,
          patch.webhookSecret ?? null,
          patch.voice ?? null,
          sid,
        ],
      );
      return row && accountFromRow(row, c);
    },

    async topup(sid, amountPaise, note) {
      if (!Number.isSafeInteger(amountPaise)) {
        throw new CallflowError('VALIDATION_FAILED', 'A top-up is a whole number of paise.');
      }
      return db.tx(async (q) => {
        const row = await q.get(
          `UPDATE accounts SET balance_paise = balance_paise + $1
           WHERE sid = $2 AND balance_paise + $1 >= 0 RETURNING balance_paise`,
          [amountPaise, sid],
        );
        if (!row) {
          if (!(await q.get('SELECT 1 FROM accounts WHERE sid = $1', [sid]))) {
            throw new CallflowError('NOT_FOUND', `No account ${sid}.`);
          }
          throw new CallflowError('INSUFFICIENT_BALANCE', 'The balance cannot go below zero.');
        }
        return writeLedger(
          q,
          {
            accountSid: sid,
            messageSid: null,
            kind: 'topup',
            amountPaise,
            balanceAfterPaise: Number(row.balance_paise),
            note,
          },
          db.now(),
        );
      });
    },

    async ledger(sid, limit) {
      const rows = await db.all(
        'SELECT * FROM ledger WHERE account_sid = $1 ORDER BY id DESC LIMIT $2',
        [sid, limit],
      );
      return rows.map((r) => ledgerFromRow(r, c));
    },

    async createApiKey(input) {
      try {
        const row = await db.get(
          `INSERT INTO api_keys (id, account_sid, key, token_hash, label, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [input.id, input.accountSid, input.key, input.tokenHash, input.label, db.now()],
        );
        return apiKeyFromRow(row!, c);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new CallflowError('CONFLICT', 'An API key with this id or key already exists.');
        }
        throw error;
      }
    },

    async findApiKey(key) {
      const row = await db.get('SELECT * FROM api_keys WHERE key = $1 AND revoked_at IS NULL', [
        key,
      ]);
      return row && apiKeyFromRow(row, c);
    },

    async listApiKeys(accountSid) {
      const rows = await db.all(
        'SELECT * FROM api_keys WHERE account_sid = $1 ORDER BY created_at, id',
        [accountSid],
      );
      return rows.map((r) => apiKeyFromRow(r, c));
    },

    async revokeApiKey(accountSid, id) {
      const changed = await db.run(
        `UPDATE api_keys SET revoked_at = $1
         WHERE account_sid = $2 AND id = $3 AND revoked_at IS NULL`,
        [db.now(), accountSid, id],
      );
      return changed > 0;
    },
  };
}
