/** `callflow dlt import`, `callflow dnd import` and `callflow report sms`, run as commands. */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseCsv } from '../src/bulk-imports/csv.ts';
import { openStore } from '../src/store/index.ts';
import {
  createTestAccount,
  newTestMessage,
  seedTestRegistry,
  TEST_ENTITY_ID,
} from '../src/store/testing.ts';

const run = promisify(execFile);
const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

async function callflow(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', CALLFLOW_CONFIG: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('import and report commands', () => {
  let dir: string;
  let sid: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-cli-'));
    const store = await openStore({ dataDir: dir });
    sid = (await createTestAccount(store)).sid;
    await seedTestRegistry(store, sid);
    for (let i = 0; i < 30; i++)
      await store.messages.insert(newTestMessage(sid, { body: `Your OTP is ${i}.` }));
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports DLT templates, reports lint, and refuses a bad file with every bad line', async () => {
    const good = join(dir, 'templates.csv');
    writeFileSync(
      good,
      'Template ID,Template Name,Template Type,Template Content (Message),Header(s),Status\n' +
        '1107166000000000701,Welcome,Service Implicit,Hi {#var#}{#var#} welcome,ACMEIN,Approved\n',
    );
    const ok = await callflow(dir, [
      'dlt',
      'import',
      good,
      '--account',
      sid,
      '--entity-id',
      TEST_ENTITY_ID,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^imported 1 templates: 1 created, 0 updated, 0 unchanged\n/);
    assert.match(
      ok.stdout,
      /line 2 template 1107166000000000701: error TEMPLATE_ADJACENT_VARIABLES/,
    );
    assert.match(ok.stderr, /importing .*templates\.csv \[#+\] 100%/, 'progress on standard error');

    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'Template ID,Content,Type\n1.10717E+18,Hi {#var#},T\n1107166000000000702,,T\n',
    );
    const refused = await callflow(dir, [
      'dlt',
      'import',
      bad,
      '--account',
      sid,
      '--entity-id',
      TEST_ENTITY_ID,
      '--json',
    ]);
    assert.equal(refused.code, 1);
    const report = JSON.parse(refused.stdout) as { imported: boolean; errors: { line: number }[] };
    assert.equal(report.imported, false);
    assert.deepEqual(
      report.errors.map((e) => e.line),
      [2, 3],
    );

    const usage = await callflow(dir, ['dlt', 'import', good]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--account/);
  });

  it('imports a DND file', async () => {
    const file = join(dir, 'dnd.csv');
    writeFileSync(
      file,
      `number,preferences\n${Array.from({ length: 500 }, (_, i) => `98${String(i).padStart(8, '0')},"1,3"`).join('\n')}\n`,
    );
    const res = await callflow(dir, ['dnd', 'import', file, '--account', sid]);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'imported 500 DND numbers\n');
    const store = await openStore({ dataDir: dir });
    try {
      assert.equal(await store.dnd.count(sid), 500);
    } finally {
      await store.close();
    }
  });

  it('writes the SMS Detailed report to a file, and prints the summary', async () => {
    const out = join(dir, 'report.csv');
    const res = await callflow(dir, [
      'report',
      'sms',
      '--account',
      sid,
      '--since',
      '2025-06-01',
      '--out',
      out,
      '--no-excel',
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /30 rows written to .*report\.csv/);
    const rows = parseCsv(readFileSync(out, 'utf8'));
    assert.equal(rows.length, 31);
    assert.equal(rows[0]!.fields[0], 'Id');
    assert.equal(rows[1]!.fields[16], '1107166000000000001');

    const summary = await callflow(dir, [
      'report',
      'sms',
      '--account',
      sid,
      '--summary',
      '--group-by',
      'status',
      '--since',
      '2025-06-01T00:00:00Z',
      '--json',
    ]);
    assert.equal(summary.code, 0, summary.stderr);
    const parsed = JSON.parse(summary.stdout) as {
      total: { messages: number };
      groups: { key: string }[];
    };
    assert.equal(parsed.total.messages, 30);
    assert.deepEqual(
      parsed.groups.map((g) => g.key),
      ['queued'],
    );
  });
});
