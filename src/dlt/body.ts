/**
 * An SMS applet body as the flow builder writes it: literal text with call variables
 * (`{CallFrom}`) and Passthru values (`{appletId.field}`), each replaced by its value when the
 * message is rendered. Each variable has a shape: what its values can look like.
 */
import { toCodeText } from './text.ts';

/** `min`..`max` characters (code points), each one of `chars`, or any character if absent. */
export interface ShapeRun {
  min: number;
  /** `Infinity` for no limit. */
  max: number;
  chars?: string;
}

/** The values a body variable can take: a sequence of runs, e.g. '+' then 12 digits. */
export interface VariableShape {
  runs: readonly ShapeRun[];
}

export interface BodySlot {
  /** As written between the braces: `CallSid`, `book.date`. */
  name: string;
  /** As written in the body: `{CallSid}`. */
  raw: string;
  /** UTF-16 index in the body. */
  start: number;
  shape: VariableShape;
}

export interface ParsedBody {
  source: string;
  /** A code point (≥ 0) for literal text; `-(i + 1)` for slot `i`. */
  units: Int32Array;
  /** UTF-16 index where each unit starts, plus the body length. */
  starts: Int32Array;
  slots: BodySlot[];
}

const SLOT = /\{(?:[A-Za-z][A-Za-z0-9_]*|[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+)\}/g;

export function parseBody(body: string, shapeOf: (name: string) => VariableShape): ParsedBody {
  const units: number[] = [];
  const starts: number[] = [];
  const slots: BodySlot[] = [];
  const literal = (from: number, to: number): void => {
    const text = toCodeText(body.slice(from, to));
    text.codes.forEach((cp, i) => {
      units.push(cp);
      starts.push(from + (text.offsets ? text.offsets[i]! : i));
    });
  };
  let last = 0;
  for (const m of body.matchAll(SLOT)) {
    literal(last, m.index);
    const name = m[0].slice(1, -1);
    units.push(-(slots.length + 1));
    starts.push(m.index);
    slots.push({ name, raw: m[0], start: m.index, shape: shapeOf(name) });
    last = m.index + m[0].length;
  }
  literal(last, body.length);
  starts.push(body.length);
  return { source: body, units: Int32Array.from(units), starts: Int32Array.from(starts), slots };
}

export function shapeLength(shape: VariableShape): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const r of shape.runs) {
    min += r.min;
    max += r.max;
  }
  return { min, max };
}

/** The body text of units `from`..`to`, slots as written. */
export function unitsText(body: ParsedBody, from: number, to: number): string {
  return body.source.slice(body.starts[from], body.starts[to]);
}
