/**
 * Creating accounts and topping them up: what the `callflow accounts` command and the demo seed
 * share. An account starts with one API key; its token is returned only here.
 */

import { randomBytes } from 'node:crypto';
import { issueApiKey } from './api/plugins/auth.ts';
import { CallflowError } from './errors.ts';
import { paiseToRupees, parsePaise } from './money.ts';
import type { Account, Rates, Store } from './store/types.ts';

/** Paise per segment, per SMS type, for accounts created without rates. */
export const DEFAULT_RATES: Rates = { transactional: 20, service: 20, promotional: 15 };

/** Rupees (a decimal string or number with at most two places) to integer paise. */
export function rupeesToPaise(rupees: string | number): number {
  const text = String(rupees).trim();
  const paise = parsePaise(text);
  if (paise === null) {
    throw new CallflowError(
      'VALIDATION_FAILED',
      `'${text}' is not an amount in rupees (e.g. 500 or 12.50)`,
    );
  }
  return paise;
}

export { paiseToRupees };

/** An account SID: the name's letters and digits, then 6 random hex characters. */
export function newAccountSid(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  return `${slug || 'account'}${randomBytes(3).toString('hex')}`;
}

export interface CreatedAccount {
  account: Account;
  apiKey: string;
  apiToken: string;
}

export async function createAccount(
  store: Store,
  input: { name: string; balancePaise: number; sid?: string; timeZone?: string; rates?: Rates },
): Promise<CreatedAccount> {
  if (input.name.trim() === '')
    throw new CallflowError('VALIDATION_FAILED', 'an account needs a name');
  if (!Number.isInteger(input.balancePaise) || input.balancePaise < 0) {
    throw new CallflowError('VALIDATION_FAILED', 'the opening balance must be zero or more');
  }
  const account = await store.accounts.create({
    sid: input.sid ?? newAccountSid(input.name),
    name: input.name.trim(),
    timeZone: input.timeZone ?? 'Asia/Kolkata',
    balancePaise: 0,
    rates: input.rates ?? DEFAULT_RATES,
    webhookSecret: randomBytes(32).toString('base64url'),
  });
  if (input.balancePaise > 0)
    await store.accounts.topup(account.sid, input.balancePaise, 'opening balance');
  const { apiKey, token } = await issueApiKey(store, account.sid, 'default');
  const fresh = (await store.accounts.get(account.sid)) ?? account;
  return { account: fresh, apiKey: apiKey.key, apiToken: token };
}
