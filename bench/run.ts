/**
 * `npm run bench`: runs every bench/*.bench.ts, each of which measures callflow against the peer
 * it names in the same run, and prints one table of ratios with the machine it ran on.
 * `npm run bench -- sms dlt` runs only the named ones.
 */

import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { BenchResult } from './types.ts';

const only = process.argv.slice(2);
const dir = new URL('./', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
console.log(`machine: ${machine}\n`);

const rows: BenchResult[] = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { run: () => Promise<BenchResult[]> };
  console.log(`running ${file} ...`);
  const results = await mod.run();
  for (const r of results) {
    rows.push(r);
    console.log(
      `  ${r.name}: ours ${fmt(r.ours)} ${r.unit}, ${r.peerName} ${fmt(r.peer)} ${r.unit}, ratio ${r.ratio.toFixed(1)}×${r.notes ? ` (${r.notes})` : ''}`,
    );
  }
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

console.log('\n| benchmark | callflow | peer | peer value | unit | ratio |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.ours)} | ${r.peerName} | ${fmt(r.peer)} | ${r.unit} | ${r.ratio.toFixed(1)}× |`,
  );
}
