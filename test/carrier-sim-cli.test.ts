/**
 * `callflow carrier-sim` (carrierSimCommand) in its own process: prints its address, serves
 * a real client, records to a file, and stops cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { carrierSimCommand, parseOutcomeMix } from '../src/commands/carrier-sim.ts';
import { UsageError } from '../src/commands/usage.ts';
import { eventually, sms, startCarrier } from './carrier-helpers.ts';

const ENTRY = new URL('../src/commands/carrier-sim.ts', import.meta.url).href;

test('carrier-sim serves a client, records what it received, and stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'callflow-sim-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const record = join(dir, 'received.jsonl');
  const args = [
    '--port',
    '0',
    '--system-id',
    'acme',
    '--password',
    'secret',
    '--dlr-delay-ms',
    '0',
  ];
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { carrierSimCommand } = await import(${JSON.stringify(ENTRY)});
       process.exitCode = await carrierSimCommand(process.argv.slice(1));`,
      '--',
      ...args,
      '--mix',
      'delivered=1',
      '--record',
      record,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  // Fail, not hang, when the simulator dies before printing its address.
  const line = await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line').then(([first]) => String(first)),
    once(child, 'exit').then(([code]) => {
      throw new Error(`carrier-sim exited with ${code}: ${stderr}`);
    }),
  ]);
  const match =
    /^carrier simulator listening on smpp:\/\/127\.0\.0\.1:(\d+) \(system_id acme\)$/.exec(line);
  assert.ok(match, line);

  const carrier = await startCarrier(t, Number(match[1]));
  const outcome = await carrier.submit(sms({ parts: ['Hello from the CLI test'] }));
  assert.equal(outcome.ok, true);
  await carrier.stop();

  // The simulator appends to the record file after it has answered: wait for the line.
  const lines = await eventually(
    async () => {
      const text = await readFile(record, 'utf8').catch(() => '');
      return text.endsWith('\n') ? text.trim().split('\n') : undefined;
    },
    3000,
    'the record line',
  );
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]!).text, 'Hello from the CLI test');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('bad usage is a UsageError', async () => {
  await assert.rejects(carrierSimCommand(['--mix', 'bogus=1']), UsageError);
  await assert.rejects(carrierSimCommand(['--port', 'abc']), UsageError);
  await assert.rejects(carrierSimCommand(['--receipt-ids', 'octal']), UsageError);
  await assert.rejects(carrierSimCommand(['--colour', 'red']), UsageError);
});

test('--mix parses weights per outcome', () => {
  assert.deepEqual(parseOutcomeMix('delivered=0.9, undelivered=0.1'), {
    delivered: 0.9,
    undelivered: 0.1,
  });
  assert.throws(() => parseOutcomeMix('delivered=-1'), UsageError);
  assert.throws(() => parseOutcomeMix('delivered'), UsageError);
});
