/**
 * Where the time goes in a `node --cpu-prof` profile: self time by function and by area (SQLite,
 * PostgreSQL, HTTP, SMPP, …), as shares of the samples. `node bench/tools/profile-summary.ts
 * FILE.cpuprofile [TOP]`. Each thread writes its own profile.
 */

import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/tools/profile-summary.ts FILE.cpuprofile [TOP]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** The area of a sample: the first frame up the stack whose file says what it is. */
const AREAS: [string, RegExp][] = [
  ['SQLite statements', /store\/sqlite\//],
  ['PostgreSQL (pg, store)', /node_modules\/pg|store\/postgres\//],
  ['SMPP (smpp package, carriers)', /node_modules\/smpp|carriers\//],
  ['delivery worker and checks', /delivery\//],
  ['libphonenumber', /libphonenumber/],
  [
    'HTTP (fastify, API)',
    /node_modules\/(fastify|find-my-way|light-my-request|@fastify|avvio|pino)|src\/api\//,
  ],
  ['SMS and DLT core', /src\/(sms|dlt)\//],
  ['store (shared)', /src\/store\//],
];
function areaOf(id: number): string {
  const own = byId.get(id)!.callFrame;
  if (own.functionName === '(idle)') return 'idle';
  if (own.functionName === '(garbage collector)') return 'garbage collector';
  if (own.functionName === '(program)') return 'program (native, outside JS)';
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const url = byId.get(at)!.callFrame.url;
    for (const [name, re] of AREAS) if (re.test(url)) return name;
  }
  return 'other (node internals, timers, sockets)';
}

const areas = new Map<string, number>();
const functions = new Map<string, number>();
for (const [id, t] of self) {
  const a = areaOf(id);
  areas.set(a, (areas.get(a) ?? 0) + t);
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${f.lineNumber + 1}`;
  functions.set(key, (functions.get(key) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nby area:\n`);
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]))
  process.stdout.write(`${pct(t)}  ${a}\n`);
process.stdout.write('\nby function (self time):\n');
for (const [f, t] of [...functions].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 25)))
  process.stdout.write(`${pct(t)}  ${f}\n`);
