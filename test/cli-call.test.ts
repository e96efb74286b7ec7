/**
 * `callflow call` against a running server: the server (demo seeded, carrier simulator
 * delivering every SMS after 100 ms) runs in this process on a free port; the CLI runs as a
 * child process, as it would in a second terminal after `npm start`, and talks to it over HTTP.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli.ts';
import { loadConfig } from '../src/config.ts';
import { DEMO_EXOPHONE } from '../src/demo.ts';
import { type RunningServer, startServer } from '../src/server.ts';

const root = new URL('../', import.meta.url);

/** Runs the CLI without blocking this process's event loop (the server answers it from here). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['src/cli.ts', ...args], {
      cwd: root,
      // Nothing from the test runner's environment decides where the CLI looks.
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('callflow call', () => {
  let server: RunningServer;
  let dataDir: string;
  let flags: string[];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callflow-call-'));
    const config = loadConfig({
      env: {},
      overrides: {
        port: 0,
        dataDir,
        logLevel: 'silent',
        // These tests take no real calls.
        'sip.enabled': false,
        'simulator.receiptDelayMs': 100,
        'simulator.deliveredRatio': 1,
        'delivery.pollMs': 50,
      },
    });
    server = await startServer(config, { demo: true });
    flags = ['--url', server.url!, '--key', server.demo!.apiKey, '--token', server.demo!.apiToken];
  });

  after(async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a missed call: prints each applet with its exit and timing, then the SMS until delivered', async () => {
    const r = await cli([
      'call',
      '--to',
      DEMO_EXOPHONE,
      '--from',
      '9876543210',
      '--agent',
      'no-answer',
      ...flags,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const lines = r.out.split('\n');
    assert.match(
      lines[0]!,
      /^call [0-9A-HJKMNP-TV-Z]{16} {2}\+919876543210 → \+918045678900 {2}flow "Missed call alert"/,
    );
    assert.match(r.out, /^ +0\.0s {2}welcome +greeting +→ default +4\.0s$/m);
    assert.match(
      r.out,
      /^ +4\.0s {2}agent +connect +→ no-answer +20\.0s {2}nobody answered \(\+919812345678 no-answer\)$/m,
    );
    const sid = /missed +sms +→ default +0\.0s {2}SMS ([0-9a-f]+) queued to \+919876543210/.exec(
      r.out,
    )?.[1];
    assert.ok(sid, r.out);
    assert.match(r.out, /^call ended after 24\.0s: hangup-applet$/m);
    // Every status change of the SMS, in order, from the message's timeline.
    const statuses = lines.filter((l) => l.startsWith(`SMS ${sid} `)).map((l) => l.split(/\s+/)[3]);
    assert.deepEqual(statuses, ['queued', 'sending', 'submitted', 'delivered']);
    assert.match(
      r.out,
      /queued {2}"We missed your call to \+918045678900\. We'll call you back soon\. - Acme"/,
    );
    const stored = await server.store.messages.get('demo', sid);
    assert.equal(stored?.status, 'delivered');
  });

  test('--json: the caller ends the conversation; the call and its final SMS as one JSON object', async () => {
    const r = await cli([
      'call',
      '--to',
      DEMO_EXOPHONE,
      '--from',
      '+919876543210',
      '--agent',
      'answer',
      '--talk-seconds',
      '300',
      '--hangup-after',
      '45',
      '--json',
      ...flags,
    ]);
    assert.equal(r.code, 0, r.err);
    const { call, sms } = JSON.parse(r.out);
    assert.equal(call.endReason, 'caller-hangup');
    assert.deepEqual(
      call.log.steps.map((s: { appletId: string; exit: string }) => `${s.appletId}:${s.exit}`),
      ['welcome:default', 'agent:completed', 'confirm:default'],
    );
    // 4 s of greeting, 3 s of ringing, then talk until the caller hung up at 45 s.
    assert.equal(call.log.steps[1].detail.talkSeconds, 38);
    assert.equal(call.log.steps[1].detail.callerHungUp, true);
    assert.equal(sms.length, 1);
    assert.equal(sms[0].status, 'delivered');
    assert.equal(
      sms[0].body,
      `Thanks for contacting Acme Corp. Your reference number is ${call.sid}.`,
    );
    assert.deepEqual(
      sms[0].transitions.map((t: { status: string }) => t.status),
      ['queued', 'sending', 'submitted', 'delivered'],
    );
  });

  test('with no flags it finds the server and the demo credentials as `npm start` set them up', async () => {
    const port = new URL(server.url!).port;
    const r = await cli(
      ['call', '--to', '+918045678901', '--from', '9876543210', '--digits', '2'],
      {
        PORT: port,
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
      },
    );
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /choose +ivr +→ 2 .* keys 2/);
    assert.match(r.out, /confirmed for tomorrow, 6:30 PM/);
    assert.match(r.out, / delivered\n$/);
  });

  /**
   * The CLI's own entry point in this process, for the refusals (quicker than a process each);
   * standard error is captured, standard output left alone (the test runner reports on it).
   */
  async function inProcess(args: string[], env: Record<string, string> = {}) {
    let err = '';
    const write = process.stderr.write;
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    process.stderr.write = ((chunk: string) => {
      err += chunk;
      return true;
    }) as typeof process.stderr.write;
    try {
      return { code: await main(['call', ...args]), err };
    } finally {
      process.stderr.write = write;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  test('a call that cannot be placed exits 1 with one line on stderr', async () => {
    const unknown = await inProcess(['--to', '+918045670000', '--from', '9876543210', ...flags]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.err,
      /^callflow call: the call to \+918045670000 was refused: NOT_FOUND: .+\n$/,
    );
    const wrongToken = await inProcess([
      '--to',
      DEMO_EXOPHONE,
      '--from',
      '9876543210',
      '--url',
      server.url!,
      '--key',
      server.demo!.apiKey,
      '--token',
      'wrong',
    ]);
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.err, /^callflow call: the call to .+ was refused: UNAUTHORIZED: .+\n$/);
    const noServer = await inProcess([
      '--to',
      DEMO_EXOPHONE,
      '--from',
      '9876543210',
      '--url',
      'http://127.0.0.1:9',
      '--key',
      'k',
      '--token',
      't',
    ]);
    assert.equal(noServer.code, 1);
    assert.match(
      noServer.err,
      /^callflow call: cannot reach callflow at http:\/\/127\.0\.0\.1:9 .*\n$/,
    );
    const noCredentials = await inProcess(['--to', DEMO_EXOPHONE, '--from', '9876543210'], {
      DATA_DIR: join(dataDir, 'elsewhere'),
    });
    assert.equal(noCredentials.code, 1);
    assert.match(noCredentials.err, /^callflow call: no demo credentials in .+\n$/);
  });

  test('bad usage exits 2 with one line on stderr', async () => {
    const cases = [
      ['--from', '9876543210'],
      ['--to', DEMO_EXOPHONE, '--from', '12'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--agent', 'maybe'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--agent', 'busy', '--talk-seconds', '5'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--hangup-after', 'soon'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--digits', '1a'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--key', 'only-a-key'],
      ['--to', DEMO_EXOPHONE, '--from', '9876543210', '--bogus'],
    ];
    for (const args of cases) {
      const r = await inProcess([...args, '--url', server.url!]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /^callflow call: [^\n]+\n$/, args.join(' '));
    }
    // And once as a process, to see the exit status itself.
    const r = await cli(['call', '--to', DEMO_EXOPHONE]);
    assert.equal(r.code, 2);
    assert.equal(r.err, 'callflow call: --from is required\n');
    assert.equal(r.out, '');
  });
});
