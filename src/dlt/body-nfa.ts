/**
 * Can some rendering of a body match a template? The template becomes a small automaton
 * (one state per fixed character, one per count of characters a variable has taken) and the
 * body is fed through it: a literal character moves the states that accept it; a body
 * variable moves them by every string its shape allows, a run of one character class at a
 * time. The result over-approximates matching (the shape checks of URLs, addresses and phone
 * numbers are left out), so "no accepting state" proves that no rendering can ever match.
 */
import type { ParsedBody, ShapeRun } from './body.ts';
import { betterDeparture, type Departure } from './engine.ts';
import type { CompiledTemplate, FixedToken } from './template.ts';
import { recovery } from './text.ts';

const FIXED = 0;
const COUNT = 1;
const LOOP = 2;
const FINAL = 3;

/** What a template variable accepts in a run of the automaton. */
export interface VarRule {
  min: number;
  max: number;
  allowed: ((cp: number) => boolean) | null;
}

export interface TemplateNfa {
  kind: Uint8Array;
  /** Fixed: the code point; variable states: the variable index. */
  code: Int32Array;
  /** Epsilon move to the start of the next token, or -1. */
  eps: Int32Array;
  token: Int32Array;
  offset: Int32Array;
  progress: Int32Array;
  max: Int32Array;
  rules: readonly VarRule[];
  template: CompiledTemplate;
}

export function buildNfa(t: CompiledTemplate, rules: readonly VarRule[]): TemplateNfa {
  const kind: number[] = [];
  const code: number[] = [];
  const eps: number[] = [];
  const token: number[] = [];
  const offset: number[] = [];
  const progress: number[] = [];
  const max: number[] = [];
  t.tokens.forEach((tok, ti) => {
    if (tok.type === 'fixed') {
      tok.codes.forEach((cp, o) => {
        kind.push(FIXED);
        code.push(cp);
        eps.push(-1);
        token.push(ti);
        offset.push(o);
        progress.push(tok.progress + o);
        max.push(0);
      });
      return;
    }
    const rule = rules[tok.index]!;
    const loop = rule.max === Number.POSITIVE_INFINITY;
    const states = loop ? 1 : rule.max + 1;
    const next = kind.length + states;
    for (let c = 0; c < states; c++) {
      kind.push(loop ? LOOP : COUNT);
      code.push(tok.index);
      eps.push(loop || c >= rule.min ? next : -1);
      token.push(ti);
      offset.push(c);
      progress.push(tok.progress);
      max.push(loop ? -1 : rule.max);
    }
  });
  kind.push(FINAL);
  code.push(-1);
  eps.push(-1);
  token.push(t.tokens.length);
  offset.push(0);
  progress.push(t.progressLength);
  max.push(0);
  return {
    kind: Uint8Array.from(kind),
    code: Int32Array.from(code),
    eps: Int32Array.from(eps),
    token: Int32Array.from(token),
    offset: Int32Array.from(offset),
    progress: Int32Array.from(progress),
    max: Int32Array.from(max),
    rules,
    template: t,
  };
}

/** The product of a template automaton and a body. */
export class BodyProduct {
  readonly #nfa: TemplateNfa;
  readonly #overlap = new Map<string, boolean>();
  // Set membership by stamp: a state is in the set being built when its mark equals the
  // current stamp. `#step` and `#run` keep separate marks because their sets coexist.
  readonly #stepMarks: Uint32Array;
  readonly #runMarks: Uint32Array;
  #stepStamp = 0;
  #runStamp = 0;

  constructor(nfa: TemplateNfa) {
    this.#nfa = nfa;
    this.#stepMarks = new Uint32Array(nfa.kind.length);
    this.#runMarks = new Uint32Array(nfa.kind.length);
  }

  /** Runs the body; with `departure`, records the furthest point the fixed text reached. */
  accepts(body: ParsedBody, departure?: { best: Departure | null }): boolean {
    const nfa = this.#nfa;
    const stamp = ++this.#stepStamp;
    let set: number[] = [];
    this.#add(set, 0, stamp);
    const m = body.units.length;
    for (let u = 0; u < m; u++) {
      if (departure) this.#probe(set, body, u, departure);
      const unit = body.units[u]!;
      if (unit >= 0) set = this.#step(set, (cp) => cp === unit, unit, null);
      else {
        for (const run of body.slots[-unit - 1]!.shape.runs) {
          set = this.#run(set, run);
          if (set.length === 0) break;
        }
      }
      if (set.length === 0) return false;
    }
    if (departure) this.#probe(set, body, m, departure);
    return set.includes(nfa.kind.length - 1);
  }

  /** Adds `s` and its epsilon closure to the set stamped `stamp`. */
  #add(list: number[], s: number, stamp: number): void {
    const marks = this.#stepMarks;
    const eps = this.#nfa.eps;
    while (s >= 0 && marks[s] !== stamp) {
      marks[s] = stamp;
      list.push(s);
      s = eps[s]!;
    }
  }

  /** One character: a literal `literal` (≥ 0) or any character of `chars` (null = any). */
  #step(
    from: readonly number[],
    fits: (cp: number) => boolean,
    literal: number,
    chars: string | null,
  ): number[] {
    const nfa = this.#nfa;
    const stamp = ++this.#stepStamp;
    const out: number[] = [];
    for (const s of from) {
      const k = nfa.kind[s];
      if (k === FIXED) {
        if (fits(nfa.code[s]!)) this.#add(out, s + 1, stamp);
      } else if (k === COUNT) {
        if (nfa.offset[s]! < nfa.max[s]! && this.#varTakes(nfa.code[s]!, literal, chars))
          this.#add(out, s + 1, stamp);
      } else if (k === LOOP) {
        if (this.#varTakes(nfa.code[s]!, literal, chars)) this.#add(out, s, stamp);
      }
    }
    return out;
  }

  #varTakes(variable: number, literal: number, chars: string | null): boolean {
    const allowed = this.#nfa.rules[variable]!.allowed;
    if (allowed === null) return literal >= 0 || chars === null || chars.length > 0;
    if (literal >= 0) return allowed(literal);
    const key = `${variable}\u0000${chars ?? ''}\u0000${chars === null}`;
    let hit = this.#overlap.get(key);
    if (hit === undefined) {
      // Any character: every variable type accepts some character.
      hit = chars === null || Array.from(chars).some((ch) => allowed(ch.codePointAt(0)!));
      this.#overlap.set(key, hit);
    }
    return hit;
  }

  /** `run.min` exact steps, then up to `run.max - run.min` more (breadth first, deduplicated). */
  #run(set: number[], run: ShapeRun): number[] {
    const chars = run.chars ?? null;
    const fits =
      chars === null ? () => true : (cp: number) => chars.includes(String.fromCodePoint(cp));
    let cur = set;
    for (let i = 0; i < run.min && cur.length > 0; i++) cur = this.#step(cur, fits, -1, chars);
    if (run.max === run.min || cur.length === 0) return cur;
    // A state first reached after fewer characters has at least as many left to take, so
    // states seen before need not be expanded again.
    const marks = this.#runMarks;
    const stamp = ++this.#runStamp;
    const acc = cur.slice();
    for (const s of acc) marks[s] = stamp;
    let frontier = acc.slice();
    for (let i = run.min; i < run.max && frontier.length > 0; i++) {
      const next = this.#step(frontier, fits, -1, chars);
      frontier = [];
      for (const s of next) {
        if (marks[s] === stamp) continue;
        marks[s] = stamp;
        acc.push(s);
        frontier.push(s);
      }
    }
    return acc;
  }

  #probe(
    set: readonly number[],
    body: ParsedBody,
    u: number,
    departure: { best: Departure | null },
  ): void {
    const nfa = this.#nfa;
    const t = nfa.template;
    const m = body.units.length;
    for (const s of set) {
      const k = nfa.kind[s];
      if (k !== FIXED && !(k === FINAL && u < m)) continue;
      const progress = nfa.progress[s]!;
      const token = k === FIXED ? (t.tokens[nfa.token[s]!] as FixedToken) : null;
      const offset = nfa.offset[s]!;
      const best = departure.best;
      const rest = token ? token.codes.length - offset : 0;
      if (best && progress + rest < best.progress + best.recovery) continue;
      const rec = token ? recovery(token.codes, offset, body.units, u) : { chars: 0, gap: false };
      if (betterDeparture(best, progress, rec, u))
        departure.best = { progress, recovery: rec.chars, gap: rec.gap, pos: u, token, offset };
    }
  }
}
