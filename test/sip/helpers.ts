/**
 * Real calls end to end: a callflow server in this process (demo data, SIP on a free port, a
 * trusted trunk for loopback, the built-in carrier simulator), Debian's sipp as the caller, and
 * tcpdump to count the RTP that reaches sipp's media port.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export const DEMO_NUMBER = '+918045678900';

export interface CallflowUnderTest {
  server: RunningServer;
  sipPort: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startCallflow(
  sip: Record<string, unknown> = {},
  overrides: Record<string, unknown> = {},
): Promise<CallflowUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-sip-'));
  const min = 20_000 + 2 * randomInt(0, 19_000);
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      dataDir: dir,
      logLevel: process.env.CALLFLOW_TEST_LOG ?? 'silent',
      'simulator.receiptDelayMs': 100,
      'simulator.deliveredRatio': 1,
      'delivery.pollMs': 50,
      // The tests read the built-in simulator's records (server.simulator), so it runs, with the
      // delivery worker, on the server's event loop rather than in a delivery thread.
      'delivery.thread': false,
      sip: {
        port: 0,
        trunks: [{ name: 'loopback', addresses: ['127.0.0.1/32'] }],
        rtpPorts: { min, max: min + 399 },
        ...sip,
      },
      ...overrides,
    },
  });
  const server = await startServer(config, { demo: true });
  if (!server.sip) throw new Error('SIP did not start');
  return {
    server,
    sipPort: server.sip.port,
    dir,
    stop: () => server.stop(),
  };
}

/** A free UDP port (and, for media, the next one too: RTCP). */
export async function freeUdpPort(pair = false): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const port = socket.address().port;
    if (pair && (port % 2 !== 0 || port >= 65_534)) {
      socket.close();
      continue;
    }
    if (pair) {
      const next = createSocket('udp4');
      const ok = await new Promise<boolean>((resolve) => {
        next.once('error', () => resolve(false));
        next.bind(port + 1, '127.0.0.1', () => resolve(true));
      });
      next.close();
      if (!ok) {
        socket.close();
        continue;
      }
    }
    // sipp binds TCP too for its control socket on some builds: make sure TCP is free as well.
    const tcp = createServer();
    const tcpOk = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (tcpOk) await new Promise<void>((resolve) => tcp.close(() => resolve()));
    socket.close();
    if (tcpOk) return port;
  }
  throw new Error('no free port');
}

export interface SippResult {
  code: number | null;
  output: string;
}

/** Runs sipp with a scenario (XML text) against callflow; resolves when it exits. */
export async function runSipp(options: {
  scenario: string;
  sipPort: number;
  service?: string;
  /** CSV lines for -inf (the first line says SEQUENTIAL). */
  fields?: string[];
  localAddress?: string;
  mediaPort?: number;
  calls?: number;
  rate?: number;
  timeoutSeconds?: number;
  transport?: 'u1' | 't1';
  extra?: string[];
}): Promise<SippResult> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-sipp-'));
  const scenarioFile = join(dir, 'scenario.xml');
  writeFileSync(scenarioFile, options.scenario);
  const localPort = await freeUdpPort();
  const mediaPort = options.mediaPort ?? (await freeUdpPort(true));
  const args = [
    `127.0.0.1:${options.sipPort}`,
    '-sf',
    scenarioFile,
    '-s',
    options.service ?? DEMO_NUMBER,
    '-i',
    options.localAddress ?? '127.0.0.1',
    '-p',
    String(localPort),
    '-mp',
    String(mediaPort),
    '-m',
    String(options.calls ?? 1),
    '-r',
    String(options.rate ?? 10),
    '-t',
    options.transport ?? 'u1',
    '-nostdin',
    '-timeout',
    `${options.timeoutSeconds ?? 40}s`,
    '-timeout_error',
    '-trace_err',
    '-error_file',
    join(dir, 'errors.log'),
    ...(options.extra ?? []),
  ];
  if (options.fields) {
    const csv = join(dir, 'fields.csv');
    writeFileSync(csv, ['SEQUENTIAL', ...options.fields, ''].join('\n'));
    args.push('-inf', csv);
  }
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  let errors = '';
  try {
    errors = (await import('node:fs')).readFileSync(join(dir, 'errors.log'), 'utf8');
  } catch {
    // no error file: no errors
  }
  return { code, output: `${output.slice(-3000)}\n${errors.slice(-3000)}` };
}

/** Counts RTP packets (and non-silent ones) toward a UDP port on loopback, with tcpdump. */
export class RtpCounter {
  readonly #child: ChildProcess;
  packets = 0;
  /** Packets whose payload is not all one byte value (silence in G.711 is a constant). */
  audible = 0;
  #buffer = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.on('data', (d: Buffer) => {
      this.#buffer += d.toString('latin1');
      const lines = this.#buffer.split('\n');
      this.#buffer = lines.pop() ?? '';
      for (const line of lines) this.#line(line);
    });
  }

  /** Starts tcpdump and resolves once it listens. */
  static async start(port: number): Promise<RtpCounter> {
    const child = spawn(
      'tcpdump',
      ['-i', 'lo', '-n', '-l', '-x', '-q', '-s', '256', `udp and dst port ${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const counter = new RtpCounter(child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
      child.once('error', reject);
    });
    return counter;
  }

  #hex = '';

  #line(line: string): void {
    if (/^\s*0x[0-9a-f]{4}:/.test(line)) {
      this.#hex += line.replace(/^\s*0x[0-9a-f]{4}:\s*/, '').replace(/\s+/g, '');
      return;
    }
    this.#flush();
    if (/ UDP, length \d+/.test(line)) this.#hex = ' ';
  }

  #flush(): void {
    if (this.#hex === '') return;
    const bytes = Buffer.from(this.#hex.trim(), 'hex');
    this.#hex = '';
    // IPv4 header (20) + UDP header (8) + RTP header (12), then the payload.
    if (bytes.length < 40 + 20) return;
    const rtp = bytes.subarray(28);
    if (rtp[0]! >> 6 !== 2) return;
    const payloadType = rtp[1]! & 0x7f;
    if (payloadType !== 0 && payloadType !== 8) return;
    this.packets++;
    const payload = rtp.subarray(12);
    if (payload.some((b) => b !== payload[0])) this.audible++;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve));
      this.#child.kill('SIGINT');
      await exited;
    }
    this.#flush();
  }
}

export async function eventually<T>(
  probe: () => T | Promise<T>,
  ms = 15_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false && value !== null) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const HEADERS = (
  method: string,
  cseq: number,
  toTag: boolean,
) => `      ${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>${toTag ? '[peer_tag_param]' : ''}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70`;

export const OFFER = `v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [auto_media_port] RTP/AVP 8 96
      a=rtpmap:8 PCMA/8000
      a=rtpmap:96 telephone-event/8000
      a=fmtp:96 0-15
      a=ptime:20`;

export function inviteMessage(options: { offer?: string; extraHeaders?: string } = {}): string {
  const offer = options.offer ?? OFFER;
  return `  <send retrans="500">
    <![CDATA[
${HEADERS('INVITE', 1, false)}${options.extraHeaders ? `\n      ${options.extraHeaders}` : ''}
      Content-Type: application/sdp
      Content-Length: [len]

      ${offer}
    ]]>
  </send>`;
}

/**
 * ACK; `branchBack` N reuses the branch of the message N places earlier (the INVITE), as the ACK
 * of a non-2xx final response must (it belongs to the INVITE's transaction).
 */
export function ackMessage(cseq = 1, branchBack?: number): string {
  const headers = HEADERS('ACK', cseq, true);
  return `  <send>
    <![CDATA[
${branchBack === undefined ? headers : headers.replace('branch=[branch]', `branch=[branch-${branchBack}]`)}
      Content-Length: 0
    ]]>
  </send>`;
}

export function byeMessage(cseq = 2): string {
  return `  <send retrans="500">
    <![CDATA[
${HEADERS('BYE', cseq, true)}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>`;
}

export function infoMessage(key: string, cseq: number): string {
  return `  <send retrans="500">
    <![CDATA[
${HEADERS('INFO', cseq, true)}
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${key}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>`;
}

/** Answers the BYE callflow sends at the end of the flow. */
export const RECEIVE_BYE = `  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>`;

export function scenario(name: string, body: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}
</scenario>
`;
}

export const ANSWERED = `  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
${ackMessage()}`;
