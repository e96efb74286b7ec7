/**
 * Cursors for message lists. Lists are ordered by (createdAt desc, sid desc), a total order, so
 * the cursor is the last row's pair and the next page is everything strictly after it: rows
 * inserted meanwhile never shift a page.
 */

import { CallflowError } from '../errors.ts';

export function encodeCursor(createdAt: Date, sid: string): string {
  return Buffer.from(`${createdAt.getTime()}.${sid}`).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAtMs: number; sid: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,15})\.([0-9a-zA-Z_-]{1,64})$/.exec(text);
  if (!match)
    throw new CallflowError('VALIDATION_FAILED', 'The cursor is not one this API returned.');
  return { createdAtMs: Number(match[1]), sid: match[2]! };
}
