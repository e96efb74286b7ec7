/**
 * Template and DND imports against real stores: atomicity, every bad row reported with its line,
 * idempotent re-imports, lint findings, headerless DND files and streaming in batches.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeNumber } from '../sms/index.ts';
import {
  createTestAccount,
  describeEachStore,
  seedTestRegistry,
  TEST_ENTITY_ID,
  type TestStore,
} from '../store/testing.ts';
import { importConsents, parseConsentDate } from './consents.ts';
import { dndNumber, importDnd } from './dnd.ts';
import { importTemplates } from './templates.ts';

async function* chunks(text: string, size = 64): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const HEADER =
  'Template ID,Template Name,Template Type,Template Content (Message),Header(s),Status,Entity ID\r\n';

async function tenant(t: TestStore) {
  const a = await createTestAccount(t.store);
  await seedTestRegistry(t.store, a.sid);
  return a.sid;
}

describeEachStore('template import', (current) => {
  it('imports a DLT portal export, with lint findings, and a second import changes nothing', async () => {
    const t = current();
    const sid = await tenant(t);
    const csv =
      `\ufeff${HEADER}` +
      `'1107166000000000101,Welcome,Service Implicit,"Hi {#var#}, welcome to Acme. Call us on {#cbn#}.",ACMEIN,Approved,${TEST_ENTITY_ID}\r\n` +
      `1107166000000000102,Sale,Promotional,"Sale {#var#}{#var#} at <Acme>",123456,Active,${TEST_ENTITY_ID}\r\n` +
      `1107166000000000103,Otp,Transactional,Your OTP is {#numeric#}.,"ACMECO, ACMEIN",Deactivated,${TEST_ENTITY_ID}\r\n`;
    const first = await importTemplates(t.store, sid, chunks(csv));
    assert.deepEqual(first.errors, []);
    assert.equal(first.imported, true);
    assert.deepEqual([first.rows, first.created, first.updated, first.unchanged], [3, 3, 0, 0]);
    const sale = first.templates.find((x) => x.templateId === '1107166000000000102')!;
    const codes = new Set(sale.lint.map((f) => f.code));
    assert.ok(codes.has('TEMPLATE_ADJACENT_VARIABLES') && codes.has('TEMPLATE_ANGLE_BRACKETS'));
    const otpLint = first.templates.find((x) => x.templateId === '1107166000000000103')!.lint;
    assert.deepEqual(otpLint, []);
    const otp = await t.store.dlt.getTemplate(sid, '1107166000000000103');
    assert.deepEqual(
      [otp?.category, otp?.status, otp?.senderIds],
      ['transactional', 'inactive', ['ACMECO', 'ACMEIN']],
    );
    const welcome = await t.store.dlt.getTemplate(sid, '1107166000000000101');
    assert.equal(welcome?.content, 'Hi {#var#}, welcome to Acme. Call us on {#cbn#}.');

    t.clock.advance(60_000);
    const again = await importTemplates(t.store, sid, chunks(csv, 7));
    assert.deepEqual(
      [again.imported, again.created, again.updated, again.unchanged],
      [true, 0, 0, 3],
    );
    const after = await t.store.dlt.getTemplate(sid, '1107166000000000103');
    assert.deepEqual(after?.updatedAt, otp?.updatedAt, 'an unchanged template is not rewritten');

    const changed = csv.replace('Deactivated', 'Approved');
    const third = await importTemplates(t.store, sid, chunks(changed));
    assert.deepEqual([third.created, third.updated, third.unchanged], [0, 1, 2]);
    assert.equal((await t.store.dlt.getTemplate(sid, '1107166000000000103'))?.status, 'approved');
  });

  it('imports nothing from a file with bad rows, and reports every one with its line', async () => {
    const t = current();
    const sid = await tenant(t);
    const csv =
      HEADER +
      `1107166000000000201,Good,Transactional,Your code is {#numeric#}.,ACMECO,Approved,${TEST_ENTITY_ID}\n` +
      `1.10717E+18,Excel,Transactional,Your code is {#numeric#}.,ACMECO,Approved,${TEST_ENTITY_ID}\n` +
      `1107166000000000203,Kind,Service,Hello {#var#}.,ACMECO,Approved,${TEST_ENTITY_ID}\n` +
      `1107166000000000204,Header,Transactional,Hello {#var#}.,NOSUCH,Maybe,${TEST_ENTITY_ID}\n` +
      `1107166000000000205,Entity,Transactional,Hello {#var#}.,,Approved,1101999999999999999\n` +
      `1107166000000000201,Twice,Transactional,Hello {#var#}.,,Approved,${TEST_ENTITY_ID}\n` +
      `1107166000000000206,Empty,Transactional,,,Approved,${TEST_ENTITY_ID}\n`;
    const result = await importTemplates(t.store, sid, chunks(csv));
    assert.equal(result.imported, false);
    assert.equal(result.invalidRows, 6);
    const seen = result.errors.map((e) => [e.line, e.field, e.code]);
    assert.deepEqual(seen, [
      [3, 'templateId', 'INVALID_TEMPLATE_ID'],
      [4, 'category', 'VALIDATION_FAILED'],
      [5, 'status', 'VALIDATION_FAILED'],
      [5, 'senderIds', 'DLT_HEADER_NOT_FOUND'],
      [6, 'entityId', 'DLT_ENTITY_NOT_FOUND'],
      [7, 'templateId', 'CONFLICT'],
      [8, 'content', 'VALIDATION_FAILED'],
    ]);
    assert.match(result.errors[0]!.message, /scientific notation/);
    assert.match(result.errors[5]!.message, /also on line 2/);
    assert.equal(await t.store.dlt.getTemplate(sid, '1107166000000000201'), undefined, 'atomic');
  });

  it('takes the entity from the options and refuses a file without the needed columns', async () => {
    const t = current();
    const sid = await tenant(t);
    const csv = 'TemplateId;Message;Category\n1107166000000000301;Your code is {#numeric#}.;T\n';
    const noEntity = await importTemplates(t.store, sid, chunks(csv));
    assert.equal(noEntity.errors[0]?.field, 'entityId');
    const ok = await importTemplates(t.store, sid, chunks(csv), { entityId: TEST_ENTITY_ID });
    assert.equal(ok.imported, true, JSON.stringify(ok.errors));
    assert.equal((await t.store.dlt.getTemplate(sid, '1107166000000000301'))?.status, 'approved');

    const missing = await importTemplates(t.store, sid, chunks('Template ID,Name\n1,2\n'));
    assert.equal(missing.imported, false);
    assert.match(missing.errors[0]!.message, /no content, category column/);
    const broken = await importTemplates(t.store, sid, chunks(`${HEADER}1,"open\n`));
    assert.deepEqual([broken.errors[0]?.line, broken.errors[0]?.code], [2, 'MALFORMED_REQUEST']);
  });

  it('refuses to move a template to another entity', async () => {
    const t = current();
    const sid = await tenant(t);
    await t.store.dlt.upsertEntity({
      accountSid: sid,
      entityId: '1101166000000000002',
      name: 'B',
      status: 'active',
      tmChain: [],
    });
    const csv = `${HEADER}1107166000000000001,otp,Transactional,Your OTP is {#numeric#}.,,Approved,1101166000000000002\n`;
    const result = await importTemplates(t.store, sid, chunks(csv));
    assert.deepEqual(
      result.errors.map((e) => e.code),
      ['CONFLICT'],
    );
  });
});

describeEachStore('DND import', (current) => {
  it('imports numbers with preferences, normalised to E.164', async () => {
    const t = current();
    const { sid } = await createTestAccount(t.store);
    const csv =
      'Mobile Number,Preferences\n9812345001,0\n+919812345002,"1,3,5"\n09812345003,1|3\n919812345004,\n';
    const result = await importDnd(t.store, sid, chunks(csv, 5));
    assert.deepEqual(result.errors, []);
    assert.deepEqual([result.imported, result.rows], [true, 4]);
    const prefs = async (n: string) => (await t.store.dnd.get(sid, n))?.preferences;
    assert.deepEqual(await prefs('+919812345001'), [0]);
    assert.deepEqual(await prefs('+919812345002'), [1, 3, 5]);
    assert.deepEqual(await prefs('+919812345003'), [1, 3]);
    assert.deepEqual(await prefs('+919812345004'), []);
  });

  it('reads files without a header, and lists of numbers alone as fully blocked', async () => {
    const t = current();
    const { sid } = await createTestAccount(t.store);
    assert.equal((await importDnd(t.store, sid, chunks('9812345011,2\n9812345012,\n'))).rows, 2);
    assert.deepEqual((await t.store.dnd.get(sid, '+919812345011'))?.preferences, [2]);
    assert.equal(
      (await importDnd(t.store, sid, chunks('9812345013\n9812345014\n'))).imported,
      true,
    );
    assert.deepEqual((await t.store.dnd.get(sid, '+919812345014'))?.preferences, [0]);
  });

  it('imports nothing when a row is bad, and reports every bad row', async () => {
    const t = current();
    const { sid } = await createTestAccount(t.store);
    const good = Array.from(
      { length: 12_000 },
      (_, i) => `+9198${String(i).padStart(8, '0')},1`,
    ).join('\n');
    const csv = `number,preferences\n${good}\n12345,1\n9812345021,9\n${good}\n`;
    const result = await importDnd(t.store, sid, chunks(csv, 4096));
    assert.equal(result.imported, false);
    assert.equal(result.rows, 24_002);
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.field, e.code]),
      [
        [12_002, 'number', 'INVALID_NUMBER'],
        [12_003, 'preferences', 'VALIDATION_FAILED'],
      ],
    );
    assert.equal(
      await t.store.dnd.count(sid),
      0,
      'the batches written before the bad row were rolled back',
    );
  });

  it('imports a 100,000-row file in seconds, streamed', async () => {
    const t = current();
    const { sid } = await createTestAccount(t.store);
    async function* file() {
      yield 'number,preferences\n';
      for (let block = 0; block < 100; block++) {
        let text = '';
        for (let i = 0; i < 1000; i++) {
          text += `9${String(block * 1000 + i).padStart(9, '0')},${i % 8}\n`;
        }
        yield text;
      }
    }
    const started = performance.now();
    const result = await importDnd(t.store, sid, file());
    const seconds = (performance.now() - started) / 1000;
    assert.deepEqual([result.imported, result.rows, result.invalidRows], [true, 100_000, 0]);
    assert.equal(await t.store.dnd.count(sid), 100_000);
    assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s`);
  });

  it('normalises Indian mobile numbers as libphonenumber does', () => {
    for (const raw of [
      '9812345678',
      '+91 98123 45678',
      '09812345678',
      '919812345678',
      '6000000001',
      '(981) 234-5678',
    ]) {
      assert.equal(dndNumber(raw), normalizeNumber(raw), raw);
    }
    assert.equal(dndNumber('+14155550123'), '+14155550123');
    assert.equal(dndNumber('12345'), undefined);
  });

  it('checks without writing in a dry run', async () => {
    const t = current();
    const { sid } = await createTestAccount(t.store);
    const result = await importDnd(t.store, sid, chunks('number\n9812345031\n'), { dryRun: true });
    assert.deepEqual([result.imported, result.rows, result.invalidRows], [false, 1, 0]);
    assert.equal(await t.store.dnd.count(sid), 0);
  });
});

describeEachStore('consent import', (current) => {
  it("imports consents to one template or to all of an entity's, with dates in the account zone", async () => {
    const t = current();
    const sid = await tenant(t);
    const csv =
      'Number,Entity ID,Template ID,Consent Date,Expiry Date\n' +
      `9812345101,${TEST_ENTITY_ID},1107166000000000010,01/05/2025,2026-06-01\n` +
      `9812345102,${TEST_ENTITY_ID},,,\n`;
    const result = await importConsents(t.store, sid, chunks(csv), { now: t.clock() });
    assert.deepEqual(result.errors, []);
    assert.deepEqual([result.imported, result.rows], [true, 2]);
    const one = await t.store.dnd.findConsent(
      sid,
      '+919812345101',
      TEST_ENTITY_ID,
      '1107166000000000010',
      t.clock(),
    );
    assert.deepEqual(
      [one?.grantedAt.toISOString(), one?.expiresAt?.toISOString()],
      ['2025-04-30T18:30:00.000Z', '2026-05-31T18:30:00.000Z'],
    );
    const all = await t.store.dnd.findConsent(
      sid,
      '+919812345102',
      TEST_ENTITY_ID,
      '1107166000000000099',
      t.clock(),
    );
    assert.deepEqual(
      [all?.templateId, all?.grantedAt.toISOString(), all?.expiresAt],
      [null, t.clock().toISOString(), null],
    );
  });

  it('imports nothing when a row is bad', async () => {
    const t = current();
    const sid = await tenant(t);
    const csv =
      'number,entity id,template id,expires at\n' +
      `9812345201,${TEST_ENTITY_ID},,\n` +
      '9812345202,1101999999999999999,,\n' +
      `9812345203,${TEST_ENTITY_ID},,31/02/2026\n` +
      `9812345204,${TEST_ENTITY_ID},,2020-01-01\n`;
    const result = await importConsents(t.store, sid, chunks(csv), { now: t.clock() });
    assert.equal(result.imported, false);
    assert.deepEqual(
      result.errors.map((e) => [e.line, e.field, e.code]),
      [
        [3, 'entityId', 'DLT_ENTITY_NOT_FOUND'],
        [4, 'expiresAt', 'VALIDATION_FAILED'],
        [5, 'expiresAt', 'VALIDATION_FAILED'],
      ],
    );
    assert.equal(
      await t.store.dnd.findConsent(
        sid,
        '+919812345201',
        TEST_ENTITY_ID,
        '1107166000000000010',
        t.clock(),
      ),
      undefined,
    );
  });
});

describe('consent dates', () => {
  it('reads ISO 8601, days and local times in the zone', () => {
    const iso = (raw: string, zone = 'Asia/Kolkata') => parseConsentDate(raw, zone)?.toISOString();
    assert.equal(iso('2026-06-01'), '2026-05-31T18:30:00.000Z');
    assert.equal(iso('01/06/2026'), '2026-05-31T18:30:00.000Z');
    assert.equal(iso('1-6-2026'), '2026-05-31T18:30:00.000Z');
    assert.equal(iso('2026-06-01 10:15'), '2026-06-01T04:45:00.000Z');
    assert.equal(iso('2026-06-01T10:15:00Z'), '2026-06-01T10:15:00.000Z');
    assert.equal(iso('2026-06-01T10:15:00+05:30'), '2026-06-01T04:45:00.000Z');
    assert.equal(iso('2025-03-09 03:30', 'America/New_York'), '2025-03-09T07:30:00.000Z');
    assert.equal(iso('2025-03-08 12:00', 'America/New_York'), '2025-03-08T17:00:00.000Z');
    assert.equal(iso('31/02/2026'), undefined);
    assert.equal(iso('tomorrow'), undefined);
  });
});
