/**
 * Proposals that would make a text GSM-7, for editors to offer: curly quotes to straight
 * ones, dashes to hyphens, unicode spaces to one space, zero-width characters removed, and
 * so on. Inspired by Twilio's Smart Encoding map, with two of its slips fixed (it turns some
 * spaces into two spaces, and its 1.2 release swaps ‹ and ›).
 *
 * Never applied automatically: a DLT template matches the exact text, so a changed body
 * would be refused. The editor shows the proposal; the author decides (docs/sms.md).
 */

import { CallflowError } from '../errors.ts';
import { GSM7_SEPTETS } from './gsm7.ts';
import type { NonGsmCharacter } from './segments.ts';

export interface GsmReplacement {
  /** UTF-16 index in the original text. */
  index: number;
  from: string;
  to: string;
}

export interface GsmSuggestion {
  /** The text with every replacement applied. */
  text: string;
  replacements: GsmReplacement[];
  /** Clusters no replacement could make GSM-7, at their index in the original text. */
  remainingNonGsm: NonGsmCharacter[];
}

/** [characters, what each one becomes]. Invisible characters are written as escapes. */
const GROUPS: readonly [string, string][] = [
  // Quotes and apostrophes; the angle quotes the right way round.
  ['«»“”„‟″ʺˮ❝❞〝〞＂', '"'],
  ['‘’‚‛′´`ʹʻʼʽˈˊˋ❛❜＇', "'"],
  ['‹', '<'],
  ['›', '>'],
  // Dashes, hyphens and bullets.
  ['‐‑‒–—―−⁃﹣－•‣◦∙·', '-'],
  // Dots and marks.
  ['…', '...'],
  ['‼', '!!'],
  ['⁇', '??'],
  ['⁈', '?!'],
  ['⁉', '!?'],
  ['。｡', '.'],
  // Tabs and unicode spaces: each becomes one space.
  [
    '\t\u000b\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' +
      '\u202f\u205f\u3000\u2028\u2029',
    ' ',
  ],
  // Invisible characters: removed.
  ['\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f', ''],
  // Slashes, fractions, arithmetic.
  ['÷⁄∕⧸', '/'],
  ['⧵⧹', '\\'],
  ['¼', '1/4'],
  ['½', '1/2'],
  ['¾', '3/4'],
  ['×', 'x'],
  // Symbols with a usual spelling.
  ['₹', 'Rs.'],
  ['™', 'TM'],
  ['©', '(C)'],
  ['®', '(R)'],
  // Other look-alikes.
  ['∣', '|'],
  ['∗✱', '*'],
  ['∼˜', '~'],
  ['ˆ', '^'],
  ['ː꞉', ':'],
  ['‗', '_'],
  ['ǃ', '!'],
];

const REPLACEMENTS = new Map<string, string>();
for (const [chars, to] of GROUPS) {
  for (const char of chars) REPLACEMENTS.set(char, to);
}

const REMOVE = '';

/** What `char` (one code point) would become, or undefined when nothing applies. */
function replacementFor(char: string): string | undefined {
  const mapped = REPLACEMENTS.get(char);
  if (mapped !== undefined) return mapped;
  const cp = char.codePointAt(0)!;
  // Fullwidth ASCII (U+FF01-U+FF5E) is the ASCII character 0xFEE0 lower.
  if (cp >= 0xff01 && cp <= 0xff5e) {
    const ascii = String.fromCharCode(cp - 0xfee0);
    return REPLACEMENTS.get(ascii) ?? ascii;
  }
  // Other control characters (C0 except LF, CR, FF; DEL; C1) and lone surrogates: removed.
  if (cp < 0x20 && cp !== 0x0a && cp !== 0x0d && cp !== 0x0c) return REMOVE;
  if ((cp >= 0x7f && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff)) return REMOVE;
  return undefined;
}

function allGsm(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (GSM7_SEPTETS[text.charCodeAt(i)] === 0) return false;
  }
  return true;
}

const COMBINING_MARKS = /\p{M}/gu;

/** A GSM-7 stand-in for a whole cluster, or undefined. */
function suggestCluster(cluster: string): string | undefined {
  let mapped = '';
  for (const char of cluster) mapped += replacementFor(char) ?? char;
  if (allGsm(mapped)) return mapped;
  // A decomposed letter may compose to a GSM one (e + U+0301 -> é).
  const composed = mapped.normalize('NFC');
  if (allGsm(composed)) return composed;
  // Accents GSM lacks are dropped (á -> a, ç -> c): the letter stays readable.
  const stripped = mapped.normalize('NFD').replace(COMBINING_MARKS, '');
  if (stripped !== '' && allGsm(stripped)) return stripped;
  return undefined;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function suggestGsm(text: string): GsmSuggestion {
  if (typeof text !== 'string') {
    throw new CallflowError('INVALID_TEXT', `SMS text must be a string, got ${typeof text}`);
  }
  const replacements: GsmReplacement[] = [];
  const remainingNonGsm: NonGsmCharacter[] = [];
  if (allGsm(text)) return { text, replacements, remainingNonGsm };
  let out = '';
  for (const { segment, index } of segmenter.segment(text)) {
    if (allGsm(segment)) {
      out += segment;
      continue;
    }
    const to = suggestCluster(segment);
    if (to === undefined) {
      remainingNonGsm.push({ char: segment, index });
      out += segment;
    } else {
      replacements.push({ index, from: segment, to });
      out += to;
    }
  }
  return { text: out, replacements, remainingNonGsm };
}
