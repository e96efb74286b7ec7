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

function parse(input: string, region: string) {
  if (!isSupportedCountry(region)) {
    // A configuration error, not a bad recipient: configuration validates the region.
    throw new RangeError(`Unknown default region ${JSON.stringify(region)} for phone numbers`);
  }
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim();
  if (trimmed.length > MAX_INPUT_LENGTH || !PHONE_CHARACTERS.test(trimmed)) return undefined;
  const number = parsePhoneNumberFromString(trimmed, {
    defaultCountry: region as CountryCode,
    extract: false,
  });
  return number?.isValid() ? number : undefined;
}

/**
 * A recipient for an SMS. Valid numbers of the types in NOT_SMS_CAPABLE are refused with
 * NOT_MOBILE; MOBILE and FIXED_LINE_OR_MOBILE pass with `canReceiveSms: true`; valid
 * numbers of another or unknown type (VOIP, PERSONAL_NUMBER, or a country whose metadata
 * has no types) pass with `canReceiveSms: false`, and the carrier decides.
 */
export function parseRecipient(input: string, defaultRegion = 'IN'): RecipientResult {
  const number = parse(input, defaultRegion);
  if (number === undefined) {
    return {
      ok: false,
      code: 'INVALID_NUMBER',
      message: `${JSON.stringify(input)} is not a valid phone number`,
    };
  }
  const e164 = number.number;
  const type = number.getType();
  const kind = NOT_SMS_CAPABLE.get(type);
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
