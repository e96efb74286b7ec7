import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeApi, json, smsBody } from './api-helpers.ts';

function multipart(
  filename: string,
  content: string,
): { headers: Record<string, string>; payload: string } {
  const boundary = '----callflow-test-boundary';
  const payload =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
    `Content-Type: text/csv\r\n\r\n${content}\r\n--${boundary}--\r\n`;
  return { headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload };
}

const CSV = { 'content-type': 'text/csv' };

describeApi('CSV imports', (fx) => {
  it('imports DLT templates from a multipart upload, and the new template can be sent at once', async () => {
    const { a } = fx();
    const file =
      'Template ID,Template Name,Template Type,Template Content (Message),Header(s),Status,Entity ID\n' +
      `1107166000000000501,Delivery,Transactional,Your parcel {#alphanumeric#} is out for delivery.,ACMECO,Approved,${a.entityId}\n`;
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/templates/import',
      ...multipart('templates.csv', file),
    });
    assert.equal(res.statusCode, 200, res.body);
    const report = json(res);
    assert.deepEqual([report.imported, report.created, report.unchanged], [true, 1, 0]);
    assert.deepEqual((report.templates as { lint: unknown[] }[])[0]!.lint, []);
    const send = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      payload: smsBody(a, {
        dltTemplateId: '1107166000000000501',
        body: 'Your parcel AB12 is out for delivery.',
      }),
    });
    assert.equal(send.statusCode, 202, 'the pre-check cache was refreshed by the import');

    const again = await fx().call({
      method: 'POST',
      url: '/api/v1/dlt/templates/import',
      headers: CSV,
      payload: file,
    });
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual([json(again).created, json(again).unchanged], [0, 1]);
  });

  it('refuses a template file with bad rows (400, every row in details) and writes nothing', async () => {
    const { a } = fx();
    const file =
      'TemplateId,Message,Category\n' +
      '1107166000000000601,Hello {#var#} from Acme.,Transactional\n' +
      '1.10717E+18,Hello {#var#} from Acme.,Transactional\n' +
      '1107166000000000603,Hello {#var#} from Acme.,Mystery\n';
    const res = await fx().call({
      method: 'POST',
      url: `/api/v1/dlt/templates/import?entityId=${a.entityId}`,
      headers: CSV,
      payload: file,
    });
    assert.equal(res.statusCode, 400, res.body);
    const body = json(res);
    assert.equal(body.code, 'VALIDATION_FAILED');
    assert.equal(body.message, '2 rows are invalid; nothing was imported.');
    const details = body.details as {
      invalidRows: number;
      errors: { line: number; code: string }[];
    };
    assert.deepEqual(
      details.errors.map((e) => [e.line, e.code]),
      [
        [3, 'INVALID_TEMPLATE_ID'],
        [4, 'VALIDATION_FAILED'],
      ],
    );
    const missing = await fx().call({
      method: 'GET',
      url: '/api/v1/dlt/templates/1107166000000000601',
    });
    assert.equal(missing.statusCode, 404);

    const dry = await fx().call({
      method: 'POST',
      url: `/api/v1/dlt/templates/import?entityId=${a.entityId}&dryRun=true`,
      headers: CSV,
      payload: file,
    });
    assert.equal(dry.statusCode, 200, 'a dry run reports with 200');
    assert.equal(json(dry).invalidRows, 2);
  });

  it('imports DND preferences from text/csv and multipart', async () => {
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      headers: CSV,
      payload: 'number,preferences\n9812300101,0\n+919812300102,"1,3"\n',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([json(res).imported, json(res).rows], [true, 2]);
    const got = await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300102' });
    assert.deepEqual(json(got).preferences, [1, 3]);
    const other = await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300102', as: fx().b });
    assert.equal(other.statusCode, 404, 'imported into the authenticated account only');

    const upload = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      ...multipart('dnd.csv', '9812300103\n'),
    });
    assert.equal(upload.statusCode, 200, upload.body);
    assert.deepEqual(
      json(await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300103' })).preferences,
      [0],
    );
  });

  it('refuses a broken CSV, a bad DND row and a body that is not a file', async () => {
    const broken = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      headers: CSV,
      payload: 'number\n"9812300201\n',
    });
    assert.equal(broken.statusCode, 400);
    assert.equal(json(broken).code, 'MALFORMED_REQUEST');
    const bad = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      headers: CSV,
      payload: 'number,preferences\n9812300202,8\n',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(
      (await fx().call({ method: 'GET', url: '/api/v1/dnd/9812300202' })).statusCode,
      404,
    );
    const jsonBody = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      payload: { number: '1' },
    });
    assert.equal(jsonBody.statusCode, 415);
    assert.equal(json(jsonBody).code, 'UNSUPPORTED_MEDIA_TYPE');
    const noFile = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--x--\r\n',
    });
    assert.equal(noFile.statusCode, 400);
    assert.equal((json(noFile).details as { field: string }).field, 'file');
  });

  it('imports consents, which then cover their numbers', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/api/v1/dnd/consents/import?entityId=${a.entityId}`,
      headers: CSV,
      payload: `number,template id,expires at\n9812300401,${a.promoTemplateId},2030-01-01\n`,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual([json(res).imported, json(res).rows], [true, 1]);
    const found = await fx().call({
      method: 'GET',
      url: `/api/v1/dnd/consents?number=9812300401&entityId=${a.entityId}&templateId=${a.promoTemplateId}`,
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.equal(json(found).expiresAt, '2029-12-31T18:30:00.000Z');
  });

  it('requires authentication', async () => {
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/dnd/import',
      headers: CSV,
      payload: '9812300301\n',
      as: null,
    });
    assert.equal(res.statusCode, 401);
  });
});
