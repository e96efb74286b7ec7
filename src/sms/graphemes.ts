/**
 * Grapheme clusters (UAX #29 extended grapheme clusters, exactly as Intl.Segmenter finds
 * them), found by a small state machine instead of Intl.Segmenter, which costs about 3 µs
 * per call plus 0.1 µs per cluster: too slow for counting segments of every message.
 *
 * The state machine implements the rules GB3-GB13 and GB999. The properties it needs for
 * each code point (Grapheme_Cluster_Break, Extended_Pictographic, Indic_Conjunct_Break) are
 * not all available to JavaScript, so they are derived, once per code point and on first
 * sight, by asking Intl.Segmenter about a few short probe strings. The machine therefore
 * follows the ICU that Node ships, whatever its Unicode version. What it does not model
 * (Hangul conjoining jamo, unassigned code points) sends the whole text to Intl.Segmenter.
 * `graphemes.test.ts` compares both on every BMP code point and on random strings.
 */

// Grapheme_Cluster_Break classes (low 4 bits of a code point's properties).
const OTHER = 0;
const CR = 1;
const LF = 2;
const CONTROL = 3;
const EXTEND = 4;
const ZWJ = 5;
const REGIONAL = 6;
const PREPEND = 7;
const SPACING_MARK = 8;
/** Not modelled here: the text goes to Intl.Segmenter. */
const UNKNOWN = 15;
const CLASS_MASK = 15;
// Flags.
const PICTOGRAPHIC = 16;
const INCB_CONSONANT = 32;
const INCB_LINKER = 64;
const INCB_EXTEND = 128;
/** Set once a BMP code point has been classified. */
const KNOWN = 256;

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

function clusterCount(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

const PICTOGRAPHIC_PATTERN = /^\p{Extended_Pictographic}$/u;
const REGIONAL_PATTERN = /^\p{Regional_Indicator}$/u;
const UNMODELLED_PATTERN = /^\p{Cn}$/u;
// Probe partners: DEVANAGARI LETTER KA (InCB=Consonant), DEVANAGARI SIGN VIRAMA
// (InCB=Linker), WHITE SMILING FACE (Extended_Pictographic), COMBINING GRAVE ACCENT (Extend).
const KA = '\u0915';
const VIRAMA = '\u094d';
const SMILE = '\u263a';
const GRAVE = '\u0300';

function isHangulJamo(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x11ff) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xd7b0 && cp <= 0xd7ff)
  );
}

/** The properties of one code point, from Unicode regexes and Intl.Segmenter probes. */
function classify(cp: number): number {
  if (cp === 0x0d) return CR;
  if (cp === 0x0a) return LF;
  const char = String.fromCodePoint(cp);
  if (isHangulJamo(cp) || UNMODELLED_PATTERN.test(char)) return UNKNOWN;
  let props = PICTOGRAPHIC_PATTERN.test(char) ? PICTOGRAPHIC : 0;
  if (REGIONAL_PATTERN.test(char)) return REGIONAL | props;
  const joinsPrevious = clusterCount(`a${char}`) === 1;
  if (joinsPrevious) {
    // Extend and SpacingMark both join what precedes; only Extend may sit between an
    // emoji and a ZWJ that continues it (GB11).
    const extend = clusterCount(`${SMILE}${char}\u200d${SMILE}`) === 1;
    props |= cp === 0x200d ? ZWJ : extend ? EXTEND : SPACING_MARK;
    if (clusterCount(`${KA}${char}${KA}`) === 1) props |= INCB_LINKER;
    else if (clusterCount(`${KA}${char}${VIRAMA}${KA}`) === 1) props |= INCB_EXTEND;
    return props;
  }
  if (clusterCount(`${char}${GRAVE}`) === 2) return CONTROL | props;
  if (clusterCount(`${char}a`) === 1) return PREPEND | props;
  if (clusterCount(`${KA}${VIRAMA}${char}`) === 1) props |= INCB_CONSONANT;
  return OTHER | props;
}

const bmp = new Uint16Array(0x10000);
const astral = new Map<number, number>();

/** The grapheme properties of a code point (classified on first use, then cached). */
function graphemeProperties(cp: number): number {
  if (cp < 0x10000) {
    let props = bmp[cp]!;
    if (props === 0) {
      props = classify(cp) | KNOWN;
      bmp[cp] = props;
    }
    return props;
  }
  let props = astral.get(cp);
  if (props === undefined) {
    props = classify(cp) | KNOWN;
    astral.set(cp, props);
  }
  return props;
}

/**
 * Marks the grapheme clusters of `text` in `inside`: inside[i] is 1 when position i falls
 * inside a cluster (is not a cluster boundary) and 0 otherwise, for 0 <= i < text.length;
 * `inside` may hold anything beforehand. Returns the number of clusters, or -1 - i when
 * the code unit at i cannot be in a message: NUL or a lone surrogate.
 */
export function markClusters(text: string, inside: Uint8Array): number {
  const n = text.length;
  let clusters = 0;
  let prev = -1;
  // Consecutive regional indicators ending at the previous code point.
  let regionalRun = 0;
  // GB11: 1 after ExtPict Extend*, 2 after ExtPict Extend* ZWJ.
  let emoji = 0;
  // GB9c: 1 after an InCB consonant followed by InCB Extend*, 2 once a linker was seen.
  let conjunct = 0;
  for (let i = 0; i < n; ) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (cp > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return -1 - i;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      width = 2;
      inside[i + 1] = 1;
    } else if (cp === 0) {
      return -1 - i;
    }
    let props = cp < 0x10000 ? bmp[cp]! : (astral.get(cp) ?? 0);
    if (props === 0) props = graphemeProperties(cp);
    const cls = props & CLASS_MASK;
    if (cls === UNKNOWN) return markWithSegmenter(text, inside, i);
    let join: boolean;
    if (prev === -1) join = false;
    else if (prev === CR) join = cls === LF;
    else if (prev === CONTROL || prev === LF) join = false;
    else if (cls === CONTROL || cls === CR || cls === LF) join = false;
    else if (cls === EXTEND || cls === ZWJ || cls === SPACING_MARK) join = true;
    else if (prev === PREPEND) join = true;
    else if ((props & INCB_CONSONANT) !== 0 && conjunct === 2) join = true;
    else if ((props & PICTOGRAPHIC) !== 0 && emoji === 2 && prev === ZWJ) join = true;
    else if (cls === REGIONAL && prev === REGIONAL) join = regionalRun % 2 === 1;
    else join = false;
    if (join) {
      inside[i] = 1;
    } else {
      inside[i] = 0;
      clusters++;
    }

    regionalRun = cls === REGIONAL ? regionalRun + 1 : 0;
    if ((props & PICTOGRAPHIC) !== 0) emoji = 1;
    else if (cls === EXTEND && emoji === 1) emoji = 1;
    else if (cls === ZWJ && emoji === 1) emoji = 2;
    else emoji = 0;
    if ((props & INCB_CONSONANT) !== 0) conjunct = 1;
    else if ((props & INCB_LINKER) !== 0 && conjunct !== 0) conjunct = 2;
    else if ((props & INCB_EXTEND) === 0) conjunct = 0;
    prev = cls;
    i += width;
  }
  return clusters;
}

/** markClusters for a text with something the state machine does not model. */
function markWithSegmenter(text: string, inside: Uint8Array, from: number): number {
  const n = text.length;
  for (let i = from; i < n; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return -1 - i;
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const low = text.charCodeAt(i + 1);
      if (unit > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) return -1 - i;
      i++;
    }
  }
  inside.fill(0, 0, n);
  let clusters = 0;
  for (const { index, segment } of segmenter.segment(text)) {
    clusters++;
    for (let k = 1; k < segment.length; k++) inside[index + k] = 1;
  }
  return clusters;
}

/** The UTF-16 start index of every grapheme cluster, straight from Intl.Segmenter. */
export function segmenterClusterStarts(text: string): number[] {
  const starts: number[] = [];
  for (const { index } of segmenter.segment(text)) starts.push(index);
  return starts;
}
