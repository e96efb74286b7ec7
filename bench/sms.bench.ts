/**
 * Segment counting: callflow's inspectSms against Twilio's segment calculator
 * (sms-segments-calculator 1.3.0: `new SegmentedMessage(text, 'auto', false)`, then its
 * encoding and segment count), on the same generated texts in the same run
 * (bench/corpus.ts: GSM-7, accented Latin, Devanagari, Tamil, emoji, mixed; lengths around
 * every segment boundary).
 *
 * The peer goes through the texts once (it needs about a millisecond per text); inspectSms
 * goes through them again and again for at least a second. Both are warmed up first. Time is
 * this thread's CPU time (process.threadCpuUsage), not wall-clock time: the machines we
 * measure on are shared, and other processes' load would otherwise decide the ratio. Run
 * alone with `node bench/sms.bench.ts`.
 */

import { SegmentedMessage } from 'sms-segments-calculator';
import { inspectSms } from '../src/sms/index.ts';
import { makeCorpusEntries } from './corpus.ts';
import type { BenchResult } from './types.ts';

const TEXTS = 2000;
const SEED = 7;
const MIN_MS = 1000;

interface Group {
  name: string;
  texts: string[];
}

/** Milliseconds of CPU time this thread has used. */
function cpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

function peerOpsPerSecond(texts: readonly string[]): number {
  let sink = 0;
  const started = cpuMs();
  for (const text of texts) {
    const message = new SegmentedMessage(text, 'auto', false);
    sink += message.segmentsCount + message.encodingName.length;
  }
  const ms = cpuMs() - started;
  if (sink < 0) throw new Error('unreachable');
  return (texts.length * 1000) / ms;
}

function oursOpsPerSecond(texts: readonly string[]): number {
  let sink = 0;
  let done = 0;
  const started = cpuMs();
  let ms = 0;
  while (ms < MIN_MS) {
    for (const text of texts) {
      const result = inspectSms(text);
      sink += result.segments + result.encoding.length;
    }
    done += texts.length;
    ms = cpuMs() - started;
  }
  if (sink < 0) throw new Error('unreachable');
  return (done * 1000) / ms;
}

export async function run(): Promise<BenchResult[]> {
  const entries = makeCorpusEntries(TEXTS, SEED);
  const all = entries.map((entry) => entry.text);
  const groups: Group[] = [
    { name: 'inspectSms, corpus mix', texts: all },
    {
      name: 'inspectSms, GSM-7 texts',
      texts: all.filter((t) => inspectSms(t).encoding === 'GSM-7'),
    },
    {
      name: 'inspectSms, UCS-2 texts',
      texts: all.filter((t) => inspectSms(t).encoding === 'UCS-2'),
    },
  ];
  // Warm-up: both sides see every kind of text before they are timed.
  peerOpsPerSecond(all.slice(0, 200));
  for (let k = 0; k < 20; k++) for (const text of all) inspectSms(text);

  const results: BenchResult[] = [];
  for (const group of groups) {
    const peer = peerOpsPerSecond(group.texts);
    const ours = oursOpsPerSecond(group.texts);
    results.push({
      name: group.name,
      ours,
      peer,
      peerName: 'sms-segments-calculator 1.3.0',
      unit: 'texts/s (CPU)',
      ratio: ours / peer,
      notes: `${group.texts.length} texts, seed ${SEED}`,
    });
  }
  return results;
}

if (import.meta.main) {
  for (const r of await run()) {
    console.log(
      `${r.name}: ours ${Math.round(r.ours).toLocaleString('en-US')} ${r.unit}, ` +
        `${r.peerName} ${Math.round(r.peer).toLocaleString('en-US')} ${r.unit}, ` +
        `ratio ${r.ratio.toFixed(0)}× (${r.notes})`,
    );
  }
}
