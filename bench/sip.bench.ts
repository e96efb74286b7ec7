/**
 * Real calls under load: sipp (Debian's sip-tester) is the load generator, calling a callflow
 * server in this process (SIP endpoint, flow runtime, its own rtpengine, the carrier simulator).
 *
 * - Call setups: 500 calls at 50 a second to the missed-call flow (greeting, Connect, SMS, hang-up):
 *   each caller hears the 3.6 s greeting, Connect fails (no outbound trunk), the SMS goes to the
 *   caller and callflow hangs up; about 185 calls are up at once.
 *   Reported: setups completed per second, INVITE→200 p50/p99 (sipp's response-time trace), and
 *   that every call's SMS reached the carrier simulator.
 * - Concurrent calls: 50, 100 and 200 callers to the appointment IVR (greeting + IVR + SMS): each
 *   hears the menu (6 s of speech), presses 1 (RFC 4733 from sipp's play_dtmf), hears the
 *   confirmation and is hung up on. All N calls start within 5 s, so all N are up at once, with
 *   prompts playing. Reported: the most calls up at once (rtpengine's session count), that every
 *   call's SMS was sent, the inter-packet jitter of the prompt audio as the callers receive it
 *   (tcpdump on loopback toward sipp's media ports: the arrival gap of consecutive packets minus
 *   20 ms; p50/p99), and callflow's and rtpengine's CPU.
 *
 * The figures are compared with the targets (the "peer" column): 50 setups/s, INVITE→200
 * p99 under 100 ms, 200 concurrent calls with p99 jitter under 5 ms.
 * Run with `npm run bench -- sip`; CALLFLOW_BENCH_SIP_LEVELS=50,100 picks the concurrency levels.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_APPOINTMENT_EXOPHONE, DEMO_EXOPHONE } from '../src/demo.ts';
import {
  ANSWERED,
  byeMessage,
  type CallflowUnderTest,
  inviteMessage,
  RECEIVE_BYE,
  scenario,
  startCallflow,
} from '../test/sip/helpers.ts';
import { ownProcessCpuMs, processCpuMs } from './lib/cpu.ts';
import { interPacketJitterMs, readRtp } from './lib/pcap.ts';
import type { BenchResult } from './types.ts';

const SETUP_CALLS = 500;
const SETUP_RATE = 50;
const LEVELS = process.env.CALLFLOW_BENCH_SIP_LEVELS
  ? process.env.CALLFLOW_BENCH_SIP_LEVELS.split(',').map(Number)
  : [50, 100, 200];

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface SippRun {
  code: number | null;
  output: string;
  /** INVITE→200 of each call, ms. */
  responseMs: number[];
  seconds: number;
}

let callerSeq = 0;

async function sipp(
  callflow: CallflowUnderTest,
  options: { xml: string; service: string; calls: number; rate: number; mediaBase: number },
): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-sipp-'));
  writeFileSync(join(dir, 'load.xml'), options.xml);
  const callers = Array.from({ length: options.calls }, () => {
    callerSeq += 1;
    return `98${String(70_000_000 + callerSeq).padStart(8, '0')}`;
  });
  writeFileSync(join(dir, 'callers.csv'), ['SEQUENTIAL', ...callers, ''].join('\n'));
  const started = performance.now();
  const child = spawn(
    'sipp',
    [
      `127.0.0.1:${callflow.sipPort}`,
      '-sf',
      'load.xml',
      '-inf',
      'callers.csv',
      '-s',
      options.service,
      '-i',
      '127.0.0.1',
      '-mp',
      String(options.mediaBase),
      '-m',
      String(options.calls),
      '-r',
      String(options.rate),
      '-l',
      String(options.calls),
      '-nostdin',
      '-timeout',
      '120s',
      '-timeout_error',
      '-trace_rtt',
      '-rtt_freq',
      '1',
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
  const seconds = (performance.now() - started) / 1000;
  const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  const responseMs: number[] = [];
  if (rttFile) {
    for (const line of readFileSync(join(dir, rttFile), 'utf8').split('\n').slice(1)) {
      const fields = line.split(';');
      if (fields.length >= 3 && fields[1]) responseMs.push(Number(fields[1]));
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return { code, output, responseMs, seconds };
}

async function capture(portFrom: number, portTo: number, file: string) {
  const child = spawn(
    'tcpdump',
    [
      '-i',
      'lo',
      '-n',
      '-s',
      '96',
      '-B',
      '16384',
      '-w',
      file,
      `udp and dst portrange ${portFrom}-${portTo}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      if (err.includes('listening on')) resolve();
    });
    child.once('exit', (c) => reject(new Error(`tcpdump exited ${c}: ${err}`)));
  });
  return async (): Promise<string> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    return file;
  };
}

async function waitFor(probe: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return probe();
}

export async function run(): Promise<BenchResult[]> {
  const callflow = await startCallflow({
    maxCalls: 400,
    invitesPerSecondPerSource: 1000,
    rtpPorts: { min: 30_000, max: 34_999 },
  });
  const { server } = callflow;
  const media = server.sip!.media;
  if (!media.state.running) throw new Error(`rtpengine: ${media.state.reason}`);
  const rtpenginePid = (media as { supervisor?: { pid?: number } }).supervisor?.pid;
  const smsCount = () => server.simulator!.received().length;
  // How much of INVITE→200 is the media offer/answer (two NG round trips to rtpengine).
  const answerMs: number[] = [];
  const answerCaller = media.answerCaller.bind(media);
  media.answerCaller = async (call) => {
    const started = performance.now();
    try {
      return await answerCaller(call);
    } finally {
      answerMs.push(performance.now() - started);
    }
  };
  const results: BenchResult[] = [];
  try {
    // Warm the prompt cache (the first call of a prompt renders it; later calls play the file).
    const warm = await sipp(callflow, {
      xml: scenario(
        'warm',
        `${inviteMessage()}\n${ANSWERED}\n  <pause milliseconds="1000"/>\n${byeMessage()}`,
      ),
      service: DEMO_EXOPHONE,
      calls: 1,
      rate: 1,
      mediaBase: 40_000,
    });
    if (warm.code !== 0) throw new Error(`warm-up call failed: ${warm.output}`);

    // 1. Call setups per second.
    const smsBefore = smsCount();
    const setup = await sipp(callflow, {
      xml: scenario('setups', `${inviteMessage()}\n${ANSWERED}\n${RECEIVE_BYE}`),
      service: DEMO_EXOPHONE,
      calls: SETUP_CALLS,
      rate: SETUP_RATE,
      mediaBase: 40_000,
    });
    const allSms = await waitFor(() => smsCount() - smsBefore >= SETUP_CALLS, 60_000);
    const failedSetups = Number(
      /Failed call\s+\|\s+\d+\s+\|\s+(\d+)/.exec(setup.output)?.[1] ?? Number.NaN,
    );
    // Calls were offered at 50/s for 10 s; the last one then lasts its 3.6 s greeting.
    const setupsPerSecond = setup.responseMs.length / Math.max(setup.seconds - 3.7, 1);
    const mediaP99 = percentile(answerMs, 99);
    answerMs.length = 0;
    const p50 = percentile(setup.responseMs, 50);
    const p99 = percentile(setup.responseMs, 99);
    results.push({
      name: `SIP: call setups/s (${SETUP_CALLS} calls offered at ${SETUP_RATE}/s)`,
      ours: setupsPerSecond,
      peer: 50,
      peerName: 'target',
      unit: 'setups/s',
      ratio: setupsPerSecond / 50,
      notes: `${setup.responseMs.length} answered, ${failedSetups} failed; ${smsCount() - smsBefore} of ${SETUP_CALLS} SMS sent${allSms ? '' : ' (NOT all)'}`,
    });
    results.push({
      name: 'SIP: INVITE→200 p99 (at 50 setups/s)',
      ours: p99,
      peer: 100,
      peerName: 'target',
      unit: 'ms',
      ratio: 100 / Math.max(p99, 0.001),
      notes: `p50 ${p50.toFixed(1)} ms; of which rtpengine offer/answer p99 ${mediaP99.toFixed(1)} ms`,
    });
    await waitFor(() => false, 3000); // let the last flows finish

    // 2. Concurrent calls with prompts playing.
    const ivr = scenario(
      'ivr',
      `${inviteMessage()}\n${ANSWERED}\n  <pause milliseconds="7500"/>\n  <nop><action><exec play_dtmf="1"/></action></nop>\n${RECEIVE_BYE}`,
    );
    for (const level of LEVELS) {
      const dir = mkdtempSync(join(tmpdir(), 'callflow-bench-rtp-'));
      const mediaBase = 40_000;
      const stop = await capture(mediaBase, mediaBase + level * 4 + 10, join(dir, 'rtp.pcap'));
      const before = smsCount();
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
      const load = await sipp(callflow, {
        xml: ivr,
        service: DEMO_APPOINTMENT_EXOPHONE,
        calls: level,
        rate: Math.ceil(level / 5),
        mediaBase,
      });
      sampling = false;
      await sampler;
      const cpuMs = ownProcessCpuMs() - cpuBefore;
      const engineMs = processCpuMs(rtpenginePid) - engineBefore;
      const sent = (await waitFor(() => smsCount() - before >= level, 30_000))
        ? level
        : smsCount() - before;
      const file = await stop();
      const jitter = interPacketJitterMs(readRtp(file));
      rmSync(dir, { recursive: true, force: true });
      const failed = Number(
        /Failed call\s+\|\s+\d+\s+\|\s+(\d+)/.exec(load.output)?.[1] ?? Number.NaN,
      );
      const j99 = percentile(jitter, 99);
      results.push({
        name: `SIP: ${level} concurrent calls, prompt jitter p99`,
        ours: j99,
        peer: 5,
        peerName: 'target',
        unit: 'ms',
        ratio: 5 / Math.max(j99, 0.001),
        notes:
          `${most} calls up at once, ${failed} failed, ${sent}/${level} SMS; jitter p50 ${percentile(jitter, 50).toFixed(2)} ms, ` +
          `max ${Math.max(...jitter).toFixed(1)} ms over ${jitter.length} packet gaps; ` +
          `INVITE→200 p99 ${percentile(load.responseMs, 99).toFixed(1)} ms; CPU over ${load.seconds.toFixed(0)} s: ` +
          `callflow ${(cpuMs / load.seconds / 10).toFixed(0)}%, rtpengine ${(engineMs / load.seconds / 10).toFixed(0)}% of one core`,
      });
      await waitFor(() => false, 2000);
    }
  } finally {
    await callflow.stop();
  }
  return results;
}

if (import.meta.main) {
  for (const r of await run()) console.log(r);
}
