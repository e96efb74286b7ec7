/**
 * Which registered templates does a message match? For accounts with thousands of templates.
 *
 * Every message that matches a template contains all of the template's fixed text. The
 * index keeps, for each template, one piece of it (a q-gram: 12 code points, or 6 when no
 * fixed fragment is that long) chosen to be the rarest among all templates, in a hash table.
 * A look-up hashes each window of the message (rolling hashes, one pass), collects the
 * templates whose piece occurs, drops those whose leading or trailing fixed text is not
 * where it must be, and verifies the rest with the matcher. The cost depends on the message
 * length and on how many templates share the message's text, not on how many templates
 * there are. Templates whose fixed fragments are all shorter than 6 are verified on every
 * look-up; few real templates are (lint requires 30% fixed text).
 */
import type { Slot } from './engine.ts';
import { type MatchOptions, matchValues, slotsFor } from './match.ts';
import { type DltLimits, resolveLimits } from './model.ts';
import { type CompiledTemplate, compileTemplate } from './template.ts';
import { toCodeText } from './text.ts';
import type { DltWhitelist } from './variables.ts';

/** Lengths of the indexed fragments, in code points. */
const LONG = 12;
const SHORT = 6;
const BASE = 0x01000193;

export interface TemplateIndexOptions {
  limits?: Partial<DltLimits>;
  whitelist?: DltWhitelist;
}

export interface FoundTemplate {
  templateId: string;
  values: string[];
}

interface Entry {
  templateId: string;
  template: CompiledTemplate;
  slots: Slot[];
  /** Fixed text the message must start / end with, if any. */
  head: Int32Array | null;
  tail: Int32Array | null;
}

// BASE^(q-1) modulo 2^32, to remove the outgoing character from a rolling hash.
function outFactor(q: number): number {
  let f = 1;
  for (let i = 1; i < q; i++) f = Math.imul(f, BASE);
  return f;
}
const OUT_LONG = outFactor(LONG);
const OUT_SHORT = outFactor(SHORT);

function gramsOf(codes: Int32Array, q: number, out: number, into: Set<number>): void {
  let h = 0;
  for (let i = 0; i < codes.length; i++) {
    if (i >= q) h = (h - Math.imul(codes[i - q]!, out)) | 0;
    h = (Math.imul(h, BASE) + codes[i]!) | 0;
    if (i >= q - 1) into.add(h);
  }
}

function rarest(grams: Set<number>, frequency: Map<number, number>): [number, number] {
  let best = Number.POSITIVE_INFINITY;
  let gram = 0;
  for (const g of grams) {
    const f = frequency.get(g)!;
    if (f < best) {
      best = f;
      gram = g;
    }
  }
  return [gram, best];
}

function count(grams: Set<number>, frequency: Map<number, number>): void {
  for (const g of grams) frequency.set(g, (frequency.get(g) ?? 0) + 1);
}

function addTo(buckets: Map<number, number[]>, gram: number, entry: number): void {
  const bucket = buckets.get(gram);
  if (bucket) bucket.push(entry);
  else buckets.set(gram, [entry]);
}

/**
 * Template lists by fragment hash, in open addressing: a look-up probes typed arrays instead
 * of a Map (it runs once per window of every message).
 */
class GramTable {
  readonly #mask: number;
  readonly #shift: number;
  readonly #keys: Int32Array;
  /** Templates of slot `s` are `items[from[s] .. from[s + 1]]`; empty slots have none. */
  readonly from: Int32Array;
  readonly items: Int32Array;
  readonly size: number;

  constructor(buckets: Map<number, number[]>) {
    let capacity = 16;
    while (capacity < buckets.size * 2) capacity *= 2;
    this.#mask = capacity - 1;
    this.#shift = 32 - Math.log2(capacity);
    this.#keys = new Int32Array(capacity);
    const lists: (number[] | undefined)[] = new Array(capacity);
    for (const [gram, list] of buckets) {
      let s = this.#slot(gram);
      while (lists[s] !== undefined) s = (s + 1) & this.#mask;
      this.#keys[s] = gram;
      lists[s] = list;
    }
    this.from = new Int32Array(capacity + 1);
    const items: number[] = [];
    for (let s = 0; s < capacity; s++) {
      this.from[s] = items.length;
      for (const i of lists[s] ?? []) items.push(i);
    }
    this.from[capacity] = items.length;
    this.items = Int32Array.from(items);
    this.size = buckets.size;
  }

  #slot(gram: number): number {
    return Math.imul(gram, 0x9e3779b1) >>> this.#shift;
  }

  /** The slot holding `gram`'s templates, or -1. */
  lookup(gram: number): number {
    const keys = this.#keys;
    const from = this.from;
    for (let s = this.#slot(gram); ; s = (s + 1) & this.#mask) {
      if (from[s] === from[s + 1]) return -1;
      if (keys[s] === gram) return s;
    }
  }
}

function occursAt(codes: Int32Array, at: number, piece: Int32Array): boolean {
  if (at < 0 || at + piece.length > codes.length) return false;
  for (let i = 0; i < piece.length; i++) if (codes[at + i] !== piece[i]) return false;
  return true;
}

export class TemplateIndex {
  readonly #entries: Entry[] = [];
  readonly #long: GramTable;
  readonly #short: GramTable;
  readonly #unindexed: number[] = [];
  readonly #limits: DltLimits;
  readonly #whitelist: DltWhitelist | undefined;
  #seen: Uint32Array;
  #stamp = 0;

  constructor(
    templates: Iterable<{ templateId: string; content: string }>,
    options?: TemplateIndexOptions,
  ) {
    this.#limits = resolveLimits(options?.limits);
    this.#whitelist = options?.whitelist;
    const longGrams: Set<number>[] = [];
    const shortGrams: Set<number>[] = [];
    const longFrequency = new Map<number, number>();
    const shortFrequency = new Map<number, number>();
    const longBuckets = new Map<number, number[]>();
    const shortBuckets = new Map<number, number[]>();
    for (const { templateId, content } of templates) {
      const template = compileTemplate(content);
      const tokens = template.tokens;
      const first = tokens[0];
      const last = tokens[tokens.length - 1];
      this.#entries.push({
        templateId,
        template,
        slots: slotsFor(template, 'strict', this.#limits, this.#whitelist),
        head: first?.type === 'fixed' ? first.codes : null,
        tail: last?.type === 'fixed' && tokens.length > 1 ? last.codes : null,
      });
      const long = new Set<number>();
      const short = new Set<number>();
      for (const token of tokens) {
        if (token.type !== 'fixed') continue;
        gramsOf(token.codes, LONG, OUT_LONG, long);
        gramsOf(token.codes, SHORT, OUT_SHORT, short);
      }
      longGrams.push(long);
      shortGrams.push(long.size > 0 ? new Set() : short);
      count(long, longFrequency);
      if (long.size === 0) count(short, shortFrequency);
    }
    for (let i = 0; i < this.#entries.length; i++) {
      const [longGram, longCount] = rarest(longGrams[i]!, longFrequency);
      const [shortGram, shortCount] = rarest(shortGrams[i]!, shortFrequency);
      if (longCount !== Number.POSITIVE_INFINITY) addTo(longBuckets, longGram, i);
      else if (shortCount !== Number.POSITIVE_INFINITY) addTo(shortBuckets, shortGram, i);
      else this.#unindexed.push(i);
    }
    this.#long = new GramTable(longBuckets);
    this.#short = new GramTable(shortBuckets);
    this.#seen = new Uint32Array(this.#entries.length);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Every template the message matches, in the order they were given, with the values. */
  find(message: string, options?: MatchOptions): FoundTemplate[] {
    const msg = toCodeText(message, true);
    const candidates = this.#candidates(msg.codes);
    const override = options?.limits !== undefined || options?.whitelist !== undefined;
    const limits = override ? resolveLimits({ ...this.#limits, ...options?.limits }) : this.#limits;
    const whitelist = options?.whitelist ?? this.#whitelist;
    const counter = options?.counter ?? { steps: 0 };
    const found: FoundTemplate[] = [];
    const n = msg.codes.length;
    for (const i of candidates) {
      const e = this.#entries[i]!;
      if (e.head && !occursAt(msg.codes, 0, e.head)) continue;
      if (e.tail && !occursAt(msg.codes, n - e.tail.length, e.tail)) continue;
      const slots = override ? slotsFor(e.template, 'strict', limits, whitelist) : e.slots;
      const values = matchValues(e.template, msg, slots, counter);
      if (values) found.push({ templateId: e.templateId, values });
    }
    return found;
  }

  /** Indexes of the templates whose fragment occurs in the message, ascending. */
  #candidates(codes: Int32Array): number[] {
    this.#stamp = (this.#stamp + 1) >>> 0;
    if (this.#stamp === 0) {
      this.#seen.fill(0);
      this.#stamp = 1;
    }
    const stamp = this.#stamp;
    const seen = this.#seen;
    const out = this.#unindexed.slice();
    const visit = (table: GramTable, gram: number): void => {
      const slot = table.lookup(gram);
      if (slot < 0) return;
      const { from, items } = table;
      for (let i = from[slot]!; i < from[slot + 1]!; i++) {
        const t = items[i]!;
        if (seen[t] === stamp) continue;
        seen[t] = stamp;
        out.push(t);
      }
    };
    const long = this.#long;
    const short = this.#short;
    const useShort = short.size > 0;
    let hl = 0;
    let hs = 0;
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (i >= LONG) hl = (hl - Math.imul(codes[i - LONG]!, OUT_LONG)) | 0;
      hl = (Math.imul(hl, BASE) + c) | 0;
      if (i >= LONG - 1) visit(long, hl);
      if (!useShort) continue;
      if (i >= SHORT) hs = (hs - Math.imul(codes[i - SHORT]!, OUT_SHORT)) | 0;
      hs = (Math.imul(hs, BASE) + c) | 0;
      if (i >= SHORT - 1) visit(short, hs);
    }
    return out.sort((a, b) => a - b);
  }
}

/** One-off look-up; build a `TemplateIndex` once when looking up many messages. */
export function findTemplates(
  templates: Iterable<{ templateId: string; content: string }>,
  message: string,
  options?: TemplateIndexOptions,
): FoundTemplate[] {
  return new TemplateIndex(templates, options).find(message);
}
