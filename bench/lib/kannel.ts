/**
 * Kannel (bearerbox + smsbox) as the peer of the pipeline benchmark: finds the binaries, renders
 * bench/kannel/kannel.conf.template into a temporary directory, starts both boxes as child
 * processes on free ports, waits until the SMSC link is online and smsbox is connected, and stops
 * them again (SIGTERM, then SIGKILL) so that no process outlives the benchmark.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const KANNEL_INSTALL_HINT =
  'install the Debian package: apt-get update && apt-get install -y kannel (bearerbox and smsbox in /usr/sbin)';

const SEARCH_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin', '/usr/local/bin'];

/** CALLFLOW_BENCH_KANNEL_DIR: look for the boxes only there (another build of Kannel). */
function which(name: string): string | null {
  const only = process.env.CALLFLOW_BENCH_KANNEL_DIR;
  const dirs = only
    ? [only]
    : [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export type KannelBinaries =
  | { ok: true; bearerbox: string; smsbox: string; version: string }
  | { ok: false; missing: string[] };

/** The bearerbox and smsbox binaries and Kannel's version, or what is missing. */
export function findKannel(): KannelBinaries {
  const bearerbox = which('bearerbox');
  const smsbox = which('smsbox');
  if (bearerbox === null || smsbox === null) {
    return {
      ok: false,
      missing: [bearerbox === null && 'bearerbox', smsbox === null && 'smsbox'].filter(
        (x): x is string => typeof x === 'string',
      ),
    };
  }
  let version = 'unknown';
  try {
    const out = execFileSync(bearerbox, ['--version'], { encoding: 'utf8', timeout: 5000 });
    version = /version `([^']+)'/.exec(out)?.[1] ?? version;
  } catch (error) {
    // bearerbox --version exits non-zero on some builds; its output still names the version.
    const out = String((error as { stdout?: unknown }).stdout ?? '');
    version = /version `([^']+)'/.exec(out)?.[1] ?? version;
  }
  return { ok: true, bearerbox, smsbox, version };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface KannelOptions {
  smscHost: string;
  smscPort: number;
  systemId: string;
  password: string;
  /** max-pending-submits: submit_sm outstanding on the bind. */
  window: number;
  /** 'spool' (durable, one file per message) or 'file'. */
  storeType: 'spool' | 'file';
}

export interface RunningKannel {
  /** http://127.0.0.1:<sendsms-port> */
  sendsmsOrigin: string;
  username: string;
  password: string;
  dir: string;
  /** Process IDs of bearerbox and smsbox. */
  pids(): number[];
  /** bearerbox's admin status page (status.txt). */
  status(): Promise<string>;
  /** The end of both boxes' logs, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

const TEMPLATE = new URL('../kannel/kannel.conf.template', import.meta.url);

function render(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`kannel.conf.template: no value for {{${key}}}`);
    return String(values[key]);
  });
}

/** Children still running, killed if this process exits before stop(). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function startKannel(
  binaries: Extract<KannelBinaries, { ok: true }>,
  options: KannelOptions,
  timeoutMs = 20_000,
): Promise<RunningKannel> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-kannel-'));
  const [adminPort, smsboxPort, sendsmsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const adminPassword = 'benchadmin';
  const username = 'bench';
  const userPassword = 'benchpass';
  const conf = join(dir, 'kannel.conf');
  // A spool store is a directory that must exist; a file store is a file Kannel creates.
  const store = options.storeType === 'spool' ? join(dir, 'store') : join(dir, 'kannel.store');
  if (options.storeType === 'spool') mkdirSync(store);
  writeFileSync(
    conf,
    render(readFileSync(TEMPLATE, 'utf8'), {
      DIR: dir,
      ADMIN_PORT: adminPort,
      ADMIN_PASSWORD: adminPassword,
      SMSBOX_PORT: smsboxPort,
      SENDSMS_PORT: sendsmsPort,
      SMSC_HOST: options.smscHost,
      SMSC_PORT: options.smscPort,
      SYSTEM_ID: options.systemId,
      PASSWORD: options.password,
      WINDOW: options.window,
      STORE_TYPE: options.storeType,
      STORE_LOCATION: store,
      USERNAME: username,
      USER_PASSWORD: userPassword,
    }),
  );

  let output = '';
  const spawnBox = (file: string) => {
    // -v 4: errors only on the console; the log files get the same level.
    const child = spawn(file, ['-v', '4', conf], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    // Console output at log-level 4 is little; keep the end for error messages.
    const keep = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  };

  const status = async () => {
    const res = await fetch(
      `http://127.0.0.1:${adminPort}/status.txt?password=${encodeURIComponent(adminPassword)}`,
    );
    return res.text();
  };
  const logTail = () => {
    const tail = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8').slice(-2000);
      } catch {
        return '';
      }
    };
    return `${output}\n--- bearerbox.log\n${tail('bearerbox.log')}\n--- smsbox.log\n${tail('smsbox.log')}`;
  };

  const bearerbox = spawnBox(binaries.bearerbox);
  let smsbox: ChildProcess | null = null;
  const stop = async () => {
    if (smsbox) await stopChild(smsbox, 5000);
    await stopChild(bearerbox, 5000);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + timeoutMs;
    const waitUntil = async (what: string, check: () => Promise<boolean>) => {
      for (;;) {
        if (bearerbox.exitCode !== null || smsbox?.exitCode != null) {
          throw new Error(`Kannel exited while waiting for ${what}:\n${logTail()}`);
        }
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline)
          throw new Error(`Kannel: timed out waiting for ${what}:\n${logTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    // status.txt lists the SMSC as "online" once the SMPP bind succeeded.
    await waitUntil('the SMPP bind', async () => /\(online /.test(await status()));
    smsbox = spawnBox(binaries.smsbox);
    await waitUntil('smsbox to connect', async () =>
      /smsbox:\(none\), IP 127\.0\.0\.1/.test(await status()),
    );
    await waitUntil('the sendsms port', async () => {
      const res = await fetch(`http://127.0.0.1:${sendsmsPort}/`);
      await res.text();
      return true;
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    sendsmsOrigin: `http://127.0.0.1:${sendsmsPort}`,
    username,
    password: userPassword,
    dir,
    pids: () => [bearerbox.pid, smsbox?.pid].filter((p): p is number => p !== undefined),
    status,
    logTail,
    stop,
  };
}
