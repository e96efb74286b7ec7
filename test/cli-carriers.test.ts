// `callflow admin`, `callflow carriers` and `callflow routes` against an embedded store, and a
// running pool picking up what they change.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { createCarrierPool } from '../src/delivery/carrier-pool.ts';
import { openStore } from '../src/store/index.ts';
import { until } from './routing-helpers.ts';

const root = new URL('../', import.meta.url);

function cli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, ['src/cli.ts', ...args], { cwd: root, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('carriers and routes from the command line, picked up by a running pool', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-cli-carriers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const configFile = join(dir, 'callflow.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      dataDir: join(dir, 'data'),
      carriers: [{ name: 'file-agg', host: '127.0.0.1', port: 9, systemId: 'acme', password: 'x' }],
    }),
  );
  const env = { ...process.env, CALLFLOW_CONFIG: configFile };
  const config = loadConfig({ file: configFile });
  const store = await openStore({ dataDir: config.dataDir });
  t.after(() => store.close());
  const pool = createCarrierPool({ store, syncMs: 50, file: config });
  await pool.start();
  t.after(() => pool.stop());

  const admin = await cli(['admin', 'create', '--label', 'ops', '--json'], env);
  assert.equal(admin.code, 0, admin.err);
  const created = JSON.parse(admin.out);
  assert.match(created.key, /^adm_[0-9a-f]{32}$/);
  assert.match(created.token, /^[0-9a-f]{64}$/);

  const add = await cli(
    [
      'carriers',
      'add',
      '--name',
      'backup',
      '--host',
      '127.0.0.1',
      '--port',
      '9',
      '--system-id',
      'acme',
      '--password',
      'x',
      '--window',
      '5',
      '--tps',
      '50',
    ],
    env,
  );
  assert.equal(add.code, 0, add.err);
  assert.equal(
    (
      await cli(
        [
          'carriers',
          'add',
          '--name',
          'backup',
          '--host',
          'h',
          '--port',
          '9',
          '--system-id',
          's',
          '--password',
          'p',
        ],
        env,
      )
    ).code,
    1,
  );
  await until(
    () => pool.views().some((v) => v.name === 'backup'),
    'the pool to bind the new carrier',
  );

  const listed = JSON.parse((await cli(['carriers', 'list', '--json'], env)).out);
  assert.deepEqual(
    listed.map((c: { name: string; enabled: boolean; source: string }) => [
      c.name,
      c.enabled,
      c.source,
    ]),
    [
      ['file-agg', true, 'file'],
      ['backup', true, 'live'],
    ],
  );
  assert.equal(listed[1].password, undefined);

  assert.equal((await cli(['carriers', 'disable', 'file-agg'], env)).code, 0);
  await until(
    () => pool.views().find((v) => v.name === 'file-agg')?.enabled === false,
    'the pool to disable the file carrier',
  );

  const routesFile = join(dir, 'routes.json');
  writeFileSync(routesFile, JSON.stringify([{ name: 'all', carriers: ['backup'] }]));
  assert.equal((await cli(['routes', 'set', routesFile], env)).code, 0);
  assert.match((await cli(['routes', 'list'], env)).out, /all .* -> backup \(failover\)/);
  const refused = await cli(['carriers', 'remove', 'backup'], env);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /in route all/);
  writeFileSync(routesFile, JSON.stringify([{ name: 'bad', carriers: ['nope'] }]));
  const bad = await cli(['routes', 'set', routesFile], env);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no carrier named nope/);
  assert.equal((await cli(['carriers', 'frobnicate'], env)).code, 2);
});
