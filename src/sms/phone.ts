/**
 * Recipient and ExoPhone numbers: parsing to E.164, and whether a number can receive SMS.
 *
 * Uses libphonenumber-js with its `max` metadata, the only one that knows number types
 * (with `min`, getType() is always undefined). The default region is India, so national
 * forms (`9876543210`, `09876543210`) and the country code without `+` (`919876543210`)
 * all parse. Regions are ISO 3166 codes ('IN', 'US'); an unknown one throws RangeError.
 */

import {
  type CountryCode,
  isSupportedCountry,
  type NumberType,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import { CallflowError } from '../errors.ts';

export type RecipientResult =
  | { ok: true; e164: string; type: NumberType; canReceiveSms: boolean }
  | { ok: false; code: 'INVALID_NUMBER' | 'NOT_MOBILE'; message: string; e164?: string };

/** Number types that SMS cannot reach, refused with NOT_MOBILE, and how to name them. */
const NOT_SMS_CAPABLE: ReadonlyMap<NumberType, string> = new Map<NumberType, string>([
  ['FIXED_LINE', 'a fixed-line'],
  ['TOLL_FREE', 'a toll-free'],
  ['SHARED_COST', 'a shared-cost'],
  ['UAN', 'a universal access (UAN)'],
  ['VOICEMAIL', 'a voicemail'],
  ['PREMIUM_RATE', 'a premium-rate'],
  ['PAGER', 'a pager'],
]);

/** Number types known to receive SMS. */
const SMS_CAPABLE: ReadonlySet<NumberType> = new Set<NumberType>([
  'MOBILE',
  'FIXED_LINE_OR_MOBILE',
]);

/** Digits with the usual separators, and at most a leading +: nothing else is a number. */
const PHONE_CHARACTERS = /^\+?[0-9 ().-]+$/;
const MAX_INPUT_LENGTH = 32;

/** The number as libphonenumber-js reads it, valid or not; undefined when it is not a number. */
function read(input: string, region: string) {
  if (!isSupportedCountry(region)) {
    // A configuration error, not a bad recipient: configuration validates the region.
    throw new RangeError(`Unknown default region ${JSON.stringify(region)} for phone numbers`);
  }
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  if (trimmed.length > MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(trimmed)) return undefined;
  return parsePhoneNumberFromString(trimmed, {
    defaultCountry: region as CountryCode,
    extract: false,
  });
}

function parse(input: string, region: string) {
  const number = read(input, region);
  return number?.isValid() ? number : undefined;
}

/** parseRecipient without the cache. */
function parseRecipientUncached(input: string, defaultRegion: string): RecipientResult {
  const number = read(input, defaultRegion);
  // getType() first: a number that has a type is valid (libphonenumber-js's isValid() is
  // "getType() !== undefined" wherever the metadata has types, and a type needs them), so
  // isValid() runs only when there is no type. That saves one of the two type look-ups, the
  // costliest part of a parse.
  const type = number?.getType();
  if (number === undefined || (type === undefined && !number.isValid())) {
    return {
      ok: false,
      code: 'INVALID_NUMBER',
      message: `${JSON.stringify(input)} is not a valid phone number`,
    };
  }
  const e164 = number.number;
  const kind = type === undefined ? undefined : NOT_SMS_CAPABLE.get(type);
  if (kind !== undefined) {
    return {
      ok: false,
      code: 'NOT_MOBILE',
      message: `${e164} is ${kind} number and cannot receive SMS`,
      e164,
    };
  }
  return { ok: true, e164, type, canReceiveSms: SMS_CAPABLE.has(type) };
}

/**
 * Recent parseRecipient results, keyed by region and input. One message's recipient is parsed up
 * to three times (the API pre-check, sendSms, the worker's checks) and libphonenumber-js with
 * `max` metadata was about a tenth of the accept path's CPU, so the later parses are served from
 * here. Bounded (least recently used out first) so that it cannot grow with traffic; results are
 * frozen because callers share them. It holds no clock and does no I/O, so src/sms stays pure:
 * the same input still always gives the same result.
 */
const RECIPIENT_CACHE_MAX = 8192;
const recipientCache = new Map<string, RecipientResult>();

function remember(key: string, result: RecipientResult): void {
  if (recipientCache.size >= RECIPIENT_CACHE_MAX) {
    // Map iterates in insertion order and a hit is re-inserted, so the first key is the least
    // recently used.
    const oldest = recipientCache.keys().next().value;
    if (oldest !== undefined) recipientCache.delete(oldest);
  }
  recipientCache.set(key, result);
}

/**
 * A recipient for an SMS. Valid numbers of the types in NOT_SMS_CAPABLE are refused with
 * NOT_MOBILE; MOBILE and FIXED_LINE_OR_MOBILE pass with `canReceiveSms: true`; valid
 * numbers of another or unknown type (VOIP, PERSONAL_NUMBER, or a country whose metadata
 * has no types) pass with `canReceiveSms: false`, and the carrier decides.
 * The result is frozen (it may be shared with other callers through the cache).
 */
export function parseRecipient(input: string, defaultRegion = 'IN'): RecipientResult {
  // Not cached: a non-string, an input too long to be a number (it must not become a large key),
  // and an unknown region (that throws every time).
  if (
    typeof input !== 'string' ||
    typeof defaultRegion !== 'string' ||
    input.length > MAX_INPUT_LENGTH * 2
  ) {
    return parseRecipientUncached(input, defaultRegion);
  }
  const key = `${defaultRegion}\n${input}`;
  const hit = recipientCache.get(key);
  if (hit !== undefined) {
    recipientCache.delete(key);
    recipientCache.set(key, hit);
    return hit;
  }
  const result = Object.freeze(parseRecipientUncached(input, defaultRegion));
  remember(key, result);
  // The worker parses the stored E.164 form, which parses to this same result whatever the
  // region (a leading + carries the country), so it is remembered under that input too.
  if (result.ok && result.e164 !== input) remember(`${defaultRegion}\n${result.e164}`, result);
  return result;
}

/** E.164 of any valid number, fixed lines included (ExoPhones); undefined when invalid. */
export function normalizeNumber(input: string, region = 'IN'): string | undefined {
  return parse(input, region)?.number;
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** The SMPP destination_addr for an E.164 number (TON 1, NPI 1): the digits without `+`. */
export function toSmppAddress(e164: string): string {
  if (typeof e164 !== 'string' || !E164.test(e164)) {
    throw new CallflowError('INVALID_NUMBER', `${JSON.stringify(e164)} is not an E.164 number`);
  }
  return e164.slice(1);
}
