/**
 * Template content → tokens: fixed text and variables. Placeholders are case-sensitive:
 * `{#var#}` is a variable, `{#VAR#}` or `{#name#}` is not; an unknown placeholder is kept
 * as literal fixed text (that is what a scrubber compares it with) and reported by the linter.
 */
import { toCodeText } from './text.ts';
import { isVariableKind, type VariableKind } from './variables.ts';

export interface FixedToken {
  readonly type: 'fixed';
  readonly text: string;
  /** Code points of `text`. */
  readonly codes: Int32Array;
  /** UTF-16 index in the template content. */
  readonly start: number;
  /** Position in the template counted in code points of fixed text plus one per variable. */
  readonly progress: number;
}

export interface VariableToken {
  readonly type: 'variable';
  readonly kind: VariableKind;
  /** 0-based index among the template's variables (= index into `values`). */
  readonly index: number;
  readonly start: number;
  readonly progress: number;
}

export type TemplateToken = FixedToken | VariableToken;

export interface UnknownPlaceholder {
  /** The placeholder as written, e.g. `{#VAR#}`. */
  readonly text: string;
  readonly start: number;
}

/** A parsed template, immutable: compile once, match many messages against it. */
export interface CompiledTemplate {
  readonly content: string;
  /** Alternating fixed text and variables; never two fixed tokens in a row. */
  readonly tokens: readonly TemplateToken[];
  readonly variables: readonly VariableToken[];
  readonly unknownPlaceholders: readonly UnknownPlaceholder[];
  /** Code points of fixed text. */
  readonly fixedLength: number;
  /** `progress` at the end of the template. */
  readonly progressLength: number;
}

const PLACEHOLDER = /\{#([^#{}]*)#\}/g;

export function compileTemplate(content: string): CompiledTemplate {
  const tokens: TemplateToken[] = [];
  const variables: VariableToken[] = [];
  const unknownPlaceholders: UnknownPlaceholder[] = [];
  let progress = 0;
  let fixedLength = 0;
  let fixedStart = 0;
  let fixedText = '';

  const flushFixed = (): void => {
    if (fixedText === '') return;
    const codes = toCodeText(fixedText).codes;
    tokens.push({ type: 'fixed', text: fixedText, codes, start: fixedStart, progress });
    progress += codes.length;
    fixedLength += codes.length;
    fixedText = '';
  };

  let last = 0;
  for (const m of content.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    const at = m.index;
    if (!isVariableKind(name)) {
      unknownPlaceholders.push({ text: m[0], start: at });
      continue;
    }
    fixedStart = last;
    fixedText = content.slice(last, at);
    flushFixed();
    const token: VariableToken = {
      type: 'variable',
      kind: name,
      index: variables.length,
      start: at,
      progress,
    };
    tokens.push(token);
    variables.push(token);
    progress += 1;
    last = at + m[0].length;
  }
  fixedStart = last;
  fixedText = content.slice(last);
  flushFixed();

  return {
    content,
    tokens,
    variables,
    unknownPlaceholders,
    fixedLength,
    progressLength: progress,
  };
}

const CACHE_LIMIT = 512;
const cache = new Map<string, CompiledTemplate>();

/** `compileTemplate` with a small bounded cache, for callers that pass template strings. */
export function compiled(template: string | CompiledTemplate): CompiledTemplate {
  if (typeof template !== 'string') return template;
  let hit = cache.get(template);
  if (!hit) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    hit = compileTemplate(template);
    cache.set(template, hit);
  }
  return hit;
}
