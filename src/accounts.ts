/**
 * Creating accounts, issuing their API credentials and topping them up: what the `callflow
 * accounts` command, the account API and the demo seed share. An account starts with one API key;
 * a key's token is returned only when it is issued (the store keeps its hash).
 */

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { CallflowError } from './errors.ts';
import { paiseToRupees, parsePaise } from './money.ts';
import type { Account, ApiKey, Rates, Store } from './store/types.ts';

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

/** sha256 hex: enough for tokens of 32 random bytes, which no dictionary can reach. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares a token with a stored hash in constant time. */
export function tokenMatches(token: string, tokenHash: string): boolean {
  const expected = Buffer.from(tokenHash, 'hex');
  const actual = createHash('sha256').update(token, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A new key (public, 32 hex characters) and token (secret, 32 random bytes as 64 hex characters). */
export function generateApiCredentials(): { key: string; token: string; tokenHash: string } {
  const key = randomBytes(16).toString('hex');
  // Hex, not base64url: a token that began with '-' (one in 64 did) reads as an option on a
  // command line (`callflow call --token -x…` is refused as ambiguous).
  const token = randomBytes(32).toString('hex');
  return { key, token, tokenHash: hashToken(token) };
}

/** Creates and stores an API key for an account; the token is returned only here. */
export async function issueApiKey(
  store: Store,
  accountSid: string,
  label: string,
): Promise<{ apiKey: ApiKey; token: string }> {
  const { key, token, tokenHash } = generateApiCredentials();
  const apiKey = await store.accounts.createApiKey({
    id: randomUUID(),
    accountSid,
    key,
    tokenHash,
    label,
  });
  return { apiKey, token };
}

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
