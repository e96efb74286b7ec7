/**
 * Exotel's request parameters, as its clients send them: form-encoded (repeated keys, `To[]`,
 * `Messages[0][To]` bracket notation) or JSON (`{ "Messages": [...] }`, or `{ "sms": [...] }` as
 * the newer documentation writes the bulk body). Values are read as strings. A form carries only
 * strings (a repeated key counts once, the last). In JSON, a value must be a string, or a list of
 * strings for `To`: `true`, `42`, `["…"]` or an object is refused, not turned into text (a 19-digit
 * DLT ID would lose digits as a JSON number anyway).
 */

export const EXOTEL_FIELDS = [
  'From',
  'To',
  'Body',
  'EncodingType',
  'Priority',
  'StatusCallback',
  'DltEntityId',
  'DltTemplateId',
  'SmsType',
  'CustomField',
] as const;
export type ExotelField = (typeof EXOTEL_FIELDS)[number];

/** One message's parameters, strings as given (To already split into recipients). */
export type ExotelMessageParams = Partial<Record<Exclude<ExotelField, 'To'>, string>> & {
  To: string[];
};

export class ExotelParamError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'ExotelParamError';
    this.field = field;
  }
}

type Body = Record<string, unknown>;

/**
 * How deep parameters nest: `Messages[0][To][]` is four levels. Deeper values are no parameter
 * and are left as they are, so a hostile body cannot make the conversion recurse without end.
 */
const MAX_DEPTH = 4;

/**
 * Turns form keys in bracket notation into nested values: `Messages[0][To]=a` becomes
 * `{ Messages: [{ To: 'a' }] }`, `To[]=a&To[]=b` becomes `{ To: ['a', 'b'] }`. JSON bodies pass
 * through unchanged.
 *
 * The nodes have no prototype: a key such as `__proto__[x]` names an ordinary property instead of
 * reaching Object.prototype through the key path.
 */
export function unflatten(body: Body): Body {
  const out: Body = Object.create(null);
  for (const [key, value] of Object.entries(body)) {
    const path = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!path || path[2] === '') {
      out[key] = value;
      continue;
    }
    const keys = [path[1]!, ...[...path[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let node: Record<string, unknown> = out;
    for (let i = 0; i < keys.length - 1; i++) {
      const k = keys[i]!;
      if (typeof node[k] !== 'object' || node[k] === null) node[k] = Object.create(null);
      node = node[k] as Record<string, unknown>;
    }
    const last = keys.at(-1)!;
    if (last === '') {
      // `To[]`: append (a repeated key arrives as an array already).
      const existing = (node as Record<string, unknown>)[''] as unknown[] | undefined;
      node[''] = [...(existing ?? []), ...(Array.isArray(value) ? value : [value])];
    } else node[last] = value;
  }
  return arraysOf(out, 0) as Body;
}

/** Objects keyed '0', '1', ... or '' (from brackets) become arrays, in index order. */
function arraysOf(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if (depth > MAX_DEPTH) return value;
  const inner = (v: unknown) => arraysOf(v, depth + 1);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([k]) => k === '' || /^\d+$/.test(k))) {
    const flat: unknown[] = [];
    for (const [k, v] of entries.sort(
      ([a], [b]) => (a === '' ? 1e9 : Number(a)) - (b === '' ? 1e9 : Number(b)),
    )) {
      if (k === '' && Array.isArray(v)) flat.push(...v.map(inner));
      else flat.push(inner(v));
    }
    return flat;
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, inner(v)]));
}

/** How the body arrived: a form's values are all text, JSON's are typed. */
export type BodyKind = 'form' | 'json';

function scalar(body: Body, field: string, kind: BodyKind): string | undefined {
  let v = body[field];
  if (Array.isArray(v) && kind === 'form') v = v.at(-1);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    throw new ExotelParamError(
      field,
      `${field} must be sent as a string (a 19-digit number loses digits as a JSON number).`,
    );
  }
  throw new ExotelParamError(field, `${field} must be a string.`);
}

/** Recipients of `To`: a string with commas, repeated keys, or an array; E.164 or national. */
function recipients(body: Body): string[] {
  const raw = body.To;
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') {
      throw new ExotelParamError('To', 'To must be a phone number or a comma-separated list.');
    }
    for (const part of v.split(',')) {
      const to = part.trim();
      if (to !== '') out.push(to);
    }
  }
  return out;
}

/** The parameters of one message from a body (or a bulk item), with defaults for what it omits. */
export function messageParams(
  body: Body,
  kind: BodyKind,
  defaults: Partial<ExotelMessageParams> = {},
): ExotelMessageParams {
  const params: ExotelMessageParams = { To: recipients(body) };
  for (const field of EXOTEL_FIELDS) {
    if (field === 'To') continue;
    const value = scalar(body, field, kind) ?? defaults[field];
    if (value !== undefined) params[field] = value;
  }
  return params;
}

/** The messages of a bulksend body: `Messages` (form or JSON) or `sms` (JSON), with the outer defaults. */
export function bulkParams(body: Body, kind: BodyKind): ExotelMessageParams[] {
  const list = body.Messages ?? body.sms;
  if (!Array.isArray(list)) {
    throw new ExotelParamError(
      'Messages',
      'Messages must be a list of messages, each with To and Body.',
    );
  }
  const defaults = messageParams(body, kind);
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ExotelParamError(
        `Messages[${i}]`,
        `Messages[${i}] must be an object with To and Body.`,
      );
    }
    return messageParams(item as Body, kind, defaults);
  });
}
