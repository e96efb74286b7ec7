/** Command-line plumbing shared by the subcommands. */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { coerceError } from '../errors.ts';

/** Bad usage: the CLI prints the message on one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs, with its errors turned into UsageError. */
export function parse<T extends ParseArgsConfig>(argv: string[], config: T) {
  try {
    return parseArgs({ ...config, args: argv, strict: true });
  } catch (error) {
    throw new UsageError(coerceError(error).message.split('\n')[0] ?? 'bad usage');
  }
}

/** Reads standard input line by line (any line length), yielding each line without its newline. */
export async function* stdinLines(): AsyncGenerator<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) yield line;
}

/** Writes to stdout, waiting when the pipe is full so large outputs keep constant memory. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) {
    await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}
