import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv } from '../bulk-imports/csv.ts';
import { createTestAccount, newTestMessage, openTestStore } from '../store/testing.ts';
import type { Store } from '../store/types.ts';
import { DETAILED_COLUMNS, smsCsv } from './sms-csv.ts';
import { smsSummary } from './summary.ts';
import { exotelTime, localDay, localHour, offsetSegments } from './time-zone.ts';

describe('report time zones', () => {
  it('has one offset all year in India', () => {
    const segments = offsetSegments(
      'Asia/Kolkata',
      new Date('2025-01-01T00:00:00Z'),
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.deepEqual(segments, [
      { fromMs: Date.parse('2025-01-01T00:00:00Z'), offsetMs: 19_800_000 },
    ]);
  });

  it('finds daylight-saving changes to the second', () => {
    const segments = offsetSegments(
      'America/New_York',
      new Date('2025-03-01T00:00:00Z'),
      new Date('2025-03-31T00:00:00Z'),
    );
    assert.deepEqual(segments, [
      { fromMs: Date.parse('2025-03-01T00:00:00Z'), offsetMs: -5 * 3_600_000 },
      { fromMs: Date.parse('2025-03-09T07:00:00Z'), offsetMs: -4 * 3_600_000 },
    ]);
  });

  it('formats local days, hours and Exotel times', () => {
    assert.equal(localDay(20_241), '2025-06-02');
    assert.equal(localHour(20_241 * 24 + 13), '2025-06-02T13:00');
    assert.equal(
      exotelTime(new Date('2025-06-02T06:30:05Z'), 'Asia/Kolkata'),
      '2025-06-02 12:00:05',
    );
    assert.equal(exotelTime(null, 'Asia/Kolkata'), '');
  });
});

/** A store whose message list counts its calls, to see how far a reader has pulled. */
function countingStore(store: Store): { store: Store; pages: () => number } {
  let pages = 0;
  const messages = Object.create(store.messages) as Store['messages'];
  messages.list = (...args) => {
    pages++;
    return store.messages.list(...args);
  };
  return { store: { ...store, messages } as Store, pages: () => pages };
}

describe('SMS reports on the store', () => {
  it('streams the Detailed report a page at a time, only as fast as it is read', async () => {
    const t = await openTestStore('sqlite');
    try {
      const a = await createTestAccount(t.store);
      const total = 20_000;
      for (let i = 0; i < total; i += 2000) {
        await t.store.messages.insertMany(
          Array.from({ length: 2000 }, (_, j) =>
            newTestMessage(a.sid, {
              body: `Your OTP is ${i + j}, "quoted", and Hindi: नमस्ते`,
              origin:
                j % 2
                  ? { kind: 'flow', callSid: `CA${j}`, flowId: 'FL1', appletId: 'sms' }
                  : { kind: 'api' },
            }),
          ),
        );
      }
      const { store, pages } = countingStore(t.store);
      const account = { sid: a.sid, timeZone: 'Asia/Kolkata' };
      const reader = smsCsv(store, account, {}, { pageSize: 500 })[Symbol.asyncIterator]();
      const header = await reader.next();
      const first = await reader.next();
      assert.equal(pages(), 1, 'one page read for the first chunk of rows');
      assert.ok(String(header.value).startsWith(`\ufeff${DETAILED_COLUMNS.join(',')}\r\n`));
      let text = String(header.value) + String(first.value);
      let chunks = 2;
      for (let r = await reader.next(); !r.done; r = await reader.next()) {
        text += r.value;
        chunks++;
      }
      assert.equal(pages(), total / 500, 'keyset pages of 500');
      assert.equal(chunks, total / 500 + 1);
      const rows = parseCsv(text.slice(1));
      assert.equal(rows.length, total + 1);
      const byColumn = (row: string[]) =>
        Object.fromEntries(DETAILED_COLUMNS.map((c, i) => [c, row[i]])) as Record<string, string>;
      const sample = byColumn(rows.find((r) => r.fields[1] === 'outbound-call')!.fields);
      assert.equal(sample.Status, 'queued');
      assert.equal(sample.DetailedStatusCode, '21010');
      assert.equal(sample.DltTemplateId, "1107166000000000001'");
      assert.equal(sample.EncodingType, 'plain');
      assert.equal(sample.FlowId, 'FL1');
      assert.equal(sample.Time, '2025-06-02 12:00:00');
      assert.match(sample.Body!, /"quoted", and Hindi: नमस्ते$/);
      assert.equal(
        new Set(rows.slice(1).map((r) => r.fields[0])).size,
        total,
        'every message once',
      );
    } finally {
      await t.cleanup();
    }
  });

  it('writes plain CSV for programs on request', async () => {
    const t = await openTestStore('sqlite');
    try {
      const a = await createTestAccount(t.store);
      await t.store.messages.insert(newTestMessage(a.sid));
      let text = '';
      for await (const chunk of smsCsv(
        t.store,
        { sid: a.sid, timeZone: 'UTC' },
        {},
        { excel: false },
      )) {
        text += chunk;
      }
      const [header, row] = parseCsv(text);
      assert.equal(header!.fields[0], 'Id');
      assert.equal(row!.fields[16], '1107166000000000001');
      assert.equal(row!.fields[7], '2025-06-02 06:30:00');
    } finally {
      await t.cleanup();
    }
  });

  it('summarizes by local day with totals and rates', async () => {
    const t = await openTestStore('sqlite');
    try {
      const a = await createTestAccount(t.store);
      // 23:00 and 01:00 in India on either side of midnight.
      for (const at of ['2025-06-01T17:30:00Z', '2025-06-01T19:30:00Z']) {
        t.clock.set(at);
        await t.store.messages.insert(newTestMessage(a.sid));
      }
      const m = newTestMessage(a.sid);
      await t.store.messages.insert(m);
      await t.store.messages.fail(m.sid, null, 'DND_BLOCKED', 'preference 0');
      const summary = await smsSummary(
        t.store,
        { sid: a.sid, timeZone: 'Asia/Kolkata' },
        {
          since: new Date('2025-06-01T00:00:00Z'),
          until: new Date('2025-06-03T00:00:00Z'),
          groupBy: 'day',
        },
      );
      assert.deepEqual(
        summary.groups.map((g) => [g.key, g.messages, g.failed]),
        [
          ['2025-06-01', 1, 0],
          ['2025-06-02', 2, 1],
        ],
      );
      assert.equal(summary.total.messages, 3);
      assert.equal(summary.total.pending, 2);
      assert.equal(summary.total.deliveryRate, 0);
      assert.deepEqual(summary.total.failedByReason, { DND_BLOCKED: 1 });
      assert.deepEqual(summary.total.latency, { medianMs: null, p95Ms: null });
      assert.equal(summary.total.cost, '0.00');
    } finally {
      await t.cleanup();
    }
  });
});
