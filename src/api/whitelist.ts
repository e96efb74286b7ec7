/**
 * The canonical form of a whitelist value, so adding and removing the same URL or callback number
 * written two ways finds one entry. The DLT matcher (src/dlt/variables.ts) compares URLs by host
 * and path prefix and callback numbers by national digits, so this only tidies the spelling.
 */

import { CallflowError } from '../errors.ts';

const CALLBACK_NUMBER = /^\+?\d{3,15}$/;

export function normalizeWhitelistValue(kind: 'url' | 'cbn', value: string): string {
  const trimmed = value.trim();
  if (kind === 'cbn') {
    const compact = trimmed.replace(/[\s-]/g, '');
    if (!CALLBACK_NUMBER.test(compact)) {
      throw new CallflowError('INVALID_NUMBER', `${value} is not a callback number.`, {
        field: 'value',
      });
    }
    return compact;
  }
  if (trimmed === '' || /\s/.test(trimmed)) {
    throw new CallflowError('VALIDATION_FAILED', 'A whitelisted URL has no spaces.', {
      field: 'value',
    });
  }
  return trimmed;
}
