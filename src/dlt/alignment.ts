/**
 * Lining a body up with a template: each fixed piece of the template is found in the body's
 * literal text, and the body between them (literal text and variables, a "segment") fills a
 * template variable. Whether a segment fits is decided from its length range and characters:
 * - `always`: every value the segment can take fits;
 * - `possible`: some value fits;
 * - `any`: only the fixed text is lined up (variables take anything).
 * Among the alignments that work, each variable takes the shortest segment that lets the
 * rest line up, left to right (as the matcher does with values).
 */
import type { ParsedBody } from './body.ts';
import type { DltLimits } from './model.ts';
import type { CompiledTemplate } from './template.ts';
import { showChar } from './text.ts';
import {
  type DltWhitelist,
  KIND_SPECS,
  type KindSpec,
  maxLengthOf,
  type VariableFailure,
  type VariableKind,
  whitelistFailure,
} from './variables.ts';

export type AlignMode = 'always' | 'possible' | 'any';

export interface AlignContext {
  t: CompiledTemplate;
  body: ParsedBody;
  limits: DltLimits;
  whitelist: DltWhitelist | undefined;
}

export interface SegmentStats {
  minLen: number;
  maxLen: number;
  /** Longest value made only of characters the variable allows. */
  maxFitting: number;
  literalOnly: boolean;
  /** First literal unit the variable does not allow, or -1. */
  badLiteral: number;
  /** First slot with a run whose characters are not all allowed, or -1. */
  notSubset: number;
  /** First slot with a non-empty run of which no character is allowed, or -1. */
  impossible: number;
  impossibleChars: string;
}

export interface Segment {
  /** Index of the template variable the segment fills. */
  variable: number;
  /** Body units `from`..`to` (exclusive). */
  from: number;
  to: number;
  /** Body slots in the segment. */
  slots: number[];
  stats: SegmentStats;
}

function emptyStats(): SegmentStats {
  return {
    minLen: 0,
    maxLen: 0,
    maxFitting: 0,
    literalOnly: true,
    badLiteral: -1,
    notSubset: -1,
    impossible: -1,
    impossibleChars: '',
  };
}

function charsFit(chars: string | undefined, spec: KindSpec): { some: boolean; all: boolean } {
  const allowed = spec.allowed;
  if (allowed === null) return { some: true, all: true };
  if (chars === undefined) return { some: true, all: false };
  let some = false;
  let all = true;
  for (const ch of chars) {
    if (allowed(ch.codePointAt(0)!)) some = true;
    else all = false;
  }
  return { some, all };
}

function addUnit(ctx: AlignContext, s: SegmentStats, spec: KindSpec, u: number): void {
  const unit = ctx.body.units[u]!;
  if (unit >= 0) {
    s.minLen++;
    s.maxLen++;
    if (spec.allowed === null || spec.allowed(unit)) s.maxFitting++;
    else if (s.badLiteral < 0) s.badLiteral = u;
    return;
  }
  s.literalOnly = false;
  const slot = -unit - 1;
  for (const run of ctx.body.slots[slot]!.shape.runs) {
    s.minLen += run.min;
    s.maxLen += run.max;
    const fit = charsFit(run.chars, spec);
    if (fit.some) s.maxFitting += run.max;
    if (run.max > 0 && !fit.all && s.notSubset < 0) s.notSubset = slot;
    if (run.min > 0 && !fit.some && s.impossible < 0) {
      s.impossible = slot;
      s.impossibleChars = run.chars ?? '';
    }
  }
}

type Status = 'ok' | 'no' | 'stop';

function literalFits(ctx: AlignContext, kind: VariableKind, from: number, to: number): boolean {
  const spec = KIND_SPECS[kind];
  if (spec.validate === null && spec.whitelist === null) return true;
  const text = ctx.body.source.slice(ctx.body.starts[from], ctx.body.starts[to]);
  return (
    (spec.validate === null || spec.validate(text)) &&
    whitelistFailure(kind, text, ctx.whitelist) === null
  );
}

function status(
  ctx: AlignContext,
  kind: VariableKind,
  s: SegmentStats,
  mode: AlignMode,
  from: number,
  to: number,
): Status {
  if (mode === 'any') return 'ok';
  const spec = KIND_SPECS[kind];
  const max = maxLengthOf(kind, ctx.limits);
  const shaped = spec.validate !== null || spec.whitelist !== null;
  if (mode === 'always') {
    if (s.maxLen > max || s.badLiteral >= 0 || s.notSubset >= 0) return 'stop';
    if (s.minLen < spec.min) return 'no';
    if (!shaped) return 'ok';
    return s.literalOnly && literalFits(ctx, kind, from, to) ? 'ok' : 'no';
  }
  if (s.minLen > max || s.badLiteral >= 0 || s.impossible >= 0) return 'stop';
  if (s.maxFitting < spec.min) return 'no';
  return !shaped || !s.literalOnly || literalFits(ctx, kind, from, to) ? 'ok' : 'no';
}

/** Segment ends `q` (ascending) for a variable starting at `p`, in this mode. */
function* ends(ctx: AlignContext, variable: number, p: number, mode: AlignMode) {
  const m = ctx.body.units.length;
  if (mode === 'any') {
    for (let q = p; q <= m; q++) yield q;
    return;
  }
  const kind = ctx.t.variables[variable]!.kind;
  const spec = KIND_SPECS[kind];
  const s = emptyStats();
  for (let q = p; q <= m; q++) {
    if (q > p) addUnit(ctx, s, spec, q - 1);
    const st = status(ctx, kind, s, mode, p, q);
    if (st === 'stop') return;
    if (st === 'ok') yield q;
  }
}

function fixedAt(ctx: AlignContext, codes: Int32Array, p: number): boolean {
  const units = ctx.body.units;
  if (p + codes.length > units.length) return false;
  for (let i = 0; i < codes.length; i++) if (units[p + i] !== codes[i]) return false;
  return true;
}

export function segmentStats(ctx: AlignContext, variable: number, from: number, to: number) {
  const spec = KIND_SPECS[ctx.t.variables[variable]!.kind];
  const s = emptyStats();
  for (let u = from; u < to; u++) addUnit(ctx, s, spec, u);
  return s;
}

/** An alignment in which every segment passes `mode`, or `null`. */
export function align(ctx: AlignContext, mode: AlignMode): Segment[] | null {
  const { t } = ctx;
  const m = ctx.body.units.length;
  const k = t.tokens.length;
  const reach: Uint8Array[] = [new Uint8Array(m + 1)];
  reach[0]![0] = 1;
  for (let i = 0; i < k; i++) {
    const token = t.tokens[i]!;
    const cur = reach[i]!;
    const next = new Uint8Array(m + 1);
    let any = false;
    for (let p = 0; p <= m; p++) {
      if (cur[p] === 0) continue;
      if (token.type === 'fixed') {
        if (fixedAt(ctx, token.codes, p)) {
          next[p + token.codes.length] = 1;
          any = true;
        }
      } else if (mode === 'any') {
        next.fill(1, p);
        any = true;
        break;
      } else {
        for (const q of ends(ctx, token.index, p, mode)) {
          next[q] = 1;
          any = true;
        }
      }
    }
    if (!any) return null;
    reach.push(next);
  }
  if (reach[k]![m] !== 1) return null;

  // good[i][p]: tokens i.. line up with units p..m.
  const good: Uint8Array[] = new Array(k + 1);
  good[k] = new Uint8Array(m + 1);
  good[k]![m] = 1;
  for (let i = k - 1; i >= 0; i--) {
    const token = t.tokens[i]!;
    const g = new Uint8Array(m + 1);
    const after = good[i + 1]!;
    if (token.type === 'variable' && mode === 'any') {
      // Any segment: p works when some later position does.
      let later = false;
      for (let p = m; p >= 0; p--) {
        if (after[p] === 1) later = true;
        if (later && reach[i]![p] === 1) g[p] = 1;
      }
      good[i] = g;
      continue;
    }
    for (let p = 0; p <= m; p++) {
      if (reach[i]![p] === 0) continue;
      if (token.type === 'fixed') {
        if (p + token.codes.length <= m && after[p + token.codes.length] === 1) g[p] = 1;
      } else {
        for (const q of ends(ctx, token.index, p, mode)) {
          if (after[q] === 1) {
            g[p] = 1;
            break;
          }
        }
      }
    }
    good[i] = g;
  }

  const segments: Segment[] = [];
  let p = 0;
  for (let i = 0; i < k; i++) {
    const token = t.tokens[i]!;
    if (token.type === 'fixed') {
      p += token.codes.length;
      continue;
    }
    let end = -1;
    if (mode === 'any') {
      end = good[i + 1]!.indexOf(1, p);
    } else {
      for (const q of ends(ctx, token.index, p, mode)) {
        if (good[i + 1]![q] === 1) {
          end = q;
          break;
        }
      }
    }
    const slots: number[] = [];
    for (let u = p; u < end; u++) {
      const unit = ctx.body.units[u]!;
      if (unit < 0) slots.push(-unit - 1);
    }
    segments.push({
      variable: token.index,
      from: p,
      to: end,
      slots,
      stats: segmentStats(ctx, token.index, p, end),
    });
    p = end;
  }
  return segments;
}

/** The segment as the user wrote it: `{CallSid}`, `"Ref {CallSid}"`, or `the empty value`. */
export function describeSegment(ctx: AlignContext, seg: Segment): string {
  if (seg.from === seg.to) return 'the empty value';
  const text = ctx.body.source.slice(ctx.body.starts[seg.from], ctx.body.starts[seg.to]);
  const single = seg.slots.length === 1 && seg.to - seg.from === 1;
  return single ? text : JSON.stringify(text);
}

function describeChars(chars: string): string {
  const list = Array.from(chars);
  if (list.length > 3) return 'characters';
  return list.map((c) => `'${c}'`).join(' or ');
}

/** Does the segment pass `mode`, and if not, why (for `possible`)? */
export function segmentVerdict(
  ctx: AlignContext,
  seg: Segment,
  mode: 'always' | 'possible',
): 'ok' | { code: VariableFailure; reason: string } {
  const kind = ctx.t.variables[seg.variable]!.kind;
  const s = seg.stats;
  if (status(ctx, kind, s, mode, seg.from, seg.to) === 'ok') return 'ok';
  const spec = KIND_SPECS[kind];
  const tag = `{#${kind}#}`;
  const max = maxLengthOf(kind, ctx.limits);
  const what = describeSegment(ctx, seg);
  if (s.minLen > max) {
    const length = s.minLen === s.maxLen ? `always ${s.minLen}` : `at least ${s.minLen}`;
    return {
      code: 'DLT_VARIABLE_TOO_LONG',
      reason: `${what} is ${length} characters; ${tag} allows at most ${max}.`,
    };
  }
  if (s.badLiteral >= 0) {
    return {
      code: 'DLT_VARIABLE_TYPE',
      reason: `${what} contains ${showChar(ctx.body.units[s.badLiteral]!)}, which ${tag} does not allow (${spec.nature}).`,
    };
  }
  if (s.impossible >= 0) {
    const slot = ctx.body.slots[s.impossible]!;
    return {
      code: 'DLT_VARIABLE_TYPE',
      reason: `${slot.raw} always contains ${describeChars(s.impossibleChars)} that ${tag} does not allow (${spec.nature}).`,
    };
  }
  if (s.maxFitting < spec.min) {
    return {
      code: 'DLT_VARIABLE_TYPE',
      reason: `${tag} needs a value (${spec.nature}), but ${what} cannot provide one.`,
    };
  }
  if (s.literalOnly) {
    const text = ctx.body.source.slice(ctx.body.starts[seg.from], ctx.body.starts[seg.to]);
    const listed = whitelistFailure(kind, text, ctx.whitelist);
    if (listed && (spec.validate === null || spec.validate(text)))
      return { code: listed, reason: `${what} is not on the whitelist for ${tag}.` };
    return { code: 'DLT_VARIABLE_TYPE', reason: `${what} is not ${spec.nature}.` };
  }
  return {
    code: 'DLT_VARIABLE_TYPE',
    reason: `${what} may not be ${spec.nature}.`,
  };
}
