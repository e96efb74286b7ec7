/**
 * The DLT variable types a template may contain and the values each accepts.
 *
 * `{#var#}` takes any characters, including none. Every typed variable needs at least one
 * character: an empty number, URL or address is not one. `{#otp#}` (seen on some portals,
 * not in the operators' lists) is treated exactly like `{#numeric#}`.
 */
import type { DltLimits } from './model.ts';
import { isAsciiAlphanumeric, isAsciiDigit } from './text.ts';

export type VariableKind =
  | 'var'
  | 'numeric'
  | 'alphanumeric'
  | 'url'
  | 'urlott'
  | 'cbn'
  | 'email'
  | 'otp';

export const VARIABLE_KINDS: readonly VariableKind[] = [
  'var',
  'numeric',
  'alphanumeric',
  'url',
  'urlott',
  'cbn',
  'email',
  'otp',
];

export function isVariableKind(name: string): name is VariableKind {
  return (VARIABLE_KINDS as readonly string[]).includes(name);
}

/** URLs and callback numbers registered for the entity. An absent list is not checked. */
export interface DltWhitelist {
  urls?: readonly string[];
  callbackNumbers?: readonly string[];
}

export type VariableFailure =
  | 'DLT_VARIABLE_TOO_LONG'
  | 'DLT_VARIABLE_TYPE'
  | 'DLT_URL_NOT_WHITELISTED'
  | 'DLT_CBN_NOT_WHITELISTED';

export interface KindSpec {
  /** Least characters. */
  min: number;
  /** Which limit bounds the length. */
  limit: 'varMaxLength' | 'alphanumericMaxLength';
  /** Characters allowed anywhere in a value; `null` means every character. */
  allowed: ((cp: number) => boolean) | null;
  /** Check of the whole value (shape of a URL, address, number); runs after `allowed`. */
  validate: ((value: string) => boolean) | null;
  whitelist: 'urls' | 'callbackNumbers' | null;
  /** What a value must be, for messages: "digits only". */
  nature: string;
}

// Printable ASCII without space and the characters RFC 3986 never allows unescaped.
const URL_CHARS = new Uint8Array(128);
for (let cp = 33; cp < 127; cp++)
  URL_CHARS[cp] = '"<>\\^`{|}'.includes(String.fromCharCode(cp)) ? 0 : 1;
const isUrlChar = (cp: number): boolean => cp < 128 && URL_CHARS[cp] === 1;
const isEmailChar = (cp: number): boolean =>
  isAsciiAlphanumeric(cp) ||
  cp === 46 ||
  cp === 95 ||
  cp === 37 ||
  cp === 43 ||
  cp === 45 ||
  cp === 64;
const isCbnChar = (cp: number): boolean => isAsciiDigit(cp) || cp === 43 || cp === 32 || cp === 45;

// Each pattern splits its input one way only (labels end at dots, digits alternate with
// optional separators), so they run in linear time on any input.
const URL_SHAPE = /^(?:https?:\/\/)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d{1,5})?(?:[/?#].*)?$/is;
const EMAIL_SHAPE = /^[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}$/;
const CBN_SHAPE = /^\+?\d(?:[ -]?\d)*$/;

function isPhoneNumber(value: string): boolean {
  if (!CBN_SHAPE.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  return digits >= 8 && digits <= 15;
}

const numeric: KindSpec = {
  min: 1,
  limit: 'varMaxLength',
  allowed: isAsciiDigit,
  validate: null,
  whitelist: null,
  nature: 'digits only',
};

export const KIND_SPECS: Readonly<Record<VariableKind, KindSpec>> = {
  var: {
    min: 0,
    limit: 'varMaxLength',
    allowed: null,
    validate: null,
    whitelist: null,
    nature: 'any characters',
  },
  numeric,
  otp: numeric,
  alphanumeric: {
    min: 1,
    limit: 'alphanumericMaxLength',
    allowed: isAsciiAlphanumeric,
    validate: null,
    whitelist: null,
    nature: 'letters and digits only',
  },
  url: {
    min: 1,
    limit: 'varMaxLength',
    allowed: isUrlChar,
    validate: (v) => URL_SHAPE.test(v),
    whitelist: 'urls',
    nature: 'a URL',
  },
  urlott: {
    min: 1,
    limit: 'varMaxLength',
    allowed: isUrlChar,
    validate: (v) => URL_SHAPE.test(v),
    whitelist: 'urls',
    nature: 'a URL, APK or OTT link',
  },
  cbn: {
    min: 1,
    limit: 'varMaxLength',
    allowed: isCbnChar,
    validate: isPhoneNumber,
    whitelist: 'callbackNumbers',
    nature: 'a phone number',
  },
  email: {
    min: 1,
    limit: 'varMaxLength',
    allowed: isEmailChar,
    validate: (v) => EMAIL_SHAPE.test(v),
    whitelist: null,
    nature: 'an email address',
  },
};

export function maxLengthOf(kind: VariableKind, limits: DltLimits): number {
  return limits[KIND_SPECS[kind].limit];
}

/** `{#numeric#} (digits only, at most 30 characters)` and similar, for `expected`. */
export function describeVariable(
  kind: VariableKind,
  limits: DltLimits,
  focus: VariableFailure | 'any' = 'any',
): string {
  const tag = `{#${kind}#}`;
  const max = maxLengthOf(kind, limits);
  if (focus === 'DLT_VARIABLE_TOO_LONG' || kind === 'var')
    return `${tag} (at most ${max} characters)`;
  if (focus === 'DLT_URL_NOT_WHITELISTED') return `${tag} (a whitelisted URL)`;
  if (focus === 'DLT_CBN_NOT_WHITELISTED') return `${tag} (a whitelisted callback number)`;
  return `${tag} (${KIND_SPECS[kind].nature}, at most ${max} characters)`;
}

function normalizeUrl(url: string): { host: string; rest: string } {
  const noScheme = url.replace(/^https?:\/\//i, '');
  const cut = noScheme.search(/[/?#]/);
  const hostPort = cut < 0 ? noScheme : noScheme.slice(0, cut);
  return { host: hostPort.toLowerCase(), rest: cut < 0 ? '' : noScheme.slice(cut) };
}

/**
 * A URL is whitelisted when an entry has the same host (case-insensitive, scheme ignored,
 * `www.` significant) and the URL's path starts with the entry's path at a `/`, `?` or `#`
 * boundary: entry `acme.in/track` allows `acme.in/track/42` but not `acme.in/tracker`.
 */
export function isWhitelistedUrl(value: string, urls: readonly string[]): boolean {
  const v = normalizeUrl(value);
  return urls.some((entry) => {
    const e = normalizeUrl(entry.trim());
    if (e.host !== v.host) return false;
    if (e.rest === '' || e.rest === '/' || e.rest === v.rest) return true;
    if (!v.rest.startsWith(e.rest)) return false;
    return e.rest.endsWith('/') || '/?#'.includes(v.rest.charAt(e.rest.length));
  });
}

function nationalDigits(number: string): string {
  const d = number.replace(/\D/g, '');
  if (d.length === 12 && d.startsWith('91')) return d.slice(2);
  if (d.length === 11 && d.startsWith('0')) return d.slice(1);
  return d;
}

/** A callback number is whitelisted when its digits equal an entry's, ignoring +91 / 0. */
export function isWhitelistedCallbackNumber(value: string, numbers: readonly string[]): boolean {
  const v = nationalDigits(value);
  return numbers.some((n) => nationalDigits(n) === v);
}

function charactersFit(spec: KindSpec, value: string): boolean {
  if (!spec.allowed) return true;
  for (const ch of value) if (!spec.allowed(ch.codePointAt(0)!)) return false;
  return true;
}

/** Does `value` fit the type only (characters, least length, shape), ignoring length limits? */
export function fitsType(kind: VariableKind, value: string): boolean {
  const spec = KIND_SPECS[kind];
  if (value.length < spec.min) return false;
  return charactersFit(spec, value) && (!spec.validate || spec.validate(value));
}

export function whitelistFailure(
  kind: VariableKind,
  value: string,
  whitelist: DltWhitelist | undefined,
): VariableFailure | null {
  const list = KIND_SPECS[kind].whitelist;
  if (list === 'urls' && whitelist?.urls && !isWhitelistedUrl(value, whitelist.urls))
    return 'DLT_URL_NOT_WHITELISTED';
  if (
    list === 'callbackNumbers' &&
    whitelist?.callbackNumbers &&
    !isWhitelistedCallbackNumber(value, whitelist.callbackNumbers)
  )
    return 'DLT_CBN_NOT_WHITELISTED';
  return null;
}

/** Why `value` cannot fill a `kind` variable, or `null` when it can. Length in code points. */
export function checkValue(
  kind: VariableKind,
  value: string,
  limits: DltLimits,
  whitelist?: DltWhitelist,
): VariableFailure | null {
  let length = 0;
  for (const _ of value) length++;
  if (length > maxLengthOf(kind, limits)) return 'DLT_VARIABLE_TOO_LONG';
  if (!fitsType(kind, value)) return 'DLT_VARIABLE_TYPE';
  return whitelistFailure(kind, value, whitelist);
}
