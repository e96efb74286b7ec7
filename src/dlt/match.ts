/**
 * Does a message match a DLT template, and if not, where and why does it depart?
 *
 * Fixed text must be identical, character for character (case, punctuation, spaces, double
 * spaces, newlines, straight vs curly quotes), as operators scrub it. Each variable takes a
 * value its type and length allow (see variables.ts). Matching is linear in the message
 * (engine.ts). A failed match is explained by relaxing the rules step by step:
 *   1. strict: types, lengths, whitelists;
 *   2. any characters within the length limits → the strict failure was a type or whitelist
 *      problem (DLT_VARIABLE_TYPE, DLT_URL_NOT_WHITELISTED, DLT_CBN_NOT_WHITELISTED);
 *   3. any characters, any length → it was a length problem (DLT_VARIABLE_TOO_LONG);
 *   4. otherwise the fixed text departs (DLT_TEMPLATE_MISMATCH) at the furthest point any
 *      partial match reached. Partial matches are taken with each variable held to its
 *      characters (digits for {#numeric#}, ...) but not its length, so a variable does not
 *      swallow the punctuation that departs; when that gets less far (the type is wrong as
 *      well), with variables taking anything.
 */
import { assign, type Counter, type Departure, forward, type Slot } from './engine.ts';
import { type DltLimits, resolveLimits } from './model.ts';
import { type CompiledTemplate, compiled } from './template.ts';
import {
  type CodeText,
  codesToString,
  EXCERPT_LENGTH,
  sliceCodes,
  toCodeText,
  utf16At,
} from './text.ts';
import {
  type DltWhitelist,
  describeVariable,
  fitsType,
  KIND_SPECS,
  maxLengthOf,
  type VariableFailure,
  whitelistFailure,
} from './variables.ts';

export { compileTemplate } from './template.ts';

export interface MatchOptions {
  limits?: Partial<DltLimits>;
  whitelist?: DltWhitelist;
  /** Incremented by the matcher's inner-loop steps (tests use it to check linear time). */
  counter?: Counter;
}

export type MatchFailureCode = 'DLT_TEMPLATE_MISMATCH' | VariableFailure;

export type MatchResult =
  | { match: true; values: string[] }
  | {
      match: false;
      code: MatchFailureCode;
      /** UTF-16 index in the message where it departs (for a variable: where its value starts). */
      at: number;
      /** What the template expected there: a fixed-text excerpt or a variable description. */
      expected: string;
      /** The message there: an excerpt, the variable's value, or `(end of message)`. */
      found: string;
      /** 0-based index of the variable at fault (= index into `values`). */
      variable?: number;
    };

export const END_OF_MESSAGE = '(end of message)';

/** Longest value excerpt reported in `found` for a variable. */
const VALUE_EXCERPT = 60;

/** strict; untyped: any characters within limits; shaped: allowed characters, any length; unbounded: anything. */
type Mode = 'strict' | 'untyped' | 'shaped' | 'unbounded';

export function slotsFor(
  t: CompiledTemplate,
  mode: Mode,
  limits: DltLimits,
  whitelist?: DltWhitelist,
): Slot[] {
  return t.variables.map((v): Slot => {
    if (mode === 'unbounded')
      return { min: 0, max: Number.POSITIVE_INFINITY, allowed: null, validate: null };
    const spec = KIND_SPECS[v.kind];
    if (mode === 'shaped')
      return {
        min: spec.min,
        max: Number.POSITIVE_INFINITY,
        allowed: spec.allowed,
        validate: null,
      };
    const max = maxLengthOf(v.kind, limits);
    if (mode === 'untyped') return { min: 0, max, allowed: null, validate: null };
    const shape = spec.validate;
    const listed = spec.whitelist !== null && whitelist?.[spec.whitelist] !== undefined;
    const validate = listed
      ? (value: string) =>
          (!shape || shape(value)) && whitelistFailure(v.kind, value, whitelist) === null
      : shape;
    return { min: spec.min, max, allowed: spec.allowed, validate };
  });
}

/** Strict match only: the values, or `null`. For callers that need no explanation. */
export function matchValues(
  t: CompiledTemplate,
  msg: CodeText,
  strictSlots: readonly Slot[],
  counter: Counter = { steps: 0 },
): string[] | null {
  const layers = forward(t, strictSlots, msg, counter);
  return layers.ok ? assign(t, strictSlots, msg, layers, counter) : null;
}

export function matchTemplate(
  template: string | CompiledTemplate,
  message: string,
  options?: MatchOptions,
): MatchResult {
  return matchCodeText(compiled(template), toCodeText(message, true), options);
}

export function matchCodeText(
  t: CompiledTemplate,
  msg: CodeText,
  options?: MatchOptions,
): MatchResult {
  const limits = resolveLimits(options?.limits);
  const whitelist = options?.whitelist;
  const counter = options?.counter ?? { steps: 0 };
  const values = matchValues(t, msg, slotsFor(t, 'strict', limits, whitelist), counter);
  if (values) return { match: true, values };

  // Only {#var#} variables: the untyped run would repeat the strict one.
  if (t.variables.some((v) => v.kind !== 'var')) {
    const slots = slotsFor(t, 'untyped', limits);
    const layers = forward(t, slots, msg, counter);
    if (layers.ok) {
      const found = assign(t, slots, msg, layers, counter);
      for (const v of t.variables) {
        const value = found[v.index]!;
        const code: VariableFailure | null = fitsType(v.kind, value)
          ? whitelistFailure(v.kind, value, whitelist)
          : 'DLT_VARIABLE_TYPE';
        if (code) return variableFailure(t, msg, found, v.index, code, limits);
      }
    }
  }

  const slots = slotsFor(t, 'unbounded', limits);
  const departure: { best: Departure | null } = { best: null };
  const layers = forward(t, slots, msg, counter, departure);
  if (layers.ok) {
    const found = assign(t, slots, msg, layers, counter);
    for (const v of t.variables) {
      if (codePointLength(found[v.index]!) > maxLengthOf(v.kind, limits))
        return variableFailure(t, msg, found, v.index, 'DLT_VARIABLE_TOO_LONG', limits);
    }
  }
  let best = departure.best;
  if (t.variables.some((v) => KIND_SPECS[v.kind].allowed !== null)) {
    const shaped: { best: Departure | null } = { best: null };
    forward(t, slotsFor(t, 'shaped', limits), msg, counter, shaped);
    const s = shaped.best;
    if (s && (!best || s.progress + s.recovery >= best.progress + best.recovery)) best = s;
  }
  return mismatch(msg, best);
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** UTF-16 start of each variable's value, from the values and the fixed text between. */
function valueStart(t: CompiledTemplate, values: readonly string[], index: number): number {
  let at = 0;
  for (const token of t.tokens) {
    if (token.type === 'variable' && token.index === index) return at;
    at += token.type === 'fixed' ? token.text.length : values[token.index]!.length;
  }
  return at;
}

function variableFailure(
  t: CompiledTemplate,
  msg: CodeText,
  values: readonly string[],
  index: number,
  code: VariableFailure,
  limits: DltLimits,
): MatchResult {
  const value = values[index]!;
  const found = Array.from(value).slice(0, VALUE_EXCERPT).join('');
  const kind = t.variables[index]!.kind;
  const at = valueStart(t, values, index);
  return {
    match: false,
    code,
    at: Math.min(at, msg.source.length),
    expected: describeVariable(kind, limits, code),
    found,
    variable: index,
  };
}

function mismatch(msg: CodeText, d: Departure | null): MatchResult {
  const n = msg.codes.length;
  // Without a departure the template has no fixed text that failed: report the start.
  if (!d) return { match: false, code: 'DLT_TEMPLATE_MISMATCH', at: 0, expected: '', found: '' };
  const at = utf16At(msg, d.pos);
  if (!d.token) {
    const found = sliceCodes(msg, d.pos, Math.min(n, d.pos + EXCERPT_LENGTH));
    return { match: false, code: 'DLT_TEMPLATE_MISMATCH', at, expected: END_OF_MESSAGE, found };
  }
  const f = d.token.codes;
  const expectedEnd = Math.min(f.length, d.offset + EXCERPT_LENGTH);
  const expected = codesToString(f, d.offset, expectedEnd);
  const found =
    d.pos >= n
      ? END_OF_MESSAGE
      : sliceCodes(msg, d.pos, Math.min(n, d.pos + (expectedEnd - d.offset)));
  return { match: false, code: 'DLT_TEMPLATE_MISMATCH', at, expected, found };
}
