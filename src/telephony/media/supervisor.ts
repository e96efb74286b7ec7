/**
 * Runs callflow's own rtpengine: picks free control ports, starts the daemon in the foreground
 * without the kernel module, waits until it answers a ping, restarts it with backoff when it
 * dies, and stops it on shutdown. When the binary is missing, the state says so (with the
 * command that installs it) and nothing else is tried: the rest of callflow runs without calls.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Logger } from 'pino';
import { NgClient } from './ng-client.ts';

export const INSTALL_COMMAND = 'apt-get install rtpengine-daemon';

export interface SupervisorOptions {
  /** The rtpengine executable; default `rtpengine` from PATH. */
  binary?: string;
  /** `--interface`: the address media uses, `local` or `local!advertised`. */
  interface: string;
  rtpPorts: { min: number; max: number };
  /** Where rtpengine sends its DTMF events (callflow's UDP socket). */
  dtmfLogDestination: { host: string; port: number };
  /** rtpengine's own RTP timeout (a safety net for sessions nobody deleted), seconds. */
  rtpTimeoutSeconds: number;
  logger: Logger;
  /** Where rtpengine writes call recordings (pcap method, media/recording.ts); none: no recording. */
  recordingDir?: string;
  /** First restart delay, doubled after each quick death up to 30 s; ms. */
  restartDelayMs?: number;
}

export interface SupervisorState {
  running: boolean;
  reason?: string;
}

const START_ATTEMPTS = 3;
const READY_TIMEOUT_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
/** A daemon that ran this long before dying counts as healthy: the backoff starts over. */
const HEALTHY_RUN_MS = 60_000;

export class RtpengineSupervisor {
  readonly state: SupervisorState = { running: false, reason: 'starting' };
  /** The NG control address of the running daemon. */
  ng = { host: '127.0.0.1', port: 0 };
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #restartDelayMs: number;
  readonly #onRestart = new Set<() => void>();
  restarts = 0;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#restartDelayMs = options.restartDelayMs ?? 500;
  }

  /** The daemon's process id while it runs (tests use it to kill it). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Called after the daemon came back from a death: its sessions are gone. */
  onRestart(listener: () => void): () => void {
    this.#onRestart.add(listener);
    return () => this.#onRestart.delete(listener);
  }

  /** Starts the daemon; resolves once it answers or once starting it has failed (see `state`). */
  async start(): Promise<void> {
    for (let attempt = 1; attempt <= START_ATTEMPTS && !this.#stopping; attempt += 1) {
      const outcome = await this.#launch();
      if (outcome === 'running' || outcome === 'missing') return;
    }
  }

  async #launch(): Promise<'running' | 'missing' | 'failed'> {
    const ngPort = await freeUdpPort('127.0.0.1');
    const { min, max } = this.#options.rtpPorts;
    const args = [
      '--config-file=none',
      '--foreground',
      '--log-stderr',
      '--table=-1',
      `--interface=${this.#options.interface}`,
      `--listen-ng=127.0.0.1:${ngPort}`,
      `--port-min=${min}`,
      `--port-max=${max}`,
      `--dtmf-log-dest=${this.#options.dtmfLogDestination.host}:${this.#options.dtmfLogDestination.port}`,
      `--timeout=${this.#options.rtpTimeoutSeconds}`,
      `--silent-timeout=${this.#options.rtpTimeoutSeconds * 5}`,
      '--delete-delay=0',
      // Media threads pace prompts every 20 ms: real-time scheduling keeps that pace on a busy
      // host, and leaving one core out keeps a core for callflow's signalling. Without the
      // privilege (not root, no CAP_SYS_NICE) rtpengine logs it and runs as usual.
      '--scheduling=fifo',
      '--priority=10',
      `--num-threads=${realtimeThreads()}`,
      `--media-num-threads=${realtimeThreads()}`,
      '--log-level=5',
    ];
    if (this.#options.recordingDir)
      args.push(`--recording-dir=${this.#options.recordingDir}`, '--recording-method=pcap');
    const binary = this.#options.binary ?? 'rtpengine';
    const executable = findExecutable(binary);
    if (!executable) {
      this.state.running = false;
      this.state.reason = `rtpengine is not installed (${binary} not found); real calls are off. Install it with: ${INSTALL_COMMAND}`;
      this.#log.warn({ binary }, this.state.reason);
      return 'missing';
    }
    // setpriv (util-linux) has the kernel stop rtpengine if callflow dies without stopping it.
    const child = SETPRIV
      ? spawn(SETPRIV, ['--pdeathsig', 'TERM', executable, ...args], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
      : spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const tail: string[] = [];
    child.stderr?.setEncoding('utf8');
    let partial = '';
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 5) tail.shift();
        this.#log.debug({ rtpengine: line }, 'rtpengine');
      }
    });
    const exited = new Promise<{
      code: number | null;
      signal: string | null;
      error?: NodeJS.ErrnoException;
    }>((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        resolve({ code: null, signal: null, error }),
      );
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const waiting = new AbortController();
    const ready = await Promise.race([
      this.#waitReady(ngPort, waiting.signal).then((ok) => (ok ? 'ready' : 'timeout')),
      exited.then(() => 'exited' as const),
    ]);
    waiting.abort();
    if (ready === 'ready') {
      this.#child = child;
      this.ng = { host: '127.0.0.1', port: ngPort };
      this.state.running = true;
      delete this.state.reason;
      const startedAt = Date.now();
      this.#log.info(
        { pid: child.pid, ng: ngPort, rtpPorts: `${min}-${max}` },
        'rtpengine started',
      );
      void exited.then(({ code, signal }) => this.#onDeath(child, startedAt, code, signal));
      return 'running';
    }
    const result = await Promise.race([
      exited,
      new Promise<undefined>((r) => setTimeout(r, 0, undefined)),
    ]);
    if (!result) child.kill('SIGKILL');
    this.state.running = false;
    this.state.reason = `rtpengine did not start: ${result?.error?.message ?? tail.at(-1) ?? 'no answer to ping'}`;
    this.#log.warn({ binary, stderr: tail }, this.state.reason);
    return 'failed';
  }

  async #waitReady(port: number, signal: AbortSignal): Promise<boolean> {
    const client = await NgClient.open({ host: '127.0.0.1', port, retryMs: 100, attempts: 1 });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    try {
      while (Date.now() < deadline && !this.#stopping && !signal.aborted) {
        try {
          await client.request('ping');
          return true;
        } catch {
          // not listening yet
        }
      }
      return false;
    } finally {
      client.close();
    }
  }

  #onDeath(
    child: ChildProcess,
    startedAt: number,
    code: number | null,
    signal: string | null,
  ): void {
    if (this.#child === child) this.#child = undefined;
    if (this.#stopping) return;
    if (Date.now() - startedAt > HEALTHY_RUN_MS)
      this.#restartDelayMs = this.#options.restartDelayMs ?? 500;
    const delay = this.#restartDelayMs;
    this.#restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.state.running = false;
    this.state.reason = `rtpengine exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`;
    this.#log.error({ code, signal, delayMs: delay }, 'rtpengine exited; restarting');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      void this.start().then(() => {
        if (!this.state.running) return;
        this.restarts += 1;
        for (const listener of this.#onRestart) listener();
      });
    }, delay);
  }

  /** Stops the daemon (SIGTERM, then SIGKILL after 3 s) and any restart that was due. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    this.state.running = false;
    this.state.reason = 'stopped';
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}

const SETPRIV = findExecutable('setpriv');

/** rtpengine's worker and media threads: every core but one (at least one). */
function realtimeThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The path of an executable: `name` itself when it has a slash, else the first on PATH. */
function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, name));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A UDP port free on `host` now (bound and released; the caller binds it next). */
export async function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}
