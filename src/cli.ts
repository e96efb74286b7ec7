#!/usr/bin/env node
/**
 * The `callflow` command. Each subcommand lives in src/commands/ and is loaded only when used,
 * so `callflow sms inspect` starts fast.
 *
 * Exit codes: 0 success, 1 the work failed (some input was refused), 2 bad usage (one line on
 * standard error). With --json, a command that fails with 1 still prints one JSON document:
 * its result, or `{"error":{"code","message"}}`.
 */

import { UsageError } from './commands/usage.ts';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run the API, web app, flow runtime and delivery workers',
    load: async () => (await import('./commands/serve.ts')).serveCommand,
  },
  call: {
    summary:
      'call --to EXOPHONE --from NUMBER [--digits K] [--agent answer|no-answer|busy] [--json]: ring a flow on the running server',
    load: async () => (await import('./commands/call.ts')).callCommand,
  },
  'carrier-sim': {
    summary: 'run the SMPP carrier simulator on its own',
    load: async () => (await import('./commands/carrier-sim.ts')).carrierSimCommand,
  },
  sms: {
    summary:
      'sms inspect [TEXT] [--jsonl] [--split-graphemes]: encoding, segments and parts of a text',
    load: async () => (await import('./commands/sms.ts')).smsCommand,
  },
  dlt: {
    summary:
      'dlt match --template T --message M [--jsonl] | import FILE --account SID [--json]: DLT templates',
    load: async () => (await import('./commands/dlt.ts')).dltCommand,
  },
  dnd: {
    summary:
      'dnd import FILE --account SID [--consents] [--json]: import DND preferences or consents',
    load: async () => (await import('./commands/import.ts')).dndCommand,
  },
  report: {
    summary: 'report sms --account SID [--since T] [--out FILE] [--summary] [--json]: SMS reports',
    load: async () => (await import('./commands/report.ts')).reportCommand,
  },
  admin: {
    summary:
      'admin create [--label L] | list | revoke --id ID: operator credentials for carriers and routes',
    load: async () => (await import('./commands/carriers.ts')).adminCommand,
  },
  carriers: {
    summary:
      'carriers list | add --name N --host H --port P --system-id S --password W [--window N] [--tps N] | disable|enable|remove NAME',
    load: async () => (await import('./commands/carriers.ts')).carriersCommand,
  },
  routes: {
    summary: 'routes list | set FILE: the carrier routing table, replaced at once',
    load: async () => (await import('./commands/carriers.ts')).routesCommand,
  },
  accounts: {
    summary:
      'accounts create --name N --balance RUPEES | topup --sid S --amount RUPEES | list [--json]',
    load: async () => (await import('./commands/accounts.ts')).accountsCommand,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: callflow <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`callflow: unknown command '${name}' (try 'callflow --help')\n`);
    return 2;
  }
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`callflow ${name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Error && error.name === 'ConfigError') {
      process.stderr.write(`callflow ${name}: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`callflow ${name}: ${message}\n`);
    if (rest.includes('--json')) {
      const { errorBody } = await import('./commands/sms.ts');
      process.stdout.write(`${JSON.stringify({ error: errorBody(error) })}\n`);
    }
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
