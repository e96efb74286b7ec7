/**
 * inspectSms against the de-facto reference, Twilio's segment calculator
 * (`sms-segments-calculator` 1.3.0, smart encoding off), on 100,000 generated texts.
 *
 * Encoding and segment count must agree for every text, except in four named categories
 * where the calculator breaks a rule that callflow keeps on purpose (docs/sms.md, "Where we
 * differ from Twilio's calculator"). Each category has its own test below with a minimal
 * text; in the corpus run a disagreement only counts as explained when the calculator's
 * first part boundary that differs from ours is exactly the kind of split the category names.
 * Anything else fails the test.
 *
 * The calculator needs 0.5-5 ms per text, so the corpus run is split across two worker
 * threads (this same file, started with workerData). Each worker also checks inspectSms's own
 * invariants on its texts: the parts join back to the text, every part fits, every part
 * boundary is a grapheme cluster boundary of Intl.Segmenter, and `characters` is the number
 * of clusters Intl.Segmenter finds.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SegmentedMessage } from 'sms-segments-calculator';
import { makeCorpusText } from '../bench/corpus.ts';
import { segmenterClusterStarts } from '../src/sms/graphemes.ts';
import { countSeptets, inspectSms, type SmsInspection } from '../src/sms/index.ts';

/** SMS_ORACLE_TEXTS lowers the count for a quick local run; the suite runs 100,000. */
const CORPUS_SIZE = Number(process.env.SMS_ORACLE_TEXTS ?? 100_000);
const CORPUS_SEED = 20240115;
const WORKERS = 2;
/** Bits in one SMS: 140 octets. */
const PART_BITS = 1120;

type Category =
  | 'crlf-kept-whole'
  | 'indic-conjunct'
  | 'emoji-zwj-sequence'
  | 'overfull-part'
  | 'unexplained';

interface Disagreement {
  index: number;
  category: Category;
  ours: string;
  calculator: string;
  text: string;
}

interface WorkerReport {
  texts: number;
  agreed: number;
  categories: Partial<Record<Category, number>>;
  examples: Disagreement[];
  invariantFailures: string[];
  /** CPU time the worker used. */
  ms: number;
}

interface CalculatorView {
  encoding: string;
  segments: number;
  parts: string[];
  overfull: boolean;
}

function calculate(text: string): CalculatorView {
  const message = new SegmentedMessage(text, 'auto', false);
  const parts = message.segments.map((segment) =>
    segment
      .filter((item: { isUserDataHeader?: boolean }) => item.isUserDataHeader !== true)
      .map((item: { raw: string }) => item.raw)
      .join(''),
  );
  return {
    encoding: message.encodingName,
    segments: message.segmentsCount,
    parts,
    overfull: message.segments.some((segment) => segment.sizeInBits() > PART_BITS),
  };
}

const VIRAMAS = /[\u094d\u09cd\u0a4d\u0acd\u0b4d\u0c4d\u0d4d]$/;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;

/**
 * Why the calculator's segment count differs from ours: the kind of cluster its first
 * diverging part boundary cuts through.
 */
function categorize(text: string, ours: SmsInspection, calc: CalculatorView): Category {
  if (ours.encoding !== calc.encoding) return 'unexplained';
  // The calculator made a part longer than 140 octets, which no SMS can carry.
  if (calc.overfull) return 'overfull-part';
  let ourEnd = 0;
  let calcEnd = 0;
  for (let k = 0; k < Math.min(ours.parts.length, calc.parts.length); k++) {
    ourEnd += ours.parts[k]!.length;
    calcEnd += calc.parts[k]!.length;
    if (ourEnd !== calcEnd) break;
  }
  if (ourEnd === calcEnd) return 'unexplained';
  const starts = new Set(segmenterClusterStarts(text));
  if (starts.has(calcEnd)) return 'unexplained';
  // The calculator cut inside one of our clusters, at calcEnd. Which kind of cluster?
  const before = text.slice(0, calcEnd);
  const after = text.slice(calcEnd);
  if (before.endsWith('\r') && after.startsWith('\n')) return 'crlf-kept-whole';
  if (
    before.endsWith('\u200d') &&
    PICTOGRAPH.test(before.slice(-4)) &&
    PICTOGRAPH.test(after.slice(0, 2))
  ) {
    return 'emoji-zwj-sequence';
  }
  if (VIRAMAS.test(before)) return 'indic-conjunct';
  return 'unexplained';
}

/** inspectSms's own invariants; returns what is broken, or undefined. */
function checkInvariants(text: string, ours: SmsInspection): string | undefined {
  if (ours.parts.join('') !== text) return 'parts do not join back to the text';
  if (ours.parts.length !== ours.segments) return 'segments !== parts.length';
  const starts = segmenterClusterStarts(text);
  if (ours.characters !== starts.length)
    return `characters ${ours.characters} !== ${starts.length}`;
  const clusterEnd = new Map<number, number>();
  for (const [k, start] of starts.entries()) clusterEnd.set(start, starts[k + 1] ?? text.length);
  let end = 0;
  for (const [k, part] of ours.parts.entries()) {
    const units = ours.encoding === 'GSM-7' ? countSeptets(part) : part.length;
    if (units > ours.unitsPerSegment) return `part ${k} has ${units} units`;
    end += part.length;
    if (end === text.length || clusterEnd.has(end)) continue;
    // Only a cluster longer than a whole part may be cut, and only between code points.
    const start = starts.findLast((s) => s < end)!;
    if (clusterEnd.get(start)! - start <= ours.unitsPerSegment) {
      return `part boundary ${end} splits a cluster that fits in a part`;
    }
    if (/[\ud800-\udbff]/.test(text[end - 1]!))
      return `part boundary ${end} splits a surrogate pair`;
  }
  return undefined;
}

function runWorker(worker: number): WorkerReport {
  const started = process.threadCpuUsage();
  const report: WorkerReport = {
    texts: 0,
    agreed: 0,
    categories: {},
    examples: [],
    invariantFailures: [],
    ms: 0,
  };
  for (let index = worker; index < CORPUS_SIZE; index += WORKERS) {
    const { text } = makeCorpusText(CORPUS_SEED, index);
    report.texts++;
    const ours = inspectSms(text);
    const broken = checkInvariants(text, ours);
    if (broken !== undefined && report.invariantFailures.length < 20) {
      report.invariantFailures.push(`text #${index}: ${broken}: ${JSON.stringify(text)}`);
    }
    const calc = calculate(text);
    if (calc.encoding === ours.encoding && calc.segments === ours.segments) {
      report.agreed++;
      continue;
    }
    const category = categorize(text, ours, calc);
    report.categories[category] = (report.categories[category] ?? 0) + 1;
    if (report.examples.filter((example) => example.category === category).length < 3) {
      report.examples.push({
        index,
        category,
        ours: `${ours.encoding} ${ours.parts.map((part) => part.length).join('+')}`,
        calculator: `${calc.encoding} ${calc.parts.map((part) => part.length).join('+')}`,
        text,
      });
    }
  }
  const used = process.threadCpuUsage(started);
  report.ms = (used.user + used.system) / 1000;
  return report;
}

function runInWorker(worker: number): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL(import.meta.url), { workerData: { worker } });
    thread.once('message', resolve);
    thread.once('error', reject);
    thread.once('exit', (code) => {
      if (code !== 0) reject(new Error(`oracle worker ${worker} exited with ${code}`));
    });
  });
}

function compare(text: string): { ours: string; calculator: string; category: Category | 'agree' } {
  const ours = inspectSms(text);
  const calc = calculate(text);
  const agree = ours.encoding === calc.encoding && ours.segments === calc.segments;
  return {
    ours: `${ours.encoding} ${ours.segments}`,
    calculator: `${calc.encoding} ${calc.segments}`,
    category: agree ? 'agree' : categorize(text, ours, calc),
  };
}

if (!isMainThread) {
  parentPort!.postMessage(runWorker((workerData as { worker: number }).worker));
} else {
  test('agrees with the calculator on the vectors of its own test suite', () => {
    const vectors: [string, string][] = [
      ['1'.repeat(160), 'GSM-7 1'],
      ['1'.repeat(161), 'GSM-7 2'],
      ['1'.repeat(307), 'GSM-7 3'],
      [`😜${'1'.repeat(68)}`, 'UCS-2 1'],
      [`😜${'1'.repeat(69)}`, 'UCS-2 2'],
      [`😜${'1'.repeat(132)}`, 'UCS-2 2'],
      [`😜${'1'.repeat(133)}`, 'UCS-2 3'],
      [`🇮🇹${'1'.repeat(66)}`, 'UCS-2 1'],
      [`🇮🇹${'1'.repeat(67)}`, 'UCS-2 2'],
      [`🏳️‍🌈${'1'.repeat(64)}`, 'UCS-2 1'],
      [`🏳️‍🌈${'1'.repeat(65)}`, 'UCS-2 2'],
      [`^${'1'.repeat(159)}`, 'GSM-7 2'],
      [`😀${']'.repeat(68)}`, 'UCS-2 1'],
      [`😀${']'.repeat(69)}`, 'UCS-2 2'],
    ];
    for (const [text, expected] of vectors) {
      const result = compare(text);
      assert.equal(result.ours, expected, JSON.stringify(text));
      assert.equal(result.calculator, expected, JSON.stringify(text));
    }
  });

  test('crlf-kept-whole: CR LF is one cluster and moves whole; the calculator splits it', () => {
    // 152 + 2 + 152 = 306 septets. The calculator fills part 1 with 152 letters and the CR,
    // so two parts; we keep CR LF together, so part 1 holds 152 septets and a third part is
    // needed.
    const text = `${'a'.repeat(152)}\r\n${'a'.repeat(152)}`;
    assert.deepEqual(compare(text), {
      ours: 'GSM-7 3',
      calculator: 'GSM-7 2',
      category: 'crlf-kept-whole',
    });
    assert.deepEqual(inspectSms(text).parts, ['a'.repeat(152), `\r\n${'a'.repeat(151)}`, 'a']);
  });

  test('indic-conjunct: a Devanagari conjunct (UAX #29 GB9c) is one cluster; the calculator splits it', () => {
    // क्ष is KA VIRAMA SSA, one cluster since Unicode 15.1. The calculator's grapheme-splitter
    // (Unicode 10 rules) cuts it after the virama.
    const text = `${'a'.repeat(65)}क्ष${'a'.repeat(66)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 3',
      calculator: 'UCS-2 2',
      category: 'indic-conjunct',
    });
    assert.equal(inspectSms(text).parts[1]!.slice(0, 3), 'क्ष');
  });

  test('emoji-zwj-sequence: an emoji ZWJ sequence is one cluster; the calculator splits it', () => {
    // 🧑‍🦰 (person, ZWJ, red hair) is one cluster under UAX #29 GB11 (Unicode 11 and later:
    // any pictograph after ZWJ). The calculator's Unicode 10 rules only join after a ZWJ the
    // emoji on their Glue_After_Zwj / E_Base_GAZ lists, which 🦰 is not.
    const text = `${'a'.repeat(64)}🧑‍🦰${'a'.repeat(65)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 3',
      calculator: 'UCS-2 2',
      category: 'emoji-zwj-sequence',
    });
    assert.equal(inspectSms(text).parts[1]!.slice(0, 5), '🧑‍🦰');
  });

  test('overfull-part: a cluster longer than a part is split; the calculator overfills a part', () => {
    // One letter with 80 combining accents: 81 UTF-16 units, more than a part's 67. The
    // calculator leaves part 1 empty and puts the cluster whole into part 2: 1344 bits of
    // text where 1072 fit.
    const text = `a${'\u0301'.repeat(80)}${'b'.repeat(10)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      calculator: 'UCS-2 3',
      category: 'overfull-part',
    });
    assert.deepEqual(
      inspectSms(text).parts.map((part) => part.length),
      [67, 24],
    );
  });

  test('overfull-part: big clusters move to the next part; the calculator overfills a part', () => {
    // Two clusters of 60 units after 10 letters: 130 units. Part 1 holds the letters, each
    // cluster gets a part of its own. The calculator first fills a single 70-unit part, then
    // moves the first cluster out to make room for the header, and adds the second cluster
    // to the same part without checking that it fits: 120 units in one part.
    const cluster = `a${'\u0301'.repeat(59)}`;
    const text = `${'x'.repeat(10)}${cluster}${cluster}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 3',
      calculator: 'UCS-2 2',
      category: 'overfull-part',
    });
    assert.deepEqual(inspectSms(text).parts, ['x'.repeat(10), cluster, cluster]);
  });

  test(`agrees with the calculator on ${CORPUS_SIZE} generated texts, except the named categories`, async (t) => {
    const started = performance.now();
    const reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, worker) => runInWorker(worker)),
    );
    const texts = reports.reduce((sum, report) => sum + report.texts, 0);
    const agreed = reports.reduce((sum, report) => sum + report.agreed, 0);
    const categories: Partial<Record<Category, number>> = {};
    for (const report of reports) {
      for (const [category, count] of Object.entries(report.categories)) {
        categories[category as Category] = (categories[category as Category] ?? 0) + count;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    t.diagnostic(`${texts} texts in ${seconds} s on ${WORKERS} workers; ${agreed} agree`);
    t.diagnostic(`disagreements by category: ${JSON.stringify(categories)}`);

    const cpu = reports.map((report) => `${(report.ms / 1000).toFixed(1)} s`).join(' + ');
    t.diagnostic(`worker CPU time: ${cpu}`);
    assert.equal(texts, CORPUS_SIZE);
    assert.deepEqual(
      reports.flatMap((report) => report.invariantFailures),
      [],
    );
    const unexplained = reports
      .flatMap((report) => report.examples)
      .filter((example) => example.category === 'unexplained');
    assert.deepEqual(unexplained, [], 'disagreements that no named category explains');
    assert.equal(categories.unexplained, undefined);
    const explained = Object.values(categories).reduce((sum, count) => sum + count, 0);
    assert.equal(agreed + explained, CORPUS_SIZE);
  });
}
