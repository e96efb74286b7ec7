/**
 * `npm test` on a machine without CI's variables still lists the PostgreSQL suites, as skipped
 * tests that say why; with CALLFLOW_REQUIRE_POSTGRES=1 and no database, the run fails instead.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('../', import.meta.url);

function runContract(env: Record<string, string>) {
  const clean = { ...process.env };
  delete clean.CALLFLOW_TEST_DATABASE_URL;
  delete clean.CALLFLOW_REQUIRE_POSTGRES;
  // Set by node --test for its children; a child that sees it will not run test files.
  delete clean.NODE_TEST_CONTEXT;
  const r = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', 'src/store/contract-flows.test.ts'],
    { cwd: root, env: { ...clean, ...env }, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

test('without CALLFLOW_TEST_DATABASE_URL the PostgreSQL suites are skipped, each saying why', () => {
  const r = runContract({});
  assert.equal(r.code, 0, r.out);
  const skipped = r.out
    .split('\n')
    .filter((line) => line.includes('[postgres]') && line.includes('# '));
  assert.equal(skipped.length, 2, r.out);
  for (const line of skipped) assert.match(line, /CALLFLOW_TEST_DATABASE_URL is not set/);
  assert.match(r.out, /ℹ skipped 2/);
});

test('with CALLFLOW_REQUIRE_POSTGRES=1 and no database the run fails, naming the variable', () => {
  const r = runContract({ CALLFLOW_REQUIRE_POSTGRES: '1' });
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /CALLFLOW_REQUIRE_POSTGRES=1 but CALLFLOW_TEST_DATABASE_URL is not set/);
});
