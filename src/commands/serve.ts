/**
 * `callflow serve [--demo] [--role all|api|worker] [--config FILE] [--port N] [--host H]`.
 * Runs until SIGTERM or SIGINT, then drains and exits 0.
 */

import { loadConfig } from '../config.ts';
import { startServer } from '../server.ts';
import { mediaOffMessage } from '../telephony/media/index.ts';
import { parse, UsageError } from './usage.ts';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    options: {
      config: { type: 'string' },
      role: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      demo: { type: 'boolean', default: false },
    },
  });
  if (values.role !== undefined && !['all', 'api', 'worker'].includes(values.role)) {
    throw new UsageError(`--role must be all, api or worker, not '${values.role}'`);
  }
  if (values.port !== undefined && !/^\d+$/.test(values.port)) {
    throw new UsageError(`--port must be a number, not '${values.port}'`);
  }
  const config = loadConfig({
    file: values.config,
    overrides: {
      role: values.role,
      port: values.port === undefined ? undefined : Number(values.port),
      host: values.host,
      // The demo prints its banner; keep the console for warnings unless LOG_LEVEL says otherwise.
      logLevel: values.demo && process.env.LOG_LEVEL === undefined ? 'warn' : undefined,
    },
  });
  // Listening for SIGTERM and SIGINT from before the start: one that comes while the server starts,
  // or just after it said it runs (its delivery thread may already be at work), still drains it.
  let signalled: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled = signal;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, { demo: values.demo });
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw error;
  }

  const lines = [''];
  if (server.url && config.role === 'worker') {
    lines.push(`callflow worker is running; health and metrics at ${server.url}`);
  } else if (server.url) {
    lines.push(`callflow is running at ${server.url}`);
    lines.push(`  web app      ${server.url}/`);
    lines.push(`  API docs     ${server.url}/api/docs`);
  } else {
    lines.push(`callflow ${config.role} is running`);
  }
  if (server.simulatorPort !== null)
    lines.push('  carrier      built-in simulator on loopback (no carrier configured)');
  lines.push(`  store        ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`}`);
  if (server.demo) {
    lines.push('');
    lines.push(`demo account  ${server.demo.accountSid}`);
    lines.push(`  API key     ${server.demo.apiKey}`);
    lines.push(`  API token   ${server.demo.apiToken}`);
    if (server.url) {
      lines.push('');
      lines.push('send an SMS:');
      lines.push(
        `  curl -u ${server.demo.apiKey}:${server.demo.apiToken} ${server.url}/api/v1/sms -H 'content-type: application/json' \\`,
      );
      lines.push(
        `    -d '{"to":"+919876543210","senderId":"ACMECO","dltEntityId":"1101166000000000001","dltTemplateId":"1107166000000000002","body":"Thanks for contacting Acme Corp. Your reference number is AB12CD."}'`,
      );
    }
  }
  if (server.demo && server.flows) {
    lines.push('');
    lines.push('ring the demo missed-call flow (nobody answers, the caller gets the SMS):');
    lines.push('  npx callflow call --to +918045678900 --from 9876543210 --agent no-answer');
  }
  if (server.sip) {
    const { host, port } = server.sip;
    const address = host.includes(':') ? `[${host}]` : host;
    const off = mediaOffMessage(server.sip.media);
    lines.push('');
    lines.push(`real calls (SIP, UDP and TCP) on ${address}:${port}`);
    if (off) lines.push(`  ${off}`);
    if (server.demo) {
      lines.push(`  from a softphone: sip:+918045678900@${address}:${port}`);
      lines.push(
        `  with sipp: sipp ${address}:${port} -sf docs/sipp/caller.xml -s +918045678900 -key caller 9876543210 -m 1`,
      );
    }
  }
  lines.push('', 'press Ctrl+C to stop', '');
  process.stdout.write(lines.join('\n'));

  if (signalled === null) {
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }
  server.logger.info({ signal: signalled }, 'stopping: draining workers and closing binds');
  await server.stop();
  return 0;
}
