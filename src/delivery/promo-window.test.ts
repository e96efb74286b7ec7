/** The promotional window and the retry backoff: pure time arithmetic. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs } from './config.ts';
import { promoWindowState, validatePromoWindow } from './promo-window.ts';

const IST = { start: '10:00', end: '21:00', timeZone: 'Asia/Kolkata' };

describe('promotional window', () => {
  it('is open from 10:00 to just before 21:00 IST', () => {
    for (const at of ['2025-06-02T04:30:00Z', '2025-06-02T10:00:00Z', '2025-06-02T15:29:59Z']) {
      assert.deepEqual(promoWindowState(new Date(at), IST), { open: true }, at);
    }
  });

  it('opens next at 10:00 IST, the same day before it and the next day after 21:00', () => {
    const next = (at: string) => {
      const s = promoWindowState(new Date(at), IST);
      return s.open ? null : s.opensAt.toISOString();
    };
    assert.equal(next('2025-06-02T04:29:59Z'), '2025-06-02T04:30:00.000Z');
    assert.equal(next('2025-06-01T20:00:00Z'), '2025-06-02T04:30:00.000Z', '01:30 IST');
    assert.equal(next('2025-06-02T15:30:00Z'), '2025-06-03T04:30:00.000Z');
    assert.equal(next('2025-12-31T18:29:00Z'), '2026-01-01T04:30:00.000Z', 'over the year end');
  });

  it('follows a zone with daylight saving', () => {
    const ny = { start: '09:00', end: '20:00', timeZone: 'America/New_York' };
    const s = promoWindowState(new Date('2025-03-09T05:00:00Z'), ny); // 00:00 EST, the day DST starts
    assert.equal(s.open ? null : s.opensAt.toISOString(), '2025-03-09T13:00:00.000Z', '09:00 EDT');
  });

  it('refuses a window that is not HH:MM, empty, or in an unknown zone', () => {
    assert.throws(() => validatePromoWindow({ ...IST, start: '9:00' }), RangeError);
    assert.throws(() => validatePromoWindow({ ...IST, start: '21:00' }), RangeError);
    assert.throws(() => validatePromoWindow({ ...IST, timeZone: 'Mars/Olympus' }), RangeError);
    validatePromoWindow(IST);
  });
});

describe('retry backoff', () => {
  it('doubles from the base, caps at the maximum, and spreads by the jitter', () => {
    const opts = { baseMs: 1000, maxMs: 10_000, jitter: 0.2 };
    const mid = () => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 30].map((n) => backoffMs(n, opts, mid)),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
    assert.equal(
      backoffMs(3, opts, () => 0),
      3200,
    );
    assert.equal(
      backoffMs(3, opts, () => 1),
      4800,
    );
    assert.equal(
      backoffMs(5, opts, () => 1),
      10_000,
      'never above the maximum',
    );
  });
});
