/**
 * Test helpers for whole-system tests: a seeded account with a DLT registry, and `callflow
 * serve` run as a child process (so it can be killed with SIGKILL like a crashed server).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createAccount } from '../../src/accounts.ts';
import type { Store } from '../../src/store/types.ts';

export const ENTITY_ID = '1201177860312735154';
export const SENDER_ID = 'ACMECO';
export const TEMPLATE_ID = '1207177979441360359';
export const TEMPLATE = 'Your Acme order {#var#} has been shipped. Track it in the Acme app.';
export const bodyFor = (ref: string) =>
  `Your Acme order ${ref} has been shipped. Track it in the Acme app.`;

export interface SeededAccount {
  accountSid: string;
  apiKey: string;
  apiToken: string;
  auth: string;
}

/** An account with an active entity, header and approved template, and a balance. */
export async function seedAccount(store: Store, balancePaise = 10_000_000): Promise<SeededAccount> {
  const { account, apiKey, apiToken } = await createAccount(store, {
    name: 'Acme Test',
    balancePaise,
  });
  await store.dlt.upsertEntity({
    accountSid: account.sid,
    entityId: ENTITY_ID,
    name: 'Acme',
    status: 'active',
    tmChain: [],
  });
  await store.dlt.upsertHeader({
    accountSid: account.sid,
    entityId: ENTITY_ID,
    senderId: SENDER_ID,
    smsType: 'transactional',
    status: 'active',
  });
  await store.dlt.upsertTemplate({
    accountSid: account.sid,
    templateId: TEMPLATE_ID,
    entityId: ENTITY_ID,
    name: 'Shipped',
    content: TEMPLATE,
    category: 'transactional',
    status: 'approved',
    senderIds: [SENDER_ID],
  });
  return {
    accountSid: account.sid,
    apiKey,
    apiToken,
    auth: `Basic ${Buffer.from(`${apiKey}:${apiToken}`).toString('base64')}`,
  };
}

export function smsRequest(ref: string, to = '+919876543210') {
  return {
    to,
    senderId: SENDER_ID,
    dltEntityId: ENTITY_ID,
    dltTemplateId: TEMPLATE_ID,
    body: bodyFor(ref),
  };
}

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

/** Starts `callflow serve` with the given arguments and waits for it to print its URL. */
export async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['src/cli.ts', 'serve', ...args], {
    cwd: new URL('../../', import.meta.url),
    env: { ...process.env, LOG_LEVEL: 'warn', SIP_ENABLED: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = once(child, 'exit');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 20_000);
    const onData = () => {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
  return {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
