/**
 * Text as code points. DLT lengths are counted in characters; we count Unicode code points
 * (an emoji is one character, a Devanagari conjunct is several), and we never split a
 * surrogate pair. Positions reported to callers are UTF-16 indexes into the original string.
 */

export interface CodeText {
  readonly source: string;
  /** One entry per code point; a lone surrogate is kept as its own code unit. */
  readonly codes: Int32Array;
  /** UTF-16 index of each code point, plus the string length; `null` when they coincide. */
  readonly offsets: Int32Array | null;
}

let scratchCodes = new Int32Array(1024);

/**
 * Code points of `source`. With `transient`, the codes live in a shared scratch buffer
 * (allocating a typed array per message is a large part of a look-up's cost): the result is
 * valid only until the next transient call. The matcher uses it for the message it is
 * matching, which it never keeps.
 */
export function toCodeText(source: string, transient = false): CodeText {
  const len = source.length;
  let astral = false;
  for (let i = 0; i < len; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = source.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        astral = true;
        break;
      }
    }
  }
  if (!astral) {
    if (transient && scratchCodes.length < len) scratchCodes = new Int32Array(len * 2);
    const codes = transient ? scratchCodes.subarray(0, len) : new Int32Array(len);
    for (let i = 0; i < len; i++) codes[i] = source.charCodeAt(i);
    return { source, codes, offsets: null };
  }
  const codes: number[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < len; ) {
    const cp = source.codePointAt(i)!;
    codes.push(cp);
    offsets.push(i);
    i += cp > 0xffff ? 2 : 1;
  }
  offsets.push(len);
  return { source, codes: Int32Array.from(codes), offsets: Int32Array.from(offsets) };
}

/** UTF-16 index of code point position `pos`. */
export function utf16At(text: CodeText, pos: number): number {
  return text.offsets ? text.offsets[pos]! : pos;
}

/** The source text between two code point positions. */
export function sliceCodes(text: CodeText, from: number, to: number): string {
  return text.source.slice(utf16At(text, from), utf16At(text, to));
}

/** Length of the common prefix of `a` from `ai` and `b` from `bi`. */
export function commonPrefix(a: Int32Array, ai: number, b: Int32Array, bi: number): number {
  let k = 0;
  while (ai + k < a.length && bi + k < b.length && a[ai + k] === b[bi + k]) k++;
  return k;
}

/**
 * How well the fixed text lines up again after one edit at a departure point (`ei` in the
 * expected text, `fi` in the found text): `chars` template characters are explained when one
 * character there is substituted, missing or extra (0 when nothing lines up again). Ranks
 * partial matches: a departure after which the rest of the fixed text agrees is the
 * plausible one. `gap` says the best edit is a missing or extra character, which is
 * preferred over a substitution explaining as much: after a variable, "Ravi your" reads
 * better as a missing comma than as an 'i' that should have been one.
 */
export function recovery(
  expected: Int32Array,
  ei: number,
  found: Int32Array,
  fi: number,
): { chars: number; gap: boolean } {
  if (ei >= expected.length) return { chars: 0, gap: false };
  const more = fi < found.length;
  const substituted = more ? commonPrefix(expected, ei + 1, found, fi + 1) : 0;
  const missing = commonPrefix(expected, ei + 1, found, fi);
  const extra = more ? commonPrefix(expected, ei, found, fi + 1) : 0;
  const sub = substituted > 0 ? substituted + 1 : 0;
  const gap = Math.max(missing > 0 ? missing + 1 : 0, extra);
  return gap >= sub ? { chars: gap, gap: gap > 0 } : { chars: sub, gap: false };
}

/** Characters shown on each side of a departure. */
export const EXCERPT_LENGTH = 20;

export function codesToString(codes: Int32Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCodePoint(codes[i]!);
  return s;
}

export function isAsciiDigit(cp: number): boolean {
  return cp >= 48 && cp <= 57;
}

export function isAsciiAlphanumeric(cp: number): boolean {
  return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
}

/** Printable quote for messages: `'x'`, with invisible characters spelled out. */
export function showChar(cp: number): string {
  if (cp === 10) return 'a newline';
  if (cp === 13) return 'a carriage return';
  if (cp === 9) return 'a tab';
  if (cp === 32) return 'a space';
  return `'${String.fromCodePoint(cp)}'`;
}
