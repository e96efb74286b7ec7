import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parseCsv } from '../src/bulk-imports/csv.ts';
import { DETAILED_COLUMNS } from '../src/reports/sms-csv.ts';
import { describeApi, json, smsBody } from './api-helpers.ts';

describeApi('SMS reports API', (fx) => {
  it('summarizes by status and by local day, with totals', async () => {
    const { a } = fx();
    const sids: string[] = [];
    for (const to of ['+919812300401', '+919812300402', '+919812300403']) {
      const res = await fx().call({
        method: 'POST',
        url: '/api/v1/sms',
        payload: smsBody(a, { to }),
      });
      sids.push(json(res).sid as string);
    }
    await fx().store.messages.fail(sids[0]!, null, 'DND_BLOCKED', 'preference 0');
    const res = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary?since=2025-06-01T00:00:00Z&until=2025-06-03T00:00:00Z&groupBy=status',
    });
    assert.equal(res.statusCode, 200, res.body);
    const body = json(res) as {
      total: Record<string, unknown>;
      groups: { key: string; messages: number }[];
      timeZone: string;
    };
    assert.equal(body.timeZone, 'Asia/Kolkata');
    assert.deepEqual(
      body.groups.map((g) => [g.key, g.messages]),
      [
        ['queued', 2],
        ['failed', 1],
      ],
    );
    assert.equal(body.total.messages, 3);
    assert.deepEqual(body.total.failedByReason, { DND_BLOCKED: 1 });
    assert.equal(body.total.deliveryRate, 0);

    fx().clock.advance(1000);
    const days = await fx().call({ method: 'GET', url: '/api/v1/reports/sms/summary?groupBy=day' });
    assert.equal(days.statusCode, 200, days.body);
    assert.deepEqual(
      (json(days).groups as { key: string; messages: number }[]).map((g) => [g.key, g.messages]),
      [['2025-06-02', 3]],
      'the default period is the 7 days before now, days in India time',
    );
    const filtered = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary?to=9812300402',
    });
    assert.equal((json(filtered).total as { messages: number }).messages, 1);
    const otherAccount = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary',
      as: fx().b,
    });
    assert.equal((json(otherAccount).total as { messages: number }).messages, 0);
  });

  it('refuses bad periods and groups', async () => {
    const reversed = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary?since=2025-06-03T00:00:00Z&until=2025-06-01T00:00:00Z',
    });
    assert.equal(reversed.statusCode, 400);
    const hourly = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary?since=2025-01-01T00:00:00Z&until=2025-06-01T00:00:00Z&groupBy=hour',
    });
    assert.equal(hourly.statusCode, 400);
    assert.equal(json(hourly).code, 'VALIDATION_FAILED');
    const unknown = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms/summary?groupBy=planet',
    });
    assert.equal(unknown.statusCode, 400);
  });

  it('streams the Detailed report as CSV with the message-list filters', async () => {
    const { a } = fx();
    fx().clock.set('2025-06-02T07:00:00Z');
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, { to: '+919812300499', customField: 'report-me' }),
    });
    const sid = json(res).sid as string;
    const csv = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms.csv?to=%2B919812300499',
    });
    assert.equal(csv.statusCode, 200, csv.body);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(
      csv.headers['content-disposition'] as string,
      /^attachment; filename="sms-20250602\.csv"$/,
    );
    assert.ok(csv.body.startsWith('\ufeff'));
    const [header, row, ...rest] = parseCsv(csv.body.slice(1));
    assert.deepEqual(header!.fields, [...DETAILED_COLUMNS]);
    assert.equal(rest.length, 0);
    const r = Object.fromEntries(DETAILED_COLUMNS.map((c, i) => [c, row!.fields[i]]));
    assert.deepEqual(r, {
      Id: sid,
      Direction: 'outbound-api',
      Type: 'transactional',
      From: 'ACMECO',
      To: '+919812300499',
      Body: 'Your OTP is 482913. Do not share it.',
      Status: 'queued',
      Time: '2025-06-02 12:30:00',
      Price: '',
      DetailedStatusCode: '21010',
      DetailedStatus: 'PENDING_TO_OPERATOR',
      DateSent: '',
      CustomField: 'report-me',
      NumberOfUnits: '1',
      EncodingType: 'plain',
      DltEntityId: `${a.entityId}'`,
      DltTemplateId: `${a.templateId}'`,
      ReasonCode: '',
      CallSid: '',
      FlowId: '',
      Carrier: '',
    });
    const plain = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms.csv?to=%2B919812300499&excel=false',
    });
    assert.ok(plain.body.startsWith('Id,Direction,'));
    assert.ok(plain.body.includes(`,${a.templateId},`));
    const none = await fx().call({
      method: 'GET',
      url: '/api/v1/reports/sms.csv?to=%2B919812300499',
      as: fx().b,
    });
    assert.equal(
      parseCsv(none.body.slice(1)).length,
      1,
      "only the header for another account's messages",
    );
  });
});
