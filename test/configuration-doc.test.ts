// docs/configuration.md documents every setting of src/config.ts, with its default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig } from '../src/config.ts';

const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
const documented = new Map<string, string>();
const settings = doc.slice(doc.indexOf('## Settings'), doc.indexOf('## Carriers'));
for (const line of settings.split('\n')) {
  const m = /^\| `([a-zA-Z.]+)` \|[^|]*\|([^|]*)\|/.exec(line);
  if (m) documented.set(m[1]!, m[2]!.trim());
}

function keys(schema: { properties?: Record<string, unknown> }, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(schema.properties ?? {}) as [
    string,
    Record<string, unknown>,
  ][]) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v.type === 'object' && v.properties) out.push(...keys(v as never, key));
    else out.push([key, v.default]);
  }
  return out;
}

test('every setting is documented with its default, and nothing else is', () => {
  const all = keys(ConfigSchema as never);
  for (const [key, def] of all) {
    assert.ok(documented.has(key), `${key} is not in docs/configuration.md`);
    if (def !== undefined)
      assert.equal(documented.get(key), `\`${JSON.stringify(def).replaceAll('"', '')}\``, key);
  }
  const known = new Set(all.map(([k]) => k));
  for (const key of documented.keys())
    assert.ok(known.has(key), `${key} is documented but is no setting`);
});

test('a bad setting stops start-up with a message that names it', () => {
  assert.throws(
    () => loadConfig({ env: { PORT: 'eighty' }, overrides: {} }),
    (e: unknown) =>
      e instanceof ConfigError && /port/.test(e.message) && /configuration\.md/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ env: {}, overrides: { delivery: { leaseMs: 5 } } }),
    (e: unknown) => e instanceof ConfigError && /delivery\.leaseMs/.test(e.message),
  );
  assert.throws(
    () => loadConfig({ env: {}, overrides: { colour: 'blue' } }),
    (e: unknown) => e instanceof ConfigError && /colour/.test(e.message),
  );
});

test('environment variables and flags override the defaults', () => {
  const config = loadConfig({
    env: { PORT: '9090', DATA_DIR: '/tmp/cf' },
    overrides: { host: '0.0.0.0' },
  });
  assert.equal(config.port, 9090);
  assert.equal(config.dataDir, '/tmp/cf');
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.delivery.leaseMs, 30_000);
});
