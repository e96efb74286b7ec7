/**
 * Agents and trunks for Connect tests: sipp UAS scenarios run in the background on free ports
 * (answering with RTP, busy, ringing until CANCEL, challenging with 407), RTP written as pcap
 * files for sipp's play_pcap_audio (a tone in either G.711 law), and a loopback tap that decodes
 * what reaches a media port.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, type SippResult } from './helpers.ts';

export interface Agent {
  port: number;
  mediaPort: number;
  /** sipp's exit: code 0 when the scenario ran to its end. */
  done: Promise<SippResult>;
  /** The SIP messages sipp received and sent (its -trace_msg log). */
  messages(): string;
  stop(): Promise<void>;
}

/** Starts a sipp UAS with `body` as its scenario and resolves once it listens. */
export async function startAgent(
  body: string,
  options: { port?: number; mediaPort?: number; timeoutSeconds?: number; calls?: number } = {},
): Promise<Agent> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-agent-'));
  const scenarioFile = join(dir, 'agent.xml');
  writeFileSync(
    scenarioFile,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="agent">\n${body}\n</scenario>\n`,
  );
  const port = options.port ?? (await freeUdpPort());
  const mediaPort = options.mediaPort ?? (await freeUdpPort(true));
  const messageFile = join(dir, 'messages.log');
  const child: ChildProcess = spawn(
    'sipp',
    [
      '-sf',
      scenarioFile,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mp',
      String(mediaPort),
      '-m',
      String(options.calls ?? 1),
      '-max_socket',
      '2000',
      '-nostdin',
      '-timeout',
      `${options.timeoutSeconds ?? 40}s`,
      '-timeout_error',
      '-trace_msg',
      '-message_file',
      messageFile,
      '-trace_err',
      '-error_file',
      join(dir, 'errors.log'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const done = new Promise<SippResult>((resolve) =>
    child.on('exit', (code) => {
      let errors = '';
      try {
        errors = readFileSync(join(dir, 'errors.log'), 'utf8');
      } catch {
        // none
      }
      resolve({ code, output: `${output.slice(-3000)}\n${errors.slice(-3000)}` });
    }),
  );
  await waitBound(port, done);
  const messages = () => {
    try {
      return readFileSync(messageFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    port,
    mediaPort,
    done,
    messages,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await done;
      }
    },
  };
}

/** Waits until sipp holds its UDP port (a bind of it fails). */
async function waitBound(port: number, exited: Promise<SippResult>): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (let i = 0; i < 100 && !gone; i++) {
    const socket = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => resolve(true));
    });
    socket.close();
    if (!free) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sipp did not listen on ${port}: ${(await exited).output}`);
}

const REPLY_HEADERS = `      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]`;

export function agentSdp(codec: 'PCMA' | 'PCMU'): string {
  const pt = codec === 'PCMA' ? 8 : 0;
  return `v=0
      o=agent 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP ${pt} 101
      a=rtpmap:${pt} ${codec}/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20`;
}

/** 180 Ringing after the INVITE. */
export const RING = `  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
${REPLY_HEADERS}
      Contact: <sip:agent@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>`;

/** Rings `ringMs`, answers with `codec`, plays `pcap` toward callflow, then waits for callflow's BYE. */
export function answeringAgent(options: {
  codec?: 'PCMA' | 'PCMU';
  ringMs?: number;
  pcap: string;
}): string {
  return `${RING}
  <pause milliseconds="${options.ringMs ?? 300}"/>
${answerAndTalk(options)}`;
}

/** The 200 OK to the last INVITE, the ACK, `pcap` played toward callflow, callflow's BYE. */
export function answerAndTalk(options: { codec?: 'PCMA' | 'PCMU'; pcap: string }): string {
  return `  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
${REPLY_HEADERS}
      Contact: <sip:agent@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      ${agentSdp(options.codec ?? 'PCMA')}
    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="${options.pcap}"/></action></nop>
  <recv request="BYE"/>
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
}

/** Answers the INVITE with a final error status and takes the ACK. */
export function refusingAgent(status: number, reason: string): string {
  return `  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 ${status} ${reason}
${REPLY_HEADERS}
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`;
}

/** Rings until callflow CANCELs: 200 to the CANCEL, 487 to the INVITE, then the ACK. */
export const CANCELED_AGENT = `${RING}
  <recv request="CANCEL"/>
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
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`;

/** 407 with the trunk's challenge, to the last INVITE. */
const CHALLENGE = (nonce: string) => `  <send>
    <![CDATA[
      SIP/2.0 407 Proxy Authentication Required
${REPLY_HEADERS}
      Proxy-Authenticate: Digest realm="${TRUNK_REALM}", nonce="${nonce}", algorithm=MD5
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>`;

/** A trunk that challenges the first INVITE with 407 and goes on with `then` after the second. */
export function challengingTrunk(then: string): string {
  return `  <recv request="INVITE"/>
${CHALLENGE(TRUNK_NONCE)}
  <recv request="INVITE"/>
${then}`;
}

export const TRUNK_REALM = 'trunk.test';
export const TRUNK_NONCE = '4f1a2b3c4d5e6f70';

/**
 * Whether a Proxy-Authorization header answers the trunk's challenge for these credentials:
 * the RFC 2617 digest (MD5, no qop), checked from the trunk's side.
 */
export function digestAnswers(
  authorization: string,
  credentials: { username: string; password: string },
): boolean {
  const field = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(authorization)?.[1];
  const uri = field('uri');
  if (field('username') !== credentials.username || field('nonce') !== TRUNK_NONCE || !uri)
    return false;
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const expected = md5(
    `${md5(`${credentials.username}:${TRUNK_REALM}:${credentials.password}`)}:${TRUNK_NONCE}:${md5(`INVITE:${uri}`)}`,
  );
  return field('response') === expected;
}

/**
 * A trunk that refuses the credentials: 407, the second INVITE (with Proxy-Authorization) gets
 * 407 again; a third INVITE within 3 s (a loop) is unexpected and fails the scenario.
 */
export function refusingTrunk(): string {
  return `  <recv request="INVITE"/>
${CHALLENGE(TRUNK_NONCE)}
  <recv request="INVITE"/>
${CHALLENGE('4f1a2b3c4d5e6f71')}
  <pause milliseconds="3000"/>`;
}

// ---- RTP as pcap ---------------------------------------------------------------------------------

const BIAS = 0x84;

function linearToUlaw(sample: number): number {
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function linearToAlaw(sample: number): number {
  let s = Math.max(-32767, Math.min(32767, Math.round(sample))) >> 3;
  let mask = 0xd5;
  if (s < 0) {
    mask = 0x55;
    s = -s - 1;
  }
  const segEnds = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
  let seg = segEnds.findIndex((end) => s <= end);
  if (seg < 0) seg = 8;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | (seg < 2 ? (s >> 1) & 0xf : (s >> seg) & 0xf);
  return aval ^ mask;
}

export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const t = (((u & 0x0f) << 3) + BIAS) << ((u & 0x70) >> 4);
  return u & 0x80 ? BIAS - t : t - BIAS;
}

export function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

/** A pcap of `seconds` of a tone as 20 ms RTP packets in one G.711 law, for play_pcap_audio. */
export function tonePcap(codec: 'PCMA' | 'PCMU', hz: number, seconds: number): string {
  const pt = codec === 'PCMA' ? 8 : 0;
  const encode = codec === 'PCMA' ? linearToAlaw : linearToUlaw;
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  const records: Buffer[] = [global];
  const packets = Math.round(seconds * 50);
  for (let n = 0; n < packets; n++) {
    const rtp = Buffer.alloc(12 + 160);
    rtp[0] = 0x80;
    rtp[1] = pt;
    rtp.writeUInt16BE(n & 0xffff, 2);
    rtp.writeUInt32BE(n * 160, 4);
    rtp.writeUInt32BE(0x1234abcd, 8);
    for (let i = 0; i < 160; i++) {
      const t = (n * 160 + i) / 8000;
      rtp[12 + i] = encode(12000 * Math.sin(2 * Math.PI * hz * t));
    }
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(5000, 0);
    udp.writeUInt16BE(6000, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const record = Buffer.alloc(16);
    const micros = n * 20_000;
    record.writeUInt32LE(Math.floor(micros / 1e6), 0);
    record.writeUInt32LE(micros % 1e6, 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    records.push(record, frame);
  }
  const file = join(mkdtempSync(join(tmpdir(), 'callflow-pcap-')), `${codec}-${hz}.pcap`);
  writeFileSync(file, Buffer.concat(records));
  return file;
}

// ---- a loopback tap --------------------------------------------------------------------------

export interface TappedPacket {
  payloadType: number;
  /** RMS of the decoded G.711 samples (0 for other payload types). */
  rms: number;
  samples: number[];
}

/** Share of a packet's energy at `hz` (Goertzel): near 1 for a pure tone of that frequency. */
export function toneShare(samples: number[], hz: number): number {
  const w = (2 * Math.PI * hz) / 8000;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (samples.length * energy);
}

/** Captures the RTP sent to a UDP port on loopback (tcpdump) and decodes its G.711 audio. */
export class RtpTap {
  readonly #child: ChildProcess;
  readonly packets: TappedPacket[] = [];
  #buffer = '';
  #hex = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.on('data', (d: Buffer) => {
      this.#buffer += d.toString('latin1');
      const lines = this.#buffer.split('\n');
      this.#buffer = lines.pop() ?? '';
      for (const line of lines) this.#line(line);
    });
  }

  static async start(port: number): Promise<RtpTap> {
    const child = spawn(
      'tcpdump',
      ['-i', 'lo', '-n', '-l', '-x', '-q', '-s', '512', `udp and dst port ${port}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const tap = new RtpTap(child);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
      child.once('error', reject);
    });
    return tap;
  }

  /** Packets of one payload type whose audio is not silence (RMS above a whisper). */
  audible(payloadType: number): number {
    return this.packets.filter((p) => p.payloadType === payloadType && p.rms > 500).length;
  }

  count(payloadType: number): number {
    return this.packets.filter((p) => p.payloadType === payloadType).length;
  }

  /** Packets of one payload type carrying a tone of `hz` (the far side's test tone). */
  withTone(payloadType: number, hz: number): number {
    return this.packets.filter(
      (p) => p.payloadType === payloadType && p.rms > 500 && toneShare(p.samples, hz) > 0.5,
    ).length;
  }

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
    if (bytes.length < 40) return;
    const rtp = bytes.subarray(28);
    if (rtp[0]! >> 6 !== 2) return;
    const payloadType = rtp[1]! & 0x7f;
    const payload = rtp.subarray(12);
    const decode = payloadType === 0 ? ulawToLinear : payloadType === 8 ? alawToLinear : undefined;
    let rms = 0;
    const samples = decode ? [...payload].map(decode) : [];
    if (samples.length > 0)
      rms = Math.sqrt(samples.reduce((a, x) => a + x * x, 0) / samples.length);
    this.packets.push({ payloadType, rms, samples });
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
