/**
 * Encoding and segmentation of one SMS body, as a carrier will bill and split it.
 *
 * Glossary:
 * - unit: what a part's capacity is counted in: GSM-7 septets, or UCS-2 (UTF-16) code units.
 * - part / segment: one SMS of a concatenated message; 160 septets or 70 units alone,
 *   153 or 67 when a 6-octet concatenation header (UDH, 8-bit reference) takes its share.
 * - cluster: a user-perceived character (UAX #29 extended grapheme cluster).
 *
 * Rules: the encoding is decided for the whole message (GSM-7 only when every character is in
 * GSM 03.38). Parts are filled greedily. By default they are cut where the standard and the
 * carriers cut (GSM 03.40): a GSM-7 part holds 153 septets and never ends inside an escape
 * pair, a UCS-2 part holds 67 code units and never ends inside a surrogate pair. With
 * `splitGraphemes` (the `sms.splitGraphemes` setting) no grapheme cluster (an Indic conjunct,
 * a ZWJ emoji sequence, CR LF) is split either: a cluster that does not fit moves whole to the
 * next part, which can cost a part more; a cluster longer than a whole part is split at code
 * point boundaries as a last resort. The text itself is never changed: the parts join back to
 * it exactly.
 */

import { CallflowError } from '../errors.ts';
import { markClusters } from './graphemes.ts';
import { GSM7_SEPTETS } from './gsm7.ts';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface NonGsmCharacter {
  /** The grapheme cluster that holds a character outside GSM 03.38. */
  char: string;
  /** UTF-16 index of the cluster in the text. */
  index: number;
}

export interface SmsSplitOptions {
  /**
   * Keep grapheme clusters whole across parts (`sms.splitGraphemes`). Default false: cut where
   * GSM 03.40 and the carriers do, which never costs more parts.
   */
  splitGraphemes?: boolean | undefined;
}

export interface SmsInspection {
  encoding: SmsEncoding;
  /** How the parts were cut: `standard` (GSM 03.40) or `graphemes` (clusters kept whole). */
  split: 'standard' | 'graphemes';
  /** Parts the carrier sends and bills; 1 for an empty text. */
  segments: number;
  /** User-perceived characters (grapheme clusters). */
  characters: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text. */
  units: number;
  /** 160 or 70 for a single part, 153 or 67 for a concatenated message. */
  unitsPerSegment: number;
  /** Units still free in the last part. */
  remaining: number;
  /** The text of each part; `parts.join('') === text`. */
  parts: string[];
  /**
   * Parts the text needs when grapheme clusters are kept whole (`sms.splitGraphemes`): what
   * that setting would cost. Equal to `segments` when it is on. Computed on first read.
   */
  readonly graphemeSegments: number;
  /**
   * Clusters that force UCS-2, in order. A getter, computed on first read: the delivery
   * path inspects every message and never needs it. JSON.stringify includes it (toJSON);
   * object spread does not, so copy it by name.
   */
  readonly nonGsm: NonGsmCharacter[];
}

export const GSM7_SINGLE = 160;
export const GSM7_CONCATENATED = 153;
export const UCS2_SINGLE = 70;
export const UCS2_CONCATENATED = 67;

export function inspectSms(text: string, options?: SmsSplitOptions): SmsInspection {
  if (typeof text !== 'string') {
    throw new CallflowError('INVALID_TEXT', `SMS text must be a string, got ${describe(text)}`);
  }
  const keepClusters = options?.splitGraphemes === true;
  // One pass for GSM-7: septets, CR LF pairs, and where 153-septet parts would end (used
  // only when the text needs more than one part). An escape pair costs 2 septets and moves
  // whole, so it is never split. The first character outside GSM 03.38 hands the text to
  // the UCS-2 path.
  const n = text.length;
  let septets = 0;
  let crlfCount = 0;
  let used = 0;
  let cuts: number[] | undefined;
  for (let i = 0; i < n; ) {
    const unit = text.charCodeAt(i);
    let cost = GSM7_SEPTETS[unit]!;
    if (cost === 0) return inspectUcs2(text, i, keepClusters);
    let width = 1;
    if (unit === 0x0d && text.charCodeAt(i + 1) === 0x0a) {
      crlfCount++;
      // CR LF is one cluster (and one character) but two septets, which the standard may
      // put in different parts.
      if (keepClusters) {
        cost = 2;
        width = 2;
      }
    }
    used += cost;
    if (used > GSM7_CONCATENATED) {
      cuts ??= [];
      cuts.push(i);
      used = cost;
    }
    septets += cost;
    i += width;
  }
  const characters = n - crlfCount;
  if (septets <= GSM7_SINGLE) {
    const remaining = GSM7_SINGLE - septets;
    return new Inspection(
      'GSM-7',
      keepClusters,
      characters,
      septets,
      GSM7_SINGLE,
      remaining,
      [text],
      text,
      -1,
    );
  }
  const parts: string[] = [];
  let start = 0;
  for (const cut of cuts!) {
    parts.push(text.slice(start, cut));
    start = cut;
  }
  parts.push(text.slice(start));
  const remaining = GSM7_CONCATENATED - used;
  return new Inspection(
    'GSM-7',
    keepClusters,
    characters,
    septets,
    GSM7_CONCATENATED,
    remaining,
    parts,
    text,
    -1,
  );
}

/**
 * Cluster marks of the text being inspected (see markClusters). One buffer for every call:
 * inspectSms is synchronous and never re-entered, and a fresh typed array per message
 * would cost more than the rest of the work on a short text.
 */
let marks = new Uint8Array(1024);

function inspectUcs2(text: string, firstNonGsm: number, keepClusters: boolean): SmsInspection {
  const n = text.length;
  if (marks.length <= n) marks = new Uint8Array(2 * n + 2);
  const inside = marks;
  const characters = markClusters(text, inside);
  if (characters < 0) throw invalidAt(text, -1 - characters);
  let parts: string[];
  let remaining: number;
  let unitsPerSegment: number;
  if (n <= UCS2_SINGLE) {
    parts = [text];
    unitsPerSegment = UCS2_SINGLE;
    remaining = UCS2_SINGLE - n;
  } else {
    parts = [];
    let start = 0;
    while (n - start > UCS2_CONCATENATED) {
      let cut = start + UCS2_CONCATENATED;
      if (keepClusters) while (cut > start && inside[cut] === 1) cut--;
      if (cut === start || !keepClusters) {
        // The standard split, or one cluster longer than a whole part: cut at a code point
        // boundary, never inside a surrogate pair.
        cut = start + UCS2_CONCATENATED;
        if (isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
      }
      parts.push(text.slice(start, cut));
      start = cut;
    }
    parts.push(text.slice(start));
    unitsPerSegment = UCS2_CONCATENATED;
    remaining = UCS2_CONCATENATED - (n - start);
  }
  return new Inspection(
    'UCS-2',
    keepClusters,
    characters,
    n,
    unitsPerSegment,
    remaining,
    parts,
    text,
    firstNonGsm,
  );
}

/**
 * The result of inspectSms. A class rather than an object literal so that nonGsm can be a
 * cheap lazy getter: a Devanagari text has a non-GSM cluster for almost every letter, and
 * listing them would double the cost of inspecting it.
 */
class Inspection implements SmsInspection {
  readonly encoding: SmsEncoding;
  readonly split: 'standard' | 'graphemes';
  readonly segments: number;
  readonly characters: number;
  readonly units: number;
  readonly unitsPerSegment: number;
  readonly remaining: number;
  readonly parts: string[];
  #text: string;
  /** Where to start looking for non-GSM characters; -1 when there are none. */
  #firstNonGsm: number;
  #nonGsm: NonGsmCharacter[] | undefined;
  #graphemeSegments: number | undefined;

  constructor(
    encoding: SmsEncoding,
    keepClusters: boolean,
    characters: number,
    units: number,
    unitsPerSegment: number,
    remaining: number,
    parts: string[],
    text: string,
    firstNonGsm: number,
  ) {
    this.encoding = encoding;
    this.split = keepClusters ? 'graphemes' : 'standard';
    this.segments = parts.length;
    this.characters = characters;
    this.units = units;
    this.unitsPerSegment = unitsPerSegment;
    this.remaining = remaining;
    this.parts = parts;
    this.#text = text;
    this.#firstNonGsm = firstNonGsm;
    this.#nonGsm = undefined;
    this.#graphemeSegments = keepClusters || parts.length === 1 ? parts.length : undefined;
  }

  get graphemeSegments(): number {
    this.#graphemeSegments ??= inspectSms(this.#text, { splitGraphemes: true }).segments;
    return this.#graphemeSegments;
  }

  get nonGsm(): NonGsmCharacter[] {
    this.#nonGsm ??= this.#firstNonGsm < 0 ? [] : findNonGsm(this.#text, this.#firstNonGsm);
    return this.#nonGsm;
  }

  toJSON(): Omit<SmsInspection, 'nonGsm' | 'graphemeSegments'> & {
    graphemeSegments: number;
    nonGsm: NonGsmCharacter[];
  } {
    return {
      encoding: this.encoding,
      split: this.split,
      segments: this.segments,
      graphemeSegments: this.graphemeSegments,
      characters: this.characters,
      units: this.units,
      unitsPerSegment: this.unitsPerSegment,
      remaining: this.remaining,
      parts: this.parts,
      nonGsm: this.nonGsm,
    };
  }
}

function invalidAt(text: string, index: number): CallflowError {
  const unit = text.charCodeAt(index);
  const what =
    unit === 0 ? 'NUL (U+0000)' : `a lone surrogate (U+${unit.toString(16).toUpperCase()})`;
  return new CallflowError('INVALID_TEXT', `SMS text contains ${what} at index ${index}`, {
    index,
  });
}

/** The clusters from `from` on that hold a character outside GSM 03.38. */
function findNonGsm(text: string, from: number): NonGsmCharacter[] {
  const n = text.length;
  const inside = new Uint8Array(n + 1);
  markClusters(text, inside);
  const found: NonGsmCharacter[] = [];
  for (let i = from; i < n; ) {
    if (GSM7_SEPTETS[text.charCodeAt(i)] !== 0) {
      i++;
      continue;
    }
    let start = i;
    let end = i + 1;
    while (inside[start] === 1) start--;
    while (end < n && inside[end] === 1) end++;
    found.push({ char: text.slice(start, end), index: start });
    i = end;
  }
  return found;
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return typeof value;
}
