/** Accounts, API keys and the balance ledger, written once for both dialects (port.ts). */

import { CallflowError } from '../../errors.ts';
import { accountFromRow, apiKeyFromRow, ledgerFromRow } from '../rows.ts';
import type { AccountsRepo, LedgerEntry } from '../types.ts';
import { get, type SqlPort, type Steps } from './port.ts';

/** One ledger row; the outboxes write it in their own transactions with `ledgerParams`. */
export const INSERT_LEDGER = `INSERT INTO ledger (account_sid, message_sid, kind, amount_paise, balance_after_paise, at, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`;

export const ledgerParams = (e: Omit<LedgerEntry, 'id' | 'at'>, at: unknown): unknown[] => [
  e.accountSid,
  e.messageSid,
  e.kind,
  e.amountPaise,
  e.balanceAfterPaise,
  at,
  e.note,
];

export function sqlAccounts(port: SqlPort): AccountsRepo {
  const c = port.codec;

  /** A CONFLICT for a unique violation; anything else unchanged. */
  const conflictOr = (error: unknown, message: string): unknown =>
    port.isUniqueViolation(error) ? new CallflowError('CONFLICT', message) : error;

  function* topupSteps(sid: string, amountPaise: number, note: string | null): Steps<LedgerEntry> {
    const row = yield* get(
      `UPDATE accounts SET balance_paise = balance_paise + $1
       WHERE sid = $2 AND balance_paise + $1 >= 0 RETURNING balance_paise`,
      [amountPaise, sid],
    );
    if (!row) {
      if (!(yield* get('SELECT 1 FROM accounts WHERE sid = $1', [sid]))) {
        throw new CallflowError('NOT_FOUND', `No account ${sid}.`);
      }
      throw new CallflowError('INSUFFICIENT_BALANCE', 'The balance cannot go below zero.');
    }
    const entry = {
      accountSid: sid,
      messageSid: null,
      kind: 'topup' as const,
      amountPaise,
      balanceAfterPaise: Number(row.balance_paise),
      note,
    };
    return ledgerFromRow((yield* get(INSERT_LEDGER, ledgerParams(entry, port.now())))!, c);
  }

  return {
    async create(input) {
      try {
        const row = await port.get(
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
            port.now(),
          ],
        );
        return accountFromRow(row!, c);
      } catch (error) {
        throw conflictOr(error, `Account ${input.sid} already exists.`);
      }
    },

    async get(sid) {
      const row = await port.get('SELECT * FROM accounts WHERE sid = $1', [sid]);
      return row && accountFromRow(row, c);
    },

    async list() {
      const rows = await port.all('SELECT * FROM accounts ORDER BY created_at, sid');
      return rows.map((r) => accountFromRow(r, c));
    },

    async update(sid, patch) {
      const row = await port.get(
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
      return port.tx(() => topupSteps(sid, amountPaise, note));
    },

    async ledger(sid, limit) {
      const rows = await port.all(
        'SELECT * FROM ledger WHERE account_sid = $1 ORDER BY id DESC LIMIT $2',
        [sid, limit],
      );
      return rows.map((r) => ledgerFromRow(r, c));
    },

    async createApiKey(input) {
      try {
        const row = await port.get(
          `INSERT INTO api_keys (id, account_sid, key, token_hash, label, created_at)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [input.id, input.accountSid, input.key, input.tokenHash, input.label, port.now()],
        );
        return apiKeyFromRow(row!, c);
      } catch (error) {
        throw conflictOr(error, 'An API key with this id or key already exists.');
      }
    },

    async findApiKey(key) {
      const row = await port.get('SELECT * FROM api_keys WHERE key = $1 AND revoked_at IS NULL', [
        key,
      ]);
      return row && apiKeyFromRow(row, c);
    },

    async listApiKeys(accountSid) {
      const rows = await port.all(
        'SELECT * FROM api_keys WHERE account_sid = $1 ORDER BY created_at, id',
        [accountSid],
      );
      return rows.map((r) => apiKeyFromRow(r, c));
    },

    async revokeApiKey(accountSid, id) {
      const changed = await port.run(
        `UPDATE api_keys SET revoked_at = $1
         WHERE account_sid = $2 AND id = $3 AND revoked_at IS NULL`,
        [port.now(), accountSid, id],
      );
      return changed > 0;
    },
  };
}
