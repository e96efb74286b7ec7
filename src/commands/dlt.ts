/**
 * `callflow dlt match --template T --message M [--jsonl]`: whether a message matches a DLT
 * template as operators scrub it. One JSON object per input, in input order.
 */

import { matchTemplate } from '../dlt/index.ts';
import { CallflowError } from '../errors.ts';
import { describe, errorBody, MAX_INSPECT_LENGTH, parseJsonLine } from './sms.ts';
import { parse, stdinLines, UsageError, writeOut } from './usage.ts';

function checkText(name: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new CallflowError('INVALID_TEXT', `${name} must be a string, got ${describe(value)}`);
  }
  if (value.length > MAX_INSPECT_LENGTH) {
    throw new CallflowError(
      'TEXT_TOO_LONG',
      `${name} is ${value.length} characters; the limit is ${MAX_INSPECT_LENGTH}`,
    );
  }
  if (value.includes('\u0000'))
    throw new CallflowError('INVALID_TEXT', `${name} contains a NUL character`);
  if (!value.isWellFormed())
    throw new CallflowError('INVALID_TEXT', `${name} contains a lone surrogate`);
  return value;
}

export function matchLine(template: unknown, message: unknown): { ok: boolean; json: string } {
  try {
    const result = matchTemplate(checkText('template', template), checkText('message', message));
    return { ok: true, json: JSON.stringify(result) };
  } catch (error) {
    return { ok: false, json: JSON.stringify({ error: errorBody(error) }) };
  }
}

export async function dltCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'import') return (await import('./import.ts')).dltImportCommand(rest);
  if (sub !== 'match') {
    throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected 'match' or 'import')`);
  }
  const { values, positionals } = parse(rest, {
    options: {
      template: { type: 'string' },
      message: { type: 'string' },
      jsonl: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  void positionals;
  if (values.jsonl) {
    if (values.template !== undefined || values.message !== undefined) {
      throw new UsageError(
        '--jsonl reads {"template":...,"message":...} lines; give no --template/--message',
      );
    }
    let failures = 0;
    for await (const line of stdinLines()) {
      if (line.trim() === '') continue;
      const parsed = parseJsonLine(line);
      let result: { ok: boolean; json: string };
      if (!parsed.ok) result = { ok: false, json: parsed.json };
      else if (
        typeof parsed.value !== 'object' ||
        parsed.value === null ||
        Array.isArray(parsed.value)
      ) {
        const message = `expected {"template":...,"message":...}, got ${describe(parsed.value)}`;
        result = {
          ok: false,
          json: JSON.stringify({ error: { code: 'MALFORMED_REQUEST', message } }),
        };
      } else {
        const { template, message } = parsed.value as Record<string, unknown>;
        result = matchLine(template, message);
      }
      if (!result.ok) failures++;
      await writeOut(`${result.json}\n`);
    }
    return failures > 0 ? 1 : 0;
  }
  if (values.template === undefined || values.message === undefined) {
    throw new UsageError('give --template T and --message M, or --jsonl');
  }
  const result = matchLine(values.template, values.message);
  await writeOut(`${result.json}\n`);
  return result.ok ? 0 : 1;
}
