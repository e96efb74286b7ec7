/**
 * The matching engine: a dynamic programme over (template token, message position).
 *
 * `layers[i]` marks every message position (in code points) where some way of matching the
 * first `i` tokens ends. A fixed token moves each mark by its length when the text is there;
 * a variable spreads each mark over the lengths it accepts. Every variable is bounded
 * (except in the relaxed `unbounded` mode, where a variable takes everything after its first
 * mark in one sweep), so the work is O(n × tokens × longest variable): linear in the message,
 * whatever the input. No regular expression, no backtracking.
 *
 * When the message matches, `assign` picks the values: going left to right, each variable
 * takes the shortest value that still lets the rest of the message match.
 */

import type { CompiledTemplate, FixedToken } from './template.ts';
import { type CodeText, commonPrefix, recovery, sliceCodes } from './text.ts';

/** What one variable accepts in a given run. */
export interface Slot {
  min: number;
  /** `Infinity` only together with `allowed === null` (the relaxed run). */
  max: number;
  allowed: ((cp: number) => boolean) | null;
  validate: ((value: string) => boolean) | null;
}

/**
 * Marks of a forward pass: layer `i` is `marks[i * stride .. i * stride + n]`. The buffer is
 * scratch space shared by every pass (small typed arrays are costly to allocate), so a
 * `Layers` is valid only until the next `forward` call.
 */
export interface Layers {
  marks: Uint8Array;
  stride: number;
  lo: number[];
  hi: number[];
  /** Every token was matched and the last one ends at the end of the message. */
  ok: boolean;
}

/** The furthest partial match, for mismatch reports. */
export interface Departure {
  progress: number;
  /** Template characters that line up again after one edit (see `recovery`). */
  recovery: number;
  /** That edit is a missing or extra character rather than a substitution. */
  gap: boolean;
  /** Code point position in the message. */
  pos: number;
  /** The fixed token expected there and the offset into it; `null` = end of message expected. */
  token: FixedToken | null;
  offset: number;
}

export interface Counter {
  steps: number;
}

let markScratch = new Uint8Array(4096);
let goodScratch = new Uint8Array(4096);

function scratch(which: 'mark' | 'good', size: number): Uint8Array {
  let buf = which === 'mark' ? markScratch : goodScratch;
  if (buf.length < size) {
    buf = new Uint8Array(Math.max(size, buf.length * 2));
    if (which === 'mark') markScratch = buf;
    else goodScratch = buf;
  } else buf.fill(0, 0, size);
  return buf;
}

/**
 * Is a partial match that reached template `progress` exactly, `rec` more characters after
 * one edit, at message position `pos`, a better departure point than `d`? Furthest in the
 * template first (counting what lines up after the edit), then furthest exactly, then a
 * missing or extra character over a substitution; then, where the text lines up again, the
 * earliest edit; where nothing does, the furthest point in the message (often its end).
 */
export function betterDeparture(
  d: Departure | null,
  progress: number,
  rec: { chars: number; gap: boolean },
  pos: number,
): boolean {
  if (!d) return true;
  const reach = progress + rec.chars;
  if (reach !== d.progress + d.recovery) return reach > d.progress + d.recovery;
  if (progress !== d.progress) return progress > d.progress;
  if (rec.gap !== d.gap) return rec.gap;
  return rec.chars > 0 ? pos < d.pos : pos > d.pos;
}

const NO_RECOVERY = { chars: 0, gap: false };

/** Forward pass. With `departure`, records the furthest partial match of the fixed text. */
export function forward(
  t: CompiledTemplate,
  slots: readonly Slot[],
  msg: CodeText,
  counter: Counter,
  departure?: { best: Departure | null },
): Layers {
  const codes = msg.codes;
  const n = codes.length;
  const stride = n + 1;
  const tokens = t.tokens;
  const marks = scratch('mark', (tokens.length + 1) * stride);
  marks[0] = 1;
  const lo = [0];
  const hi = [0];
  let steps = 0;
  let ok = true;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const cur = i * stride;
    const next = cur + stride;
    const cl = lo[i]!;
    const ch = hi[i]!;
    let nl = n + 1;
    let nh = -1;
    if (token.type === 'fixed') {
      const f = token.codes;
      const len = f.length;
      for (let p = cl; p <= ch; p++) {
        steps++;
        if (marks[cur + p] === 0) continue;
        const m = commonPrefix(codes, p, f, 0);
        steps += m;
        if (m === len) {
          marks[next + p + len] = 1;
          if (p + len < nl) nl = p + len;
          nh = p + len;
        } else if (departure) {
          const progress = token.progress + m;
          const b = departure.best;
          // Recovery adds at most the rest of the token: skip probes that cannot win.
          if (!b || progress + len - m >= b.progress + b.recovery) {
            const rec = recovery(f, m, codes, p + m);
            steps += len;
            if (betterDeparture(b, progress, rec, p + m))
              departure.best = {
                progress,
                recovery: rec.chars,
                gap: rec.gap,
                pos: p + m,
                token,
                offset: m,
              };
          }
        }
      }
    } else {
      const slot = slots[token.index]!;
      if (slot.max === Number.POSITIVE_INFINITY && slot.allowed === null) {
        // Any characters, any length: every position from the first mark on.
        let p = cl;
        while (p <= ch && marks[cur + p] === 0) p++;
        if (p <= ch && p + slot.min <= n) {
          marks.fill(1, next + p + slot.min, next + n + 1);
          nl = p + slot.min;
          nh = n;
        }
        steps += n - cl + 1;
      } else if (slot.max === Number.POSITIVE_INFINITY) {
        // Allowed characters, any length: a value from p ends anywhere up to the first
        // character not allowed. Starts are visited in order and the run end only moves
        // forward, so every position is scanned and marked once.
        const allowed = slot.allowed!;
        let runEnd = -1;
        let marked = -1;
        for (let p = cl; p <= ch; p++) {
          steps++;
          if (marks[cur + p] === 0) continue;
          if (runEnd < p) runEnd = p;
          while (runEnd < n && allowed(codes[runEnd]!)) {
            runEnd++;
            steps++;
          }
          for (let q = Math.max(p + slot.min, marked + 1); q <= runEnd; q++) {
            marks[next + q] = 1;
            if (q < nl) nl = q;
            nh = q;
            marked = q;
          }
        }
      } else {
        const { min, max, allowed, validate } = slot;
        for (let p = cl; p <= ch; p++) {
          steps++;
          if (marks[cur + p] === 0) continue;
          const end = Math.min(n, p + max);
          for (let q = p; q <= end; q++) {
            steps++;
            if (q > p && allowed !== null && !allowed(codes[q - 1]!)) break;
            if (q - p < min) continue;
            if (validate !== null && !validate(sliceCodes(msg, p, q))) continue;
            marks[next + q] = 1;
            if (q < nl) nl = q;
            if (q > nh) nh = q;
          }
        }
      }
    }
    lo.push(nl);
    hi.push(nh);
    if (nh < 0) {
      ok = false;
      break;
    }
  }
  if (ok) {
    const k = tokens.length;
    const last = k * stride;
    ok = marks[last + n] === 1;
    if (!ok && departure) {
      // The template is used up before the message: "end of message" expected there.
      for (let p = hi[k]!; p >= lo[k]!; p--) {
        steps++;
        if (marks[last + p] === 1) {
          if (betterDeparture(departure.best, t.progressLength, NO_RECOVERY, p))
            departure.best = {
              progress: t.progressLength,
              recovery: 0,
              gap: false,
              pos: p,
              token: null,
              offset: 0,
            };
          break;
        }
      }
    }
  }
  counter.steps += steps;
  return { marks, stride, lo, hi, ok };
}

/**
 * Values of a successful match: left to right, each variable takes the shortest value that
 * still lets the rest match. Needs `layers.ok`.
 */
export function assign(
  t: CompiledTemplate,
  slots: readonly Slot[],
  msg: CodeText,
  layers: Layers,
  counter: Counter,
): string[] {
  const n = msg.codes.length;
  const k = t.tokens.length;
  const { marks, stride } = layers;
  let steps = 0;
  // good[i * stride + p]: tokens i.. can match the message from p to its end.
  const good = scratch('good', (k + 1) * stride);
  good[k * stride + n] = 1;
  for (let i = k - 1; i >= 0; i--) {
    const token = t.tokens[i]!;
    const reach = i * stride;
    const after = reach + stride;
    const l = layers.lo[i]!;
    const h = layers.hi[i]!;
    if (token.type === 'fixed') {
      const len = token.codes.length;
      for (let p = l; p <= h; p++) {
        steps++;
        if (marks[reach + p] === 1 && p + len <= n && good[after + p + len] === 1)
          good[reach + p] = 1;
      }
    } else {
      const slot = slots[token.index]!;
      if (slot.max === Number.POSITIVE_INFINITY) {
        let seen = false;
        for (let p = n; p >= l; p--) {
          steps++;
          if (p + slot.min <= n && good[after + p + slot.min] === 1) seen = true;
          if (seen && p <= h && marks[reach + p] === 1) good[reach + p] = 1;
        }
      } else {
        for (let p = l; p <= h; p++) {
          steps++;
          if (marks[reach + p] === 1 && firstEnd(slot, msg, p, good, after) >= 0)
            good[reach + p] = 1;
        }
      }
    }
  }

  const values: string[] = [];
  let p = 0;
  for (let i = 0; i < k; i++) {
    const token = t.tokens[i]!;
    if (token.type === 'fixed') {
      p += token.codes.length;
      continue;
    }
    const q = firstEnd(slots[token.index]!, msg, p, good, (i + 1) * stride);
    steps += q - p + 1;
    values.push(sliceCodes(msg, p, q));
    p = q;
  }
  counter.steps += steps;
  return values;
}

/** The smallest end `q` of a value starting at `p` that the slot accepts and `after` marks. */
function firstEnd(slot: Slot, msg: CodeText, p: number, good: Uint8Array, after: number): number {
  const n = msg.codes.length;
  const limit = Math.min(n, p + slot.max);
  for (let q = p; q <= limit; q++) {
    if (q > p && slot.allowed !== null && !slot.allowed(msg.codes[q - 1]!)) return -1;
    if (q - p < slot.min || good[after + q] !== 1) continue;
    if (slot.validate === null || slot.validate(sliceCodes(msg, p, q))) return q;
  }
  return -1;
}
