import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { describeApi, json, seedTenant, smsBody, type Tenant } from './api-helpers.ts';

interface Item {
  sid: string;
  to: string;
  from: string;
  status: string;
  smsType: string;
  dltTemplateId: string;
  createdAt: string;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

describeApi('GET /api/v1/sms', (fx) => {
  // A tenant of its own, so the counts below are exact.
  let t: Tenant;
  const sent: string[] = [];

  before(async () => {
    t = await seedTenant(fx().store);
    for (let i = 0; i < 23; i++) {
      const to = i % 2 === 0 ? '+919812345678' : '+919876500000';
      const payload =
        i % 5 === 0
          ? smsBody(t, {
              to,
              senderId: '123456',
              dltTemplateId: t.promoTemplateId,
              smsType: 'promotional',
              body: `Sale now on at Acme ${i}`,
            })
          : smsBody(t, { to });
      const res = await fx().call({ method: 'POST', url: '/api/v1/sms', payload, as: t });
      assert.equal(res.statusCode, 202, res.body);
      sent.push(String(json(res).sid));
      // Half the messages share a creation time: the cursor must still walk them exactly once.
      if (i % 2 === 1) fx().clock.advance(1000);
    }
    await fx().store.messages.fail(sent[3]!, null, 'DND_BLOCKED', null);
    await fx().store.messages.fail(sent[4]!, null, 'DND_BLOCKED', null);
  });

  async function list(query: string): Promise<Page> {
    const res = await fx().call({ method: 'GET', url: `/api/v1/sms?${query}`, as: t });
    assert.equal(res.statusCode, 200, res.body);
    return json<Page>(res);
  }

  it('walks every page without duplicates or gaps, newest first', async () => {
    const seen: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await list(
        `limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      assert.ok(page.items.length <= 5);
      seen.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    assert.equal(pages, 5);
    const sids = seen.map((m) => m.sid);
    assert.equal(new Set(sids).size, sids.length, 'no duplicates');
    assert.deepEqual([...sids].sort(), [...sent].sort(), 'no gaps');
    for (let i = 1; i < seen.length; i++) {
      assert.ok(seen[i - 1]!.createdAt >= seen[i]!.createdAt, 'newest first');
    }
  });

  it('defaults to 50 per page and returns no cursor at the end', async () => {
    const page = await list('');
    assert.equal(page.items.length, 23);
    assert.equal(page.nextCursor, null);
  });

  it('filters by status, recipient, sender, SMS type and template', async () => {
    const failed = await list('status=failed');
    assert.deepEqual(failed.items.map((m) => m.sid).sort(), [sent[3], sent[4]].sort());

    const byTo = await list(`to=${encodeURIComponent('9876500000')}`);
    assert.equal(byTo.items.length, 11);
    assert.ok(byTo.items.every((m) => m.to === '+919876500000'));

    const promo = await list('smsType=promotional');
    assert.equal(promo.items.length, 5);
    const byFrom = await list('from=123456');
    assert.deepEqual(byFrom.items.map((m) => m.sid).sort(), promo.items.map((m) => m.sid).sort());
    const byTemplate = await list(`templateId=${t.promoTemplateId}`);
    assert.equal(byTemplate.items.length, 5);
  });

  it('filters by creation time', async () => {
    const all = await list('limit=1000');
    const times = [...new Set(all.items.map((m) => m.createdAt))].sort();
    const since = times[3]!;
    const until = times[6]!;
    const window = await list(
      `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`,
    );
    const expected = all.items.filter((m) => m.createdAt >= since && m.createdAt < until);
    assert.ok(expected.length > 0);
    assert.deepEqual(window.items.map((m) => m.sid).sort(), expected.map((m) => m.sid).sort());
  });

  it('never lists another account’s messages', async () => {
    const res = await fx().call({ method: 'GET', url: '/api/v1/sms?limit=1000' });
    const items = json<Page>(res).items;
    assert.ok(items.every((m) => !sent.includes(m.sid)));
  });

  it('refuses a bad limit, a bad cursor and a bad recipient filter', async () => {
    for (const [query, code] of [
      ['limit=1001', 'VALIDATION_FAILED'],
      ['limit=0', 'VALIDATION_FAILED'],
      ['since=yesterday', 'VALIDATION_FAILED'],
      ['status=lost', 'VALIDATION_FAILED'],
      ['cursor=not-a-cursor', 'VALIDATION_FAILED'],
      ['to=12', 'INVALID_NUMBER'],
    ] as const) {
      const res = await fx().call({ method: 'GET', url: `/api/v1/sms?${query}`, as: t });
      assert.equal(res.statusCode, 400, query);
      assert.equal(json(res).code, code, query);
    }
  });
});
