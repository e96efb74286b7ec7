/**
 * Connect under load: bridged conversations through rtpengine. sipp calls a callflow server in
 * this process; the flow's Connect dials the agent number through an outbound trunk that is a
 * second sipp (a UAS answering every INVITE at once). Caller and agent both stream a 20 ms G.711
 * tone (play_pcap_audio) for 12 s while bridged, then the caller hangs up.
 *
 * - Concurrent bridged calls at 50, 100 and 200: all calls are set up at 10 a second, so all N are
 *   bridged at once for several seconds. tcpdump on loopback captures the RTP into and out of
 *   rtpengine's port range; each packet that rtpengine forwarded is paired with the one it
 *   received (same sequence number and timestamp, the nearest earlier one within 50 ms).
 *   Reported: loss (packets received by rtpengine while bridged that never left it), the added
 *   latency through rtpengine (p50/p99), the most sessions at once, and callflow's and rtpengine's
 *   CPU.
 * - Setup rate through Connect: 500 calls offered at 50 a second, each answered by the agent and
 *   ended by the caller after 1 s: setups per second (INVITE to the agent's answer).
 *
 * Compared with the targets (the "peer" column): 100 bridged calls with no loss and added
 * latency p99 under 10 ms. Run with `npm run bench -- connect`.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowDocument } from '../src/flows/types.ts';
import { answerAndTalk, RING, startAgent, tonePcap } from '../test/sip/agents.ts';
import {
  ANSWERED,
  byeMessage,
  type CallflowUnderTest,
  freeUdpPort,
  inviteMessage,
  scenario,
  startCallflow,
} from '../test/sip/helpers.ts';
import { ownProcessCpuMs, processCpuMs } from './lib/cpu.ts';
import type { BenchResult } from './types.ts';

const LEVELS = [50, 100, 200];
const SETUP_RATE = 10;
const TALK_MS = 14_000;
const TONE_SECONDS = 12;
const EXOPHONE = '+918045678999';
const RTP_MIN = 30_000;
const RTP_MAX = 34_999;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Packet {
  atUs: number;
  src: number;
  dst: number;
  seq: number;
  ts: number;
}

function readPackets(path: string): Packet[] {
  const file = readFileSync(path);
  if (file.length < 24) return [];
  const nanos = file.readUInt32LE(0) === 0xa1b23c4d;
  const linkType = file.readUInt32LE(20);
  const linkHeader = linkType === 1 ? 14 : linkType === 113 ? 16 : 0;
  const packets: Packet[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const seconds = file.readUInt32LE(at);
    const fraction = file.readUInt32LE(at + 4);
    const captured = file.readUInt32LE(at + 8);
    const ip = file.subarray(at + 16 + linkHeader, at + 16 + captured);
    at += 16 + captured;
    if (ip.length < 40 || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const rtp = udp.subarray(8);
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue;
    const pt = rtp[1]! & 0x7f;
    if (pt !== 0 && pt !== 8) continue;
    packets.push({
      atUs: seconds * 1e6 + (nanos ? fraction / 1000 : fraction),
      src: udp.readUInt16BE(0),
      dst: udp.readUInt16BE(2),
      seq: rtp.readUInt16BE(2),
      ts: rtp.readUInt32BE(4),
    });
  }
  return packets;
}

/** Pairs what rtpengine sent with what it received: loss and added latency. */
function throughRtpengine(packets: Packet[]): {
  latencyMs: number[];
  received: number;
  lost: number;
} {
  const inRange = (port: number) => port >= RTP_MIN && port <= RTP_MAX;
  const incoming = new Map<string, Packet[]>();
  let received = 0;
  for (const p of packets) {
    if (!inRange(p.dst) || inRange(p.src)) continue;
    received++;
    const key = `${p.seq}|${p.ts}`;
    let list = incoming.get(key);
    if (!list) {
      list = [];
      incoming.set(key, list);
    }
    list.push(p);
  }
  const used = new Set<Packet>();
  const latencyMs: number[] = [];
  for (const p of packets) {
    if (!inRange(p.src) || inRange(p.dst)) continue;
    let best: Packet | undefined;
    for (const q of incoming.get(`${p.seq}|${p.ts}`) ?? []) {
      if (used.has(q) || q.atUs > p.atUs || p.atUs - q.atUs > 50_000) continue;
      if (!best || q.atUs > best.atUs) best = q;
    }
    if (!best) continue;
    used.add(best);
    latencyMs.push((p.atUs - best.atUs) / 1000);
  }
  return { latencyMs, received, lost: received - used.size };
}

async function capture(file: string): Promise<() => Promise<string>> {
  const child = spawn(
    'tcpdump',
    [
      '-i',
      'lo',
      '-n',
      '-s',
      '64',
      '-B',
      '65536',
      '-w',
      file,
      `udp and portrange ${RTP_MIN}-${RTP_MAX}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`tcpdump exited ${c}: ${err}`)));
  });
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const dropped = /(\d+) packets dropped by kernel/.exec(err)?.[1];
    if (dropped && dropped !== '0') console.log(`  tcpdump: ${dropped} packets dropped by kernel`);
    return file;
  };
}

async function callers(
  callflow: CallflowUnderTest,
  xml: string,
  calls: number,
  rate: number,
): Promise<{ code: number | null; output: string; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-connect-'));
  writeFileSync(join(dir, 'caller.xml'), xml);
  writeFileSync(join(dir, 'callers.csv'), ['SEQUENTIAL', '9876543210', ''].join('\n'));
  const started = performance.now();
  const child = spawn(
    'sipp',
    [
      `127.0.0.1:${callflow.sipPort}`,
      '-sf',
      'caller.xml',
      '-inf',
      'callers.csv',
      '-s',
      EXOPHONE,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freeUdpPort()),
      '-mp',
      '40000',
      '-m',
      String(calls),
      '-r',
      String(rate),
      '-l',
      String(calls),
      '-nostdin',
      '-timeout',
      '120s',
      '-timeout_error',
      '-max_socket',
      '2000',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  child.stderr.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
  return { code, output, seconds: (performance.now() - started) / 1000 };
}

export async function run(): Promise<BenchResult[]> {
  const trunkPort = await freeUdpPort();
  const callflow = await startCallflow({
    maxCalls: 400,
    invitesPerSecondPerSource: 1000,
    rtpPorts: { min: RTP_MIN, max: RTP_MAX },
    trunks: [
      { name: 'loopback', addresses: ['127.0.0.1/32'] },
      {
        name: 'agents',
        addresses: ['192.0.2.1/32'],
        outbound: { host: '127.0.0.1', port: trunkPort },
      },
    ],
    outboundTrunk: 'agents',
  });
  const { server } = callflow;
  const media = server.sip!.media;
  if (!media.state.running) throw new Error(`rtpengine: ${media.state.reason}`);
  const rtpenginePid = (media as { supervisor?: { pid?: number } }).supervisor?.pid;
  const accountSid = server.demo!.accountSid;
  const flow = await server.flows!.createFlow(accountSid, {
    document: {
      name: 'Connect bench',
      start: 'agent',
      applets: {
        agent: {
          type: 'connect',
          config: { numbers: ['+919812345678'], ringSeconds: 30 },
          next: { completed: 'bye', 'no-answer': 'bye', busy: 'bye', failed: 'bye' },
        },
        bye: { type: 'hangup', config: {} },
      },
    } as FlowDocument,
  });
  await server.flows!.publish(accountSid, flow.id);
  await server.flows!.assignNumber(accountSid, EXOPHONE, flow.id);
  const results: BenchResult[] = [];
  const callerTone = tonePcap('PCMA', 600, TONE_SECONDS);
  const agentTone = tonePcap('PCMA', 1000, TONE_SECONDS);
  try {
    for (const level of LEVELS) {
      const agents = await startAgent(
        `${RING}\n  <pause milliseconds="10"/>\n${answerAndTalk({ pcap: agentTone }).replace('<nop><action><exec play_pcap_audio', '<pause milliseconds="300"/>\n  <nop><action><exec play_pcap_audio')}`,
        { port: trunkPort, mediaPort: await portOutsideRtp(), timeoutSeconds: 120, calls: level },
      );
      const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-bridge-'));
      const stop = await capture(join(dir, 'rtp.pcap'));
      const cpuBefore = ownProcessCpuMs();
      const engineBefore = processCpuMs(rtpenginePid);
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, (await media.sessions()).length);
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const load = await callers(
        callflow,
        scenario(
          'caller',
          `${inviteMessage()}\n${ANSWERED}\n  <pause milliseconds="1500"/>\n  <nop><action><exec play_pcap_audio="${callerTone}"/></action></nop>\n  <pause milliseconds="${TALK_MS}"/>\n${byeMessage()}`,
        ),
        level,
        SETUP_RATE,
      );
      sampling = false;
      await sampler;
      const cpuMs = ownProcessCpuMs() - cpuBefore;
      const engineMs = processCpuMs(rtpenginePid) - engineBefore;
      await settle(agents);
      const file = await stop();
      const { latencyMs, received, lost } = throughRtpengine(readPackets(file));
      rmSync(dir, { recursive: true, force: true });
      const failed = Number(
        /Failed call\s+\|\s+\d+\s+\|\s+(\d+)/.exec(load.output)?.[1] ?? Number.NaN,
      );
      const p99 = percentile(latencyMs, 99);
      results.push({
        name: `Connect: ${level} bridged calls, added latency p99`,
        ours: p99,
        peer: 10,
        peerName: 'target',
        unit: 'ms',
        ratio: 10 / Math.max(p99, 0.001),
        notes:
          `${most} sessions at once, ${failed} calls failed; ${lost} of ${received} packets lost in rtpengine ` +
          `(${((lost / Math.max(received, 1)) * 100).toFixed(3)}%); latency p50 ${percentile(latencyMs, 50).toFixed(2)} ms, ` +
          `max ${latencyMs.reduce((a, b) => Math.max(a, b), 0).toFixed(1)} ms; CPU over ${load.seconds.toFixed(0)} s: ` +
          `callflow ${(cpuMs / load.seconds / 10).toFixed(0)}%, rtpengine ${(engineMs / load.seconds / 10).toFixed(0)}% of one core`,
      });
      await new Promise((r) => setTimeout(r, 2000));
    }

    // Setup rate through Connect.
    const calls = 500;
    const rate = 50;
    const agents = await startAgent(`${RING}\n${answerAndTalk({ pcap: agentTone })}`, {
      port: trunkPort,
      mediaPort: await portOutsideRtp(),
      timeoutSeconds: 120,
      calls,
    });
    const load = await callers(
      callflow,
      scenario(
        'caller',
        `${inviteMessage()}\n${ANSWERED}\n  <pause milliseconds="1000"/>\n${byeMessage()}`,
      ),
      calls,
      rate,
    );
    await settle(agents);
    const successful = Number(
      /Successful call\s+\|\s+\d+\s+\|\s+(\d+)/.exec(load.output)?.[1] ?? 0,
    );
    const setups = successful / Math.max(load.seconds - 1, 1);
    results.push({
      name: `Connect: setups/s through Connect (${calls} offered at ${rate}/s)`,
      ours: setups,
      peer: rate,
      peerName: 'offered',
      unit: 'setups/s',
      ratio: setups / rate,
      notes: `${successful} of ${calls} bridged and ended`,
    });
  } finally {
    await callflow.stop();
  }
  return results;
}

/** A free media port pair outside rtpengine's range (packets are told apart by port). */
async function portOutsideRtp(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort(true);
    if (port < RTP_MIN || port > RTP_MAX + 1) return port;
  }
}

/** Waits for the agents' sipp to finish its calls (at most 10 s more), then stops it. */
async function settle(agents: Awaited<ReturnType<typeof startAgent>>): Promise<void> {
  await Promise.race([agents.done, new Promise((r) => setTimeout(r, 10_000))]);
  await agents.stop();
}
