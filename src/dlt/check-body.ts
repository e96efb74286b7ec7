/**
 * Can an SMS applet body, once its variables are filled in, match its DLT template?
 * `always` (every value the variables can take matches), `never` (none can), or `depends`.
 * The Builder calls this on every keystroke.
 *
 * How it decides (each step is sound; when none decides, the answer is `depends`):
 * - A body without variables is matched directly (exact, like sending it).
 * - `always`: the template's fixed text lines up with literal body text, and what falls in
 *   each template variable fits it for every value (alignment.ts).
 * - `never`: the template automaton run over the body (body-nfa.ts), with each body
 *   variable standing for every string of its shape, reaches no accepting state.
 *   Relaxed runs and an alignment then say why, where, and which variable is at fault.
 */

import type { ReasonCode } from '../errors.ts';
import { CALL_SID_ALPHABET, CALL_SID_LENGTH } from '../sms/variables.ts';
import { align, describeSegment, segmentVerdict } from './alignment.ts';
import { type BodySlot, type ParsedBody, parseBody, type VariableShape } from './body.ts';
import { BodyProduct, buildNfa, type VarRule } from './body-nfa.ts';
import type { Departure } from './engine.ts';
import { END_OF_MESSAGE, matchTemplate } from './match.ts';
import { type DltLimits, resolveLimits } from './model.ts';
import { type CompiledTemplate, compiled } from './template.ts';
import { codesToString, EXCERPT_LENGTH } from './text.ts';
import { type DltWhitelist, describeVariable, KIND_SPECS, maxLengthOf } from './variables.ts';

export type { ShapeRun, VariableShape } from './body.ts';

const DIGITS = '0123456789';
const exactly = (n: number, chars: string) => ({ min: n, max: n, chars });

/** What call variables look like; Passthru values and unknown names can be anything. */
export const DEFAULT_VARIABLE_SHAPES: Readonly<Record<string, VariableShape>> = Object.freeze({
  CallFrom: { runs: [exactly(1, '+'), exactly(12, DIGITS)] },
  CallTo: { runs: [exactly(1, '+'), exactly(12, DIGITS)] },
  CallSid: { runs: [exactly(CALL_SID_LENGTH, CALL_SID_ALPHABET)] },
  DateTime: {
    runs: [
      exactly(4, DIGITS),
      exactly(1, '-'),
      exactly(2, DIGITS),
      exactly(1, '-'),
      exactly(2, DIGITS),
      exactly(1, ' '),
      exactly(2, DIGITS),
      exactly(1, ':'),
      exactly(2, DIGITS),
    ],
  },
  Digits: { runs: [{ min: 0, max: 32, chars: DIGITS }] },
});

export const ANY_SHAPE: VariableShape = Object.freeze({
  runs: [{ min: 0, max: Number.POSITIVE_INFINITY }],
});

export interface CheckBodyOptions {
  limits?: Partial<DltLimits>;
  /** Shapes by variable name (`CallSid`, `book.date`), over the defaults. */
  variableShapes?: Record<string, VariableShape>;
  whitelist?: DltWhitelist;
}

export interface BodyCheck {
  verdict: 'always' | 'never' | 'depends';
  /** For `never`, why; for `depends`, the failure the variables may cause. */
  code?: ReasonCode;
  reason?: string;
  /** UTF-16 index in the body. */
  at?: number;
  expected?: string;
  found?: string;
  /** Variable names (as written between the braces) the outcome depends on. */
  dependsOn?: string[];
}

export function checkBody(
  body: string,
  template: string | CompiledTemplate,
  options?: CheckBodyOptions,
): BodyCheck {
  const t = compiled(template);
  const limits = resolveLimits(options?.limits);
  const whitelist = options?.whitelist;
  const shapes = options?.variableShapes;
  const parsed = parseBody(
    body,
    (name) => shapes?.[name] ?? DEFAULT_VARIABLE_SHAPES[name] ?? ANY_SHAPE,
  );

  if (parsed.slots.length === 0) return checkLiteral(body, t, limits, whitelist);

  const ctx = { t, body: parsed, limits, whitelist };
  if (align(ctx, 'always')) return { verdict: 'always' };

  if (product(t, 'strict', limits).accepts(parsed)) return depends(ctx);
  return never(ctx);
}

type Rules = 'strict' | 'untyped' | 'loose';

// Automata by template and rules, built once: the Builder checks the same template on
// every keystroke.
const products = new WeakMap<CompiledTemplate, Map<string, BodyProduct>>();

function product(t: CompiledTemplate, rules: Rules, limits: DltLimits): BodyProduct {
  let byKey = products.get(t);
  if (!byKey) {
    byKey = new Map();
    products.set(t, byKey);
  }
  const key = `${rules}:${limits.varMaxLength}:${limits.alphanumericMaxLength}`;
  let hit = byKey.get(key);
  if (!hit) {
    const varRules = t.variables.map((v): VarRule => {
      if (rules === 'loose') return { min: 0, max: Number.POSITIVE_INFINITY, allowed: null };
      const max = maxLengthOf(v.kind, limits);
      if (rules === 'untyped') return { min: 0, max, allowed: null };
      const spec = KIND_SPECS[v.kind];
      return { min: spec.min, max, allowed: spec.allowed };
    });
    hit = new BodyProduct(buildNfa(t, varRules));
    byKey.set(key, hit);
  }
  return hit;
}

function checkLiteral(
  body: string,
  t: CompiledTemplate,
  limits: DltLimits,
  whitelist: DltWhitelist | undefined,
): BodyCheck {
  const r = matchTemplate(t, body, { limits, whitelist });
  if (r.match) return { verdict: 'always' };
  const what = r.variable === undefined ? 'The body' : `Variable ${r.variable + 1}`;
  return {
    verdict: 'never',
    code: r.code,
    reason: `${what} departs from the template at ${r.at}: expected ${r.expected}, found ${JSON.stringify(r.found)}.`,
    at: r.at,
    expected: r.expected,
    found: r.found,
  };
}

interface Context {
  t: CompiledTemplate;
  body: ParsedBody;
  limits: DltLimits;
  whitelist: DltWhitelist | undefined;
}

function names(slots: readonly BodySlot[]): string[] {
  return [...new Set(slots.map((s) => s.name))];
}

function depends(ctx: Context): BodyCheck {
  const segments = align(ctx, 'possible');
  if (!segments) {
    // Lined up on the body's own text, some variable cannot fit (e.g. a literal URL off the
    // whitelist); only values that supply the template's text elsewhere could match.
    const lined = align(ctx, 'any');
    const culprit = lined?.find((s) => segmentVerdict(ctx, s, 'possible') !== 'ok');
    const failure = culprit ? segmentVerdict(ctx, culprit, 'possible') : 'ok';
    return {
      verdict: 'depends',
      code: failure === 'ok' ? 'DLT_TEMPLATE_MISMATCH' : failure.code,
      reason:
        failure === 'ok'
          ? "The template's fixed text does not line up with the body's own text; it matches only if variable values supply the missing text."
          : `${failure.reason} It could match only if variable values supply the template's text elsewhere.`,
      dependsOn: names(ctx.body.slots),
    };
  }
  const open = segments.filter((s) => segmentVerdict(ctx, s, 'always') !== 'ok');
  const slots = open.flatMap((s) => s.slots.map((i) => ctx.body.slots[i]!));
  const first = open[0];
  const kind = first ? ctx.t.variables[first.variable]!.kind : 'var';
  const tooLong = first ? first.stats.maxLen > maxLengthOf(kind, ctx.limits) : false;
  return {
    verdict: 'depends',
    code: tooLong ? 'DLT_VARIABLE_TOO_LONG' : 'DLT_VARIABLE_TYPE',
    reason: first
      ? `Matches only when ${describeSegment(ctx, first)} fits ${describeVariable(kind, ctx.limits)}.`
      : 'Matches only for some values of the variables.',
    dependsOn: names(slots.length > 0 ? slots : ctx.body.slots),
  };
}

function never(ctx: Context): BodyCheck {
  const { t, body, limits } = ctx;
  const departure: { best: Departure | null } = { best: null };
  if (!product(t, 'loose', limits).accepts(body, departure))
    return fixedTextDeparture(body, departure.best);

  const typeProblem = product(t, 'untyped', limits).accepts(body);
  const segments = align(ctx, 'any');
  const culprit = segments?.find((s) => segmentVerdict(ctx, s, 'possible') !== 'ok');
  const failure = culprit ? segmentVerdict(ctx, culprit, 'possible') : 'ok';
  if (!culprit || failure === 'ok') {
    return {
      verdict: 'never',
      code: typeProblem ? 'DLT_VARIABLE_TYPE' : 'DLT_VARIABLE_TOO_LONG',
      reason: typeProblem
        ? "No value of the body's variables gives the template's variables values of their type."
        : "The body's variables are always too long for the template's variables.",
    };
  }
  const kind = t.variables[culprit.variable]!.kind;
  return {
    verdict: 'never',
    code: failure.code,
    reason: failure.reason,
    at: body.starts[culprit.from]!,
    expected: describeVariable(kind, limits, failure.code),
    found: body.source.slice(body.starts[culprit.from], body.starts[culprit.to]),
  };
}

function fixedTextDeparture(body: ParsedBody, d: Departure | null): BodyCheck {
  const m = body.units.length;
  if (!d)
    return {
      verdict: 'never',
      code: 'DLT_TEMPLATE_MISMATCH',
      reason: 'The body departs from the template.',
    };
  const at = body.starts[d.pos]!;
  let expected = END_OF_MESSAGE;
  let found: string;
  if (d.token) {
    const end = Math.min(d.token.codes.length, d.offset + EXCERPT_LENGTH);
    expected = codesToString(d.token.codes, d.offset, end);
    found =
      d.pos >= m
        ? END_OF_MESSAGE
        : body.source.slice(at, body.starts[Math.min(m, d.pos + end - d.offset)]);
  } else {
    found = body.source.slice(at, body.starts[Math.min(m, d.pos + EXCERPT_LENGTH)]);
  }
  return {
    verdict: 'never',
    code: 'DLT_TEMPLATE_MISMATCH',
    reason: `The body's text departs from the template at ${at}: expected ${JSON.stringify(expected)}, found ${JSON.stringify(found)}.`,
    at,
    expected,
    found,
  };
}
