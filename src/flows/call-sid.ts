/**
 * CallSids: 16 characters a customer can read out over the phone as a reference, time-ordered
 * and unique.
 *
 * The alphabet is Crockford's Base32 (digits and capitals without I, L, O and U), so no two
 * characters look or sound alike and none spells a word by accident. The first 10 characters
 * are the epoch milliseconds (50 bits, until the year 37,648), the last 6 are 30 random bits.
 * The alphabet is in ASCII order, so sids sort as they were made. Within one process a sid made
 * in the same millisecond as the previous one takes the previous random part plus one, so they
 * stay in order and never repeat; across processes 30 random bits per millisecond make a clash
 * a one-in-a-billion event, and the calls table's primary key refuses it.
 *
 * Sids of calls made before this format (32 lowercase hex characters) stay valid everywhere a
 * sid is looked up: nothing parses a sid, it is only compared.
 */

import { randomInt } from 'node:crypto';
import { CALL_SID_ALPHABET, CALL_SID_LENGTH } from '../sms/variables.ts';

const TIME_CHARS = 10;
const RANDOM_CHARS = CALL_SID_LENGTH - TIME_CHARS;
const RANDOM_LIMIT = 32 ** RANDOM_CHARS;

function base32(value: number, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    out = CALL_SID_ALPHABET[value % 32]! + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * A CallSid maker with its own memory of the last sid; `random(n)` draws an integer below n.
 * The process shares one (newCallSid); tests make their own.
 */
export function callSidMaker(
  random: (below: number) => number = randomInt,
): (ms?: number) => string {
  let lastMs = -1;
  let lastRandom = 0;
  return (ms = Date.now()) => {
    let time = Math.max(0, Math.trunc(ms));
    let next: number;
    if (time <= lastMs) {
      // Same millisecond (or a clock that stepped back): the next sid after the last one.
      time = lastMs;
      next = lastRandom + 1;
      if (next >= RANDOM_LIMIT) {
        time += 1;
        next = 0;
      }
    } else {
      // Half the range, so that many sids in one millisecond still count up without carrying.
      next = random(RANDOM_LIMIT / 2);
    }
    lastMs = time;
    lastRandom = next;
    return base32(time, TIME_CHARS) + base32(next, RANDOM_CHARS);
  };
}

/** A new CallSid for `ms` (epoch milliseconds; the wall clock by default). */
export const newCallSid: (ms?: number) => string = callSidMaker();
