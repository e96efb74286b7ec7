/**
 * `callflow sms inspect [TEXT] [--jsonl] [--split-graphemes]`: the SMS core's view of a text,
 * as JSON.
 * A contract other tools rely on: one JSON object per input, in input order.
 */

import { CallflowError, coerceError } from '../errors.ts';
import { inspectSms, type SmsSplitOptions } from '../sms/index.ts';
import { parse, stdinLines, UsageError, writeOut } from './usage.ts';

/** Longest text the command inspects, in UTF-16 units; SMS bodies are at most a few thousand. */
export const MAX_INSPECT_LENGTH = 100_000;

/** One input to one output line: the inspection, or `{ error: { code, message } }`. */
export function inspectLine(
  input: unknown,
  options?: SmsSplitOptions,
): { ok: boolean; json: string } {
  try {
    if (typeof input !== 'string') {
      throw new CallflowError('INVALID_TEXT', `expected a JSON string, got ${describe(input)}`);
    }
    if (input.length > MAX_INSPECT_LENGTH) {
      throw new CallflowError(
        'TEXT_TOO_LONG',
        `text is ${input.length} characters; the limit is ${MAX_INSPECT_LENGTH}`,
      );
    }
    return { ok: true, json: JSON.stringify(inspectSms(input, options)) };
  } catch (error) {
    return { ok: false, json: JSON.stringify({ error: errorBody(error) }) };
  }
}

export function errorBody(error: unknown): { code: string; message: string } {
  if (error instanceof CallflowError) return { code: error.code, message: error.message };
  return {
    code: 'INTERNAL_ERROR',
    message: error instanceof Error ? error.message : String(error),
  };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Parses one JSON line; a line that is not JSON becomes an error result. */
export function parseJsonLine(
  line: string,
): { ok: true; value: unknown } | { ok: false; json: string } {
  if (line.length > MAX_INSPECT_LENGTH * 6 + 2) {
    const message = `line is ${line.length} characters; the limit is ${MAX_INSPECT_LENGTH} characters of text`;
    return { ok: false, json: JSON.stringify({ error: { code: 'TEXT_TOO_LONG', message } }) };
  }
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    const message = `not valid JSON: ${coerceError(error).message}`;
    return { ok: false, json: JSON.stringify({ error: { code: 'MALFORMED_REQUEST', message } }) };
  }
}

export async function smsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'inspect')
    throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected 'inspect')`);
  const { values, positionals } = parse(rest, {
    options: {
      jsonl: { type: 'boolean', default: false },
      'split-graphemes': { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const split = { splitGraphemes: values['split-graphemes'] };
  if (values.jsonl) {
    if (positionals.length > 0) throw new UsageError('--jsonl reads standard input; give no TEXT');
    let failures = 0;
    for await (const line of stdinLines()) {
      if (line.trim() === '') continue;
      const parsed = parseJsonLine(line);
      const result = parsed.ok
        ? inspectLine(parsed.value, split)
        : { ok: false, json: parsed.json };
      if (!result.ok) failures++;
      await writeOut(`${result.json}\n`);
    }
    return failures > 0 ? 1 : 0;
  }
  if (positionals.length > 1) throw new UsageError('give one TEXT (quote it), or use --jsonl');
  let text = positionals[0];
  if (text === undefined) {
    if (process.stdin.isTTY) throw new UsageError('give a TEXT, or pipe it on standard input');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const result = inspectLine(text, split);
  await writeOut(`${result.json}\n`);
  return result.ok ? 0 : 1;
}
