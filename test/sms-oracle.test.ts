/**
 * inspectSms against the de-facto reference, Twilio's segment calculator
 * (`sms-segments-calculator` 1.3.0, smart encoding off), on 100,000 generated texts.
 *
 * inspectSms splits where GSM 03.40 and the carriers do (153 septets, 67 UCS-2 units, never
 * inside an escape or a surrogate pair). Encoding and segment count must agree for every text,
 * except in two named categories where the calculator counts what no carrier bills
 * (docs/sms.md, "Where we differ from Twilio's calculator"). Each category has its own test
 * below with a minimal text; in the corpus run a disagreement only counts as explained when
 * the calculator's parts show exactly what the category names. Anything else fails the test.
 *
 * The calculator needs 0.5-5 ms per text, so the corpus run is split across two worker
 * threads (this same file, started with workerData). Each worker also checks inspectSms's own
 * invariants on its texts, in both splits: the parts join back to the text and every part
 * fits; a standard part is full unless the next character would not fit whole (an escape
 * pair, a surrogate pair); a grapheme-preserving part ends on a grapheme cluster boundary of
 * Intl.Segmenter; `characters` is the number of clusters Intl.Segmenter finds.
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

type Category = 'calculator-keeps-cluster' | 'overfull-part' | 'unexplained';

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
  /** Texts where the grapheme-preserving split (sms.splitGraphemes) agrees with the calculator. */
  graphemeAgreed: number;
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
  /** The calculator's grapheme clusters (its own, Unicode 10 rules). */
  graphemes: string[];
  overfull: boolean;
}

function partUnits(encoding: string, part: string): number {
  return encoding === 'GSM-7' ? countSeptets(part) : part.length;
}

function partCapacity(encoding: string, parts: number): number {
  if (encoding === 'GSM-7') return parts === 1 ? 160 : 153;
  return parts === 1 ? 70 : 67;
}

function calculate(text: string): CalculatorView {
  const message = new SegmentedMessage(text, 'auto', false);
  // Array.from first: Segment subclasses Array, and its constructor adds header slots to
  // the arrays that filter and map create.
  const parts = message.segments.map((segment) =>
    Array.from(segment)
      .filter((item: { isUserDataHeader?: boolean }) => item.isUserDataHeader !== true)
      .map((item: { raw: string }) => item.raw)
      .join(''),
  );
  return {
    encoding: message.encodingName,
    segments: message.segmentsCount,
    parts,
    graphemes: message.graphemes,
    // Its own bit count undercounts a cluster of many code units, so count the part's text too.
    overfull:
      message.segments.some((segment) => segment.sizeInBits() > PART_BITS) ||
      parts.some(
        (part) =>
          partUnits(message.encodingName, part) > partCapacity(message.encodingName, parts.length),
      ),
  };
}

/**
 * Why the calculator's segment count differs from ours. Either it built a part longer than
 * 140 octets, or its first part boundary that differs from ours comes earlier, and ours falls
 * inside one of its grapheme clusters: it moved a whole cluster on where a carrier fills the
 * part, and so counts more parts than the message needs.
 */
function categorize(ours: SmsInspection, calc: CalculatorView): Category {
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
  if (ourEnd === calcEnd || calcEnd > ourEnd || ours.segments >= calc.segments) {
    return 'unexplained';
  }
  let start = 0;
  for (const grapheme of calc.graphemes) {
    const end = start + grapheme.length;
    if (start < ourEnd && ourEnd < end) {
      return start === calcEnd ? 'calculator-keeps-cluster' : 'unexplained';
    }
    if (end > ourEnd) break;
    start = end;
  }
  return 'unexplained';
}

/** The standard split's invariants; returns what is broken, or undefined. */
function checkStandard(text: string, ours: SmsInspection): string | undefined {
  if (ours.split !== 'standard') return `split is ${ours.split}`;
  if (ours.parts.join('') !== text) return 'parts do not join back to the text';
  if (ours.parts.length !== ours.segments) return 'segments !== parts.length';
  if (ours.graphemeSegments < ours.segments) return 'graphemeSegments < segments';
  const gsm = ours.encoding === 'GSM-7';
  let end = 0;
  for (const [k, part] of ours.parts.entries()) {
    const units = gsm ? countSeptets(part) : part.length;
    if (units > ours.unitsPerSegment) return `part ${k} has ${units} units`;
    end += part.length;
    if (/[\ud800-\udbff]$/.test(part)) return `part ${k} ends inside a surrogate pair`;
    if (k === ours.parts.length - 1) break;
    // Full, or the next character (an escape pair, a surrogate pair) would not fit whole.
    const next = gsm ? countSeptets(text[end]!) : /[\ud800-\udbff]/.test(text[end]!) ? 2 : 1;
    if (units + next <= ours.unitsPerSegment) return `part ${k} (${units} units) is not full`;
  }
  return undefined;
}

/** The grapheme-preserving split's invariants; returns what is broken, or undefined. */
function checkGraphemes(text: string, ours: SmsInspection): string | undefined {
  if (ours.split !== 'graphemes') return `split is ${ours.split}`;
  if (ours.parts.join('') !== text) return 'parts do not join back to the text';
  if (ours.parts.length !== ours.segments) return 'segments !== parts.length';
  if (ours.graphemeSegments !== ours.segments) return 'graphemeSegments !== segments';
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
    graphemeAgreed: 0,
    categories: {},
    examples: [],
    invariantFailures: [],
    ms: 0,
  };
  for (let index = worker; index < CORPUS_SIZE; index += WORKERS) {
    const { text } = makeCorpusText(CORPUS_SEED, index);
    report.texts++;
    const ours = inspectSms(text);
    const graphemes = inspectSms(text, { splitGraphemes: true });
    const broken = checkStandard(text, ours) ?? checkGraphemes(text, graphemes);
    if (broken !== undefined && report.invariantFailures.length < 20) {
      report.invariantFailures.push(`text #${index}: ${broken}: ${JSON.stringify(text)}`);
    }
    const calc = calculate(text);
    if (graphemes.encoding === calc.encoding && graphemes.segments === calc.segments) {
      report.graphemeAgreed++;
    }
    if (calc.encoding === ours.encoding && calc.segments === ours.segments) {
      report.agreed++;
      continue;
    }
    const category = categorize(ours, calc);
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

function compare(text: string): {
  ours: string;
  graphemes: string;
  calculator: string;
  category: Category | 'agree';
} {
  const ours = inspectSms(text);
  const calc = calculate(text);
  const agree = ours.encoding === calc.encoding && ours.segments === calc.segments;
  return {
    ours: `${ours.encoding} ${ours.segments}`,
    graphemes: `${ours.encoding} ${ours.graphemeSegments}`,
    calculator: `${calc.encoding} ${calc.segments}`,
    category: agree ? 'agree' : categorize(ours, calc),
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

  test('CR LF across a boundary: the standard split agrees; keeping clusters costs a part', () => {
    // 152 + 2 + 152 = 306 septets: two parts, the CR in the first and the LF in the second, as
    // the calculator and the carriers count. Keeping CR LF whole (sms.splitGraphemes) takes three.
    const text = `${'a'.repeat(152)}\r\n${'a'.repeat(152)}`;
    assert.deepEqual(compare(text), {
      ours: 'GSM-7 2',
      graphemes: 'GSM-7 3',
      calculator: 'GSM-7 2',
      category: 'agree',
    });
    assert.deepEqual(inspectSms(text).parts, [`${'a'.repeat(152)}\r`, `\n${'a'.repeat(152)}`]);
    assert.deepEqual(inspectSms(text, { splitGraphemes: true }).parts, [
      'a'.repeat(152),
      `\r\n${'a'.repeat(151)}`,
      'a',
    ]);
  });

  test('a Devanagari conjunct across a boundary: the standard split agrees; keeping it costs a part', () => {
    // क्ष is KA VIRAMA SSA, one cluster since Unicode 15.1. 65 + 3 + 66 = 134 units: two parts.
    const text = `${'a'.repeat(65)}क्ष${'a'.repeat(66)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      graphemes: 'UCS-2 3',
      calculator: 'UCS-2 2',
      category: 'agree',
    });
    assert.equal(inspectSms(text).parts[0]!.length, 67);
    assert.equal(inspectSms(text, { splitGraphemes: true }).parts[1]!.slice(0, 3), 'क्ष');
  });

  test('an escape pair is never split: it moves whole to the next part', () => {
    // 152 letters then '{' (2 septets): part 1 holds 152 septets, '{' opens part 2.
    const text = `${'a'.repeat(152)}{${'a'.repeat(10)}`;
    assert.deepEqual(compare(text), {
      ours: 'GSM-7 2',
      graphemes: 'GSM-7 2',
      calculator: 'GSM-7 2',
      category: 'agree',
    });
    assert.deepEqual(inspectSms(text).parts, ['a'.repeat(152), `{${'a'.repeat(10)}`]);
  });

  test('a surrogate pair is never split: it moves whole to the next part', () => {
    const text = `${'a'.repeat(66)}😀${'a'.repeat(10)}`;
    assert.deepEqual(inspectSms(text).parts, ['a'.repeat(66), `😀${'a'.repeat(10)}`]);
  });

  test('calculator-keeps-cluster: the calculator moves a flag whole; a carrier fills the part', () => {
    // 🇮🇳 is two regional indicators, four UTF-16 units. After 65 letters, a carrier sends
    // 65 letters and the first indicator in part 1 (67 units), the second in part 2: two parts.
    // The calculator moves the whole flag to part 2 and needs a third part.
    const text = `${'a'.repeat(65)}🇮🇳${'a'.repeat(65)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      graphemes: 'UCS-2 3',
      calculator: 'UCS-2 3',
      category: 'calculator-keeps-cluster',
    });
    assert.deepEqual(
      inspectSms(text).parts.map((part) => part.length),
      [67, 67],
    );
  });

  test('calculator-keeps-cluster: the calculator moves a Tamil syllable whole', () => {
    // கொ is KA and the two-part vowel sign O (a spacing mark): one cluster of 2 units in the
    // calculator's rules too. 66 + 2 + 66 = 134 units fit two parts cut between them.
    const text = `${'a'.repeat(66)}கொ${'a'.repeat(66)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      graphemes: 'UCS-2 3',
      calculator: 'UCS-2 3',
      category: 'calculator-keeps-cluster',
    });
  });

  test('overfull-part: a cluster longer than a part is split; the calculator overfills a part', () => {
    // One letter with 80 combining accents: 81 UTF-16 units, more than a part's 67. The
    // calculator leaves part 1 empty and puts the cluster whole into part 2: 1344 bits of
    // text where 1072 fit.
    const text = `a${'\u0301'.repeat(80)}${'b'.repeat(10)}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      graphemes: 'UCS-2 2',
      calculator: 'UCS-2 3',
      category: 'overfull-part',
    });
    assert.deepEqual(
      inspectSms(text).parts.map((part) => part.length),
      [67, 24],
    );
  });

  test('overfull-part: when a header is first needed, the calculator overfills a part', () => {
    // Two clusters of 60 units after 10 letters: 130 units, two standard parts. The calculator
    // first fills a single 70-unit part, then moves the first cluster out to make room for the
    // header, and adds the second cluster to the same part without checking that it fits: 120
    // units in one part.
    const cluster = `a${'\u0301'.repeat(59)}`;
    const text = `${'x'.repeat(10)}${cluster}${cluster}`;
    assert.deepEqual(compare(text), {
      ours: 'UCS-2 2',
      graphemes: 'UCS-2 3',
      calculator: 'UCS-2 2',
      category: 'agree',
    });
    const calc = calculate(text);
    assert.equal(calc.overfull, true);
    assert.equal(categorize(inspectSms(text, { splitGraphemes: true }), calc), 'overfull-part');
    assert.deepEqual(inspectSms(text, { splitGraphemes: true }).parts, [
      'x'.repeat(10),
      cluster,
      cluster,
    ]);
  });

  test(`agrees with the calculator on ${CORPUS_SIZE} generated texts, except the named categories`, async (t) => {
    const started = performance.now();
    const reports = await Promise.all(
      Array.from({ length: WORKERS }, (_, worker) => runInWorker(worker)),
    );
    const texts = reports.reduce((sum, report) => sum + report.texts, 0);
    const agreed = reports.reduce((sum, report) => sum + report.agreed, 0);
    const graphemeAgreed = reports.reduce((sum, report) => sum + report.graphemeAgreed, 0);
    const categories: Partial<Record<Category, number>> = {};
    for (const report of reports) {
      for (const [category, count] of Object.entries(report.categories)) {
        categories[category as Category] = (categories[category as Category] ?? 0) + count;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    t.diagnostic(`${texts} texts in ${seconds} s on ${WORKERS} workers; ${agreed} agree`);
    t.diagnostic(`with sms.splitGraphemes, ${graphemeAgreed} agree`);
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
