import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CarrierRecord } from '../store/types.ts';
import { carriersInForce } from './carrier-state.ts';

const config = (name: string, window = 10) => ({
  name,
  host: '127.0.0.1',
  port: 2775,
  systemId: 'acme',
  password: 'secret',
  window,
});
const record = (name: string, more: Partial<CarrierRecord> = {}): CarrierRecord => ({
  name,
  config: config(name, 50),
  enabled: true,
  removed: false,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...more,
});

test('the file is the starting state; a live change to a carrier wins over it', () => {
  const file = [config('a'), config('b'), config('c')];
  const inForce = carriersInForce(file, [
    record('b', { enabled: false }),
    record('c', { removed: true }),
    record('d'),
  ]);
  assert.deepEqual(
    inForce.map((c) => [c.config.name, c.enabled, c.source, c.config.window]),
    [
      ['a', true, 'file', 10],
      ['b', false, 'live', 50],
      ['d', true, 'live', 50],
    ],
  );
  assert.deepEqual(
    carriersInForce(file, []).map((c) => c.config.name),
    ['a', 'b', 'c'],
  );
});
