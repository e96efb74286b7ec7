/**
 * Variables in an SMS applet's body, and rendering the body for one call.
 *
 * Glossary:
 * - call variable: `{CallFrom}`, `{CallTo}`, `{CallSid}`, `{DateTime}`, `{Digits}`.
 * - passthru variable: `{<appletId>.<field>}`, a field of the JSON that an earlier Passthru
 *   applet received, e.g. `{book.slot}`; the field may be a dotted path into nested objects,
 *   `{book.slot.time}` (appletId `book`, field `slot.time`).
 *
 * Identifiers (applet ids, field path segments) are letters, digits, `_` and `-`. Anything in
 * braces that is not a variable stays literal text: `{ hello }`, `{hello}`, `{#var#}`, `{}`,
 * an unclosed `{`. A DLT template's `{#var#}` is therefore never mistaken for a variable.
 */

export const CALL_VARIABLE_NAMES = ['CallFrom', 'CallTo', 'CallSid', 'DateTime', 'Digits'] as const;
export type CallVariableName = (typeof CALL_VARIABLE_NAMES)[number];

export interface BodyVariable {
  /** `CallFrom`, or `book.slot` for a passthru variable: the key of its value. */
  name: string;
  kind: 'call' | 'passthru';
  /** Passthru only: the applet whose response holds the value. */
  appletId?: string;
  /** Passthru only: the field (a dotted path) in that response. */
  field?: string;
  /** UTF-16 index of the opening brace in the body. */
  index: number;
  /** Length of `{...}`, braces included. */
  length: number;
}

/**
 * What characters a value may hold:
 * - digits: 0-9
 * - digits-plus: a leading + then 0-9 (E.164)
 * - call-sid: CALL_SID_ALPHABET (0-9 and capitals without I, L, O, U)
 * - datetime: `YYYY-MM-DD HH:mm`
 */
export type VariableCharset = 'digits' | 'digits-plus' | 'call-sid' | 'datetime';

/**
 * What a CallSid is made of: Crockford's Base32, digits and capitals without the look-alikes
 * I, L, O and U, in ASCII order so that sids sort as they were made (src/flows/call-sid.ts).
 */
export const CALL_SID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters in a CallSid; a DLT `{#var#}` holds 30. Calls made before it have 32 hex ones. */
export const CALL_SID_LENGTH = 16;

/** The shape of a call variable's value, for the flow validator and the DLT checker. */
export interface CallVariableShape {
  readonly description: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly charset: VariableCharset;
  readonly example: string;
}

/** Digits a gather may collect unless it says otherwise. */
export const DEFAULT_MAX_DIGITS = 32;

export const CALL_VARIABLES: Readonly<Record<CallVariableName, CallVariableShape>> = {
  CallFrom: {
    description: "The caller's number in E.164 (an Indian number: +91 and 10 digits).",
    minLength: 13,
    maxLength: 13,
    charset: 'digits-plus',
    example: '+919876543210',
  },
  CallTo: {
    description: 'The called ExoPhone in E.164 (+91 and 10 digits).',
    minLength: 13,
    maxLength: 13,
    charset: 'digits-plus',
    example: '+914412345678',
  },
  CallSid: {
    description:
      "The call's unique id: 16 characters, digits and capitals without I, L, O or U, read out " +
      'as a reference.',
    minLength: CALL_SID_LENGTH,
    maxLength: CALL_SID_LENGTH,
    charset: 'call-sid',
    example: '01KC2X9VQ4R7M3TD',
  },
  DateTime: {
    description: 'When the SMS applet ran, YYYY-MM-DD HH:mm in the account time zone.',
    minLength: 16,
    maxLength: 16,
    charset: 'datetime',
    example: '2024-01-15 10:30',
  },
  Digits: {
    description:
      'Digits the caller pressed in the last gather (without the finish key); at most the ' +
      "gather's maxDigits, 32 by default.",
    minLength: 0,
    maxLength: DEFAULT_MAX_DIGITS,
    charset: 'digits',
    example: '1234',
  },
};

const IDENTIFIER = '[A-Za-z0-9_-]+';
const VARIABLE = new RegExp(`\\{(${IDENTIFIER}(?:\\.${IDENTIFIER})*)\\}`, 'g');

export function isCallVariableName(name: string): name is CallVariableName {
  return (CALL_VARIABLE_NAMES as readonly string[]).includes(name);
}

/** The variables of `body`, in order of appearance. */
export function variablesOf(body: string): BodyVariable[] {
  const found: BodyVariable[] = [];
  for (const match of body.matchAll(VARIABLE)) {
    const name = match[1]!;
    const dot = name.indexOf('.');
    if (dot === -1) {
      if (isCallVariableName(name)) {
        found.push({ name, kind: 'call', index: match.index, length: match[0].length });
      }
      continue;
    }
    found.push({
      name,
      kind: 'passthru',
      appletId: name.slice(0, dot),
      field: name.slice(dot + 1),
      index: match.index,
      length: match[0].length,
    });
  }
  return found;
}

export interface RenderClock {
  now: Date;
  /** IANA time zone for `{DateTime}`, e.g. 'Asia/Kolkata'. */
  timeZone: string;
}

/**
 * `body` with each variable replaced by its value from `values` (keyed by variable name).
 * A variable without a value renders as the empty string; `{DateTime}` without a value is
 * `clock.now` in `clock.timeZone`. Literal text is copied unchanged.
 */
export function renderBody(
  body: string,
  values: Readonly<Record<string, string | undefined>>,
  clock: RenderClock,
): string {
  const variables = variablesOf(body);
  if (variables.length === 0) return body;
  let out = '';
  let copied = 0;
  for (const variable of variables) {
    out += body.slice(copied, variable.index);
    let value = Object.hasOwn(values, variable.name) ? values[variable.name] : undefined;
    if (value === undefined && variable.name === 'DateTime') {
      value = formatDateTime(clock.now, clock.timeZone);
    }
    out += value ?? '';
    copied = variable.index + variable.length;
  }
  return out + body.slice(copied);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * `now` as `YYYY-MM-DD HH:mm` (24-hour clock) in `timeZone`. Throws RangeError for a time
 * zone Intl does not know; configuration validates zones at start-up.
 */
export function formatDateTime(now: Date, timeZone: string): string {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatter.formatToParts(now)) parts[part.type] = part.value;
  return `${parts.year!.padStart(4, '0')}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
