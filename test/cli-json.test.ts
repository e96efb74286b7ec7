/**
 * `--json` on every command that prints a record or a table: standard output is exactly one JSON
 * document, also when the command refuses (exit 1); bad usage exits 2 with one line on standard
 * error and nothing on standard output.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { openStore } from '../src/store/index.ts';
import {
  createTestAccount,
  newTestMessage,
  seedTestRegistry,
  TEST_ENTITY_ID,
} from '../src/store/testing.ts';

const run = promisify(execFile);
const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('callflow --json and exit codes', () => {
  let dir: string;
  let sid: string;

  async function callflow(args: string[]): Promise<Result> {
    try {
      const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
        env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '', CALLFLOW_CONFIG: '' },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as Result;
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** Standard output is one JSON document (JSON.parse takes the whole of it). */
  function document(r: Result): unknown {
    assert.notEqual(r.stdout.trim(), '', `nothing on standard output: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  function usage(r: Result): void {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callflow-json-'));
    const store = await openStore({ dataDir: dir });
    sid = (await createTestAccount(store)).sid;
    await seedTestRegistry(store, sid);
    for (let i = 0; i < 3; i++) {
      await store.messages.insert(newTestMessage(sid, { body: `Your OTP is ${i}.` }));
    }
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accounts create, list and topup', async () => {
    const created = await callflow([
      'accounts',
      'create',
      '--name',
      'Acme',
      '--balance',
      '12.50',
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const account = document(created) as Record<string, unknown>;
    assert.equal(account.name, 'Acme');
    assert.equal(account.balancePaise, 1250);
    assert.match(String(account.apiKey), /^[0-9a-f]{32}$/);
    assert.equal(typeof account.apiToken, 'string');

    const listed = await callflow(['accounts', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const accounts = document(listed) as { sid: string }[];
    assert.ok(accounts.some((a) => a.sid === account.sid));

    const topped = await callflow([
      'accounts',
      'topup',
      '--sid',
      String(account.sid),
      '--amount',
      '10',
      '--json',
    ]);
    assert.equal(topped.code, 0, topped.stderr);
    assert.deepEqual(document(topped), { sid: account.sid, balancePaise: 2250 });

    const missing = await callflow([
      'accounts',
      'topup',
      '--sid',
      'nobody',
      '--amount',
      '1',
      '--json',
    ]);
    assert.equal(missing.code, 1);
    assert.deepEqual(document(missing), {
      error: { code: 'NOT_FOUND', message: 'no account nobody' },
    });
    assert.match(missing.stderr, /no account nobody/);

    usage(await callflow(['accounts', 'create', '--json']));
    usage(await callflow(['accounts', 'create', '--name', 'X', '--balance', 'lots', '--json']));
    usage(await callflow(['accounts', 'rename', '--json']));
  });

  it('report sms: the detailed report and the summary', async () => {
    const rows = await callflow(['report', 'sms', '--account', sid, '--json']);
    assert.equal(rows.code, 0, rows.stderr);
    const report = document(rows) as Record<string, string>[];
    assert.equal(report.length, 3);
    assert.equal(report[0]!.DltEntityId, TEST_ENTITY_ID, 'no Excel apostrophe in JSON');
    assert.match(report[0]!.Body!, /^Your OTP is \d\.$/);
    assert.equal(report[0]!.EncodingType, 'plain');

    const summary = await callflow(['report', 'sms', '--account', sid, '--summary', '--json']);
    assert.equal(summary.code, 0, summary.stderr);
    assert.equal((document(summary) as { total: { messages: number } }).total.messages, 3);

    const missing = await callflow(['report', 'sms', '--account', 'nobody', '--json']);
    assert.equal(missing.code, 1);
    assert.equal((document(missing) as { error: { code: string } }).error.code, 'NOT_FOUND');

    usage(await callflow(['report', 'sms', '--json']));
    usage(await callflow(['report', 'sms', '--account', sid, '--since', 'soon', '--json']));
  });

  it('dlt import and dnd import', async () => {
    const templates = join(dir, 'templates.csv');
    writeFileSync(
      templates,
      'Template ID,Template Name,Template Type,Template Content (Message),Header(s),Status\n' +
        '1107166000000000801,Welcome,Service Implicit,Hi {#var#} welcome,ACMEIN,Approved\n',
    );
    const imported = await callflow([
      'dlt',
      'import',
      templates,
      '--account',
      sid,
      '--entity-id',
      TEST_ENTITY_ID,
      '--json',
    ]);
    assert.equal(imported.code, 0, imported.stderr);
    const report = document(imported) as { imported: boolean; created: number };
    assert.equal(report.imported, true);
    assert.equal(report.created, 1);

    const dnd = join(dir, 'dnd.csv');
    writeFileSync(dnd, 'number,preferences\n9876500001,0\nnot a number,0\n');
    const refused = await callflow(['dnd', 'import', dnd, '--account', sid, '--json']);
    assert.equal(refused.code, 1);
    const dndReport = document(refused) as { imported: boolean; invalidRows: number };
    assert.equal(dndReport.imported, false);
    assert.equal(dndReport.invalidRows, 1);

    usage(await callflow(['dnd', 'import', '--account', sid, '--json']));
    usage(await callflow(['dlt', 'import', templates, '--json']));
  });

  it('call: a server that cannot be reached is one JSON error', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const args = ['call', '--to', '+918045678900', '--from', '+919876543210', '--json'];
    const unreachable = await callflow([
      ...args,
      '--url',
      `http://127.0.0.1:${port}`,
      '--key',
      'k',
      '--token',
      't',
    ]);
    assert.equal(unreachable.code, 1);
    const body = document(unreachable) as { error: { code: unknown; message: string } };
    assert.equal(body.error.code, null);
    assert.match(body.error.message, /cannot reach callflow/);

    usage(await callflow(['call', '--to', 'nowhere', '--json']));
  });
});
