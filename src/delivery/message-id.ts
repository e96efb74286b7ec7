/**
 * Message IDs (SmsSid): 32 lowercase hex digits, as before, but time-ordered: 12 hex digits of
 * the epoch milliseconds, then 80 random bits.
 *
 * Why: `messages.sid` is the primary key. Fully random IDs land all over its B-tree, so each
 * insert dirties a different leaf page and every group commit writes many pages; IDs that grow
 * with time append to the right edge of the index, so a commit of many messages touches a few
 * pages. 80 random bits per millisecond keep IDs unguessable and collisions out of reach.
 * Random bytes come from a pooled buffer refilled 4 KiB at a time instead of one
 * crypto.randomBytes call (and Buffer) per ID.
 */

import { randomFillSync } from 'node:crypto';

const RANDOM_BYTES = 10;
const pool = Buffer.allocUnsafe(4096 - (4096 % RANDOM_BYTES));
let offset = pool.length;

/** A new message ID for `ms` (epoch milliseconds; the wall clock by default). */
export function newMessageSid(ms: number = Date.now()): string {
  if (offset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.toString('hex', offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  // 48 bits hold milliseconds until the year 10889; a clock before 1970 counts as 0.
  const time = Math.max(0, Math.min(Math.trunc(ms), 0xffff_ffff_ffff));
  return time.toString(16).padStart(12, '0') + random;
}
