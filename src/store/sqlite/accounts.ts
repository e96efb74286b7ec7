/** Accounts, API keys and the balance ledger on SQLite. */

import { CallflowError } from '../../errors.ts';
import { accountFromRow, apiKeyFromRow, sqliteCodec as c, ledgerFromRow } from '../rows.ts';
import type { AccountsRepo, LedgerEntry } from '../types.ts';
import { conflictOr, type SqliteDb } from './db.ts';

/** Writes one ledger row in the caller's transaction. */
export function writeLedger(
  db: SqliteDb,
  e: Omit<LedgerEntry, 'id' | 'at'>,
  at: number,
): LedgerEntry {
  const row = db.get(
    `INSERT INTO ledger (account_sid, message_sid, kind, amount_paise, balance_after_paise, at, note)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    e.accountSid,
    e.messageSid,
    e.kind,
    e.amountPaise,
    e.balanceAfterPaise,
    at,
    e.note,
  )!;
  return ledgerFromRow(row, c);
}

export function sqliteAccounts(db: SqliteDb): AccountsRepo {
  return {
    async create(input) {
      try {
        const row = db.get(
          `INSERT INTO accounts (sid, name, time_zone, balance_paise, rate_transactional, rate_service,
             rate_promotional, webhook_secret, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
          input.sid,
          input.name,
          input.timeZone ?? 'Asia/Kolkata',
          input.balancePaise,
          input.rates.transactional,
          input.rates.service,
          input.rates.promotional,
          input.webhookSecret,
          db.now(),
        )!;
        return accountFromRow(row, c);
      } catch (error) {
        throw conflictOr(error, `Account ${input.sid} already exists.`);
      }
    },

    async get(sid) {
      const row = db.get('SELECT * FROM accounts WHERE sid = ?', sid);
      return row && accountFromRow(row, c);
    },

    async list() {
      return db
        .all('SELECT * FROM accounts ORDER BY created_at, sid')
        .map((r) => accountFromRow(r, c));
    },

    async update(sid, patch) {
      const row = db.get(
        `UPDATE accounts SET name = coalesce(?, name), time_zone = coalesce(?, time_zone),
           rate_transactional = coalesce(?, rate_transactional), rate_service = coalesce(?, rate_service),
           rate_promotional = coalesce(?, rate_promotional), webhook_secret = coalesce(?, webhook_secret),
           voice = coalesce(?, voice)
         WHERE sid = ? RETURNING *`,
        patch.name ?? null,
        patch.timeZone ?? null,
        patch.rates?.transactional ?? null,
        patch.rates?.service ?? null,
        patch.rates?.promotional ?? null,
        patch.webhookSecret ?? null,
        patch.voice ?? null,
        sid,
      );
      return row && accountFromRow(row, c);
    },

    async topup(sid, amountPaise, note) {
      if (!Number.isSafeInteger(amountPaise)) {
        throw new CallflowError('VALIDATION_FAILED', 'A top-up is a whole number of paise.');
      }
      return db.tx(() => {
        const row = db.get(
          `UPDATE accounts SET balance_paise = balance_paise + ?
           WHERE sid = ? AND balance_paise + ? >= 0 RETURNING balance_paise`,
          amountPaise,
          sid,
          amountPaise,
        );
        if (!row) {
          if (!db.get('SELECT 1 FROM accounts WHERE sid = ?', sid)) {
            throw new CallflowError('NOT_FOUND', `No account ${sid}.`);
          }
          throw new CallflowError('INSUFFICIENT_BALANCE', 'The balance cannot go below zero.');
        }
        return writeLedger(
          db,
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
      return db
        .all('SELECT * FROM ledger WHERE account_sid = ? ORDER BY id DESC LIMIT ?', sid, limit)
        .map((r) => ledgerFromRow(r, c));
    },

    async createApiKey(input) {
      try {
        const row = db.get(
          `INSERT INTO api_keys (id, account_sid, key, token_hash, label, created_at)
           VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
          input.id,
          input.accountSid,
          input.key,
          input.tokenHash,
          input.label,
          db.now(),
        )!;
        return apiKeyFromRow(row, c);
      } catch (error) {
        throw conflictOr(error, 'An API key with this id or key already exists.');
      }
    },

    async findApiKey(key) {
      const row = db.get('SELECT * FROM api_keys WHERE key = ? AND revoked_at IS NULL', key);
      return row && apiKeyFromRow(row, c);
    },

    async listApiKeys(accountSid) {
      return db
        .all('SELECT * FROM api_keys WHERE account_sid = ? ORDER BY created_at, id', accountSid)
        .map((r) => apiKeyFromRow(r, c));
    },

    async revokeApiKey(accountSid, id) {
      return (
        db.run(
          'UPDATE api_keys SET revoked_at = ? WHERE account_sid = ? AND id = ? AND revoked_at IS NULL',
          db.now(),
          accountSid,
          id,
        ) > 0
      );
    },
  };
}
