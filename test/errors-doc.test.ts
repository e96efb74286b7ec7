// The reason-code catalogue and docs/errors.md must agree, in both directions.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { REASON_CODES, REASONS, type ReasonDefinition } from '../src/errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map<string, string>();
for (const line of doc.split('\n')) {
  const m = /^\| `([A-Z0-9_]+)` \| (\d*) \|/.exec(line);
  if (m) documented.set(m[1]!, m[2]!);
}

test('every reason code is documented in docs/errors.md', () => {
  const missing = REASON_CODES.filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], `undocumented codes: ${missing.join(', ')}`);
});

test('every documented code exists in the catalogue', () => {
  const stale = [...documented.keys()].filter((code) => !Object.hasOwn(REASONS, code));
  assert.deepEqual(stale, [], `documented but gone: ${stale.join(', ')}`);
});

test('documented HTTP statuses match the catalogue', () => {
  for (const code of REASON_CODES) {
    const def: ReasonDefinition = REASONS[code];
    assert.equal(
      documented.get(code),
      def.httpStatus === undefined ? '' : String(def.httpStatus),
      code,
    );
  }
});

test('codes are stable upper-case identifiers and each has a meaning', () => {
  for (const code of REASON_CODES) {
    assert.match(code, /^[A-Z][A-Z0-9_]+$/);
    assert.ok(REASONS[code].meaning.length > 10, code);
  }
});
