/**
 * The Exotel-compatible API with the request shapes of Exotel's documentation (form-encoded
 * Sms/send, comma-separated To for static bulk, Sms/bulksend with Messages[] or a JSON `sms` list,
 * SMS/Messages/:sid with and without .json) and the exact response shapes, JSON and XML.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { callbackBody } from '../src/delivery/callback-payload.ts';
import { basicAuth, describeApi, type Tenant } from './api-helpers.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
/** The test clock's 2025-06-02T06:30:00Z in India. */
const NOW_IST = '2025-06-02 12:00:00';

function form(t: Tenant, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    From: 'ACMECO',
    To: '+919812345678',
    Body: 'Your OTP is 482913. Do not share it.',
    DltEntityId: t.entityId,
    DltTemplateId: t.templateId,
    ...extra,
  }).toString();
}

describeApi('Exotel-compatible API', (fx) => {
  it('sends an SMS from a form-encoded request and answers SMSMessage in JSON', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a, {
        EncodingType: 'plain',
        Priority: 'high',
        SmsType: 'transactional',
        StatusCallback: 'https://example.com/exotel-status',
        CustomField: 'order-7',
      }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/json/);
    const body = res.json() as { SMSMessage: Record<string, unknown> };
    const sid = body.SMSMessage.Sid as string;
    assert.match(sid, /^[0-9a-f]{32}$/);
    assert.deepEqual(body, {
      SMSMessage: {
        Sid: sid,
        AccountSid: a.sid,
        From: 'ACMECO',
        To: '+919812345678',
        DateCreated: NOW_IST,
        DateUpdated: NOW_IST,
        DateSent: null,
        Body: 'Your OTP is 482913. Do not share it.',
        Direction: 'outbound-api',
        Uri: `/v1/Accounts/${a.sid}/SMS/Messages/${sid}.json`,
        ApiVersion: null,
        Price: null,
        Status: 'queued',
        DetailedStatusCode: 21010,
        DetailedStatus: 'PENDING_TO_OPERATOR',
        SmsUnits: 1,
      },
    });
    const stored = await fx().store.messages.get(a.sid, sid);
    assert.deepEqual(stored?.origin, { kind: 'exotel' });
    assert.equal(stored?.callbackFormat, 'exotel');
    assert.equal(stored?.customField, 'order-7');
    assert.equal(stored?.smsType, 'transactional');
  });

  it('answers in XML under TwilioResponse by default', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send`,
      headers: FORM,
      payload: form(a),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^application\/xml/);
    const sid = /<Sid>([0-9a-f]{32})<\/Sid>/.exec(res.body)?.[1];
    assert.ok(sid);
    assert.equal(
      res.body,
      '<?xml version="1.0" encoding="UTF-8"?>\n<TwilioResponse><SMSMessage>' +
        `<Sid>${sid}</Sid><AccountSid>${a.sid}</AccountSid><From>ACMECO</From><To>+919812345678</To>` +
        `<DateCreated>${NOW_IST}</DateCreated><DateUpdated>${NOW_IST}</DateUpdated><DateSent/>` +
        '<Body>Your OTP is 482913. Do not share it.</Body><Direction>outbound-api</Direction>' +
        `<Uri>/v1/Accounts/${a.sid}/SMS/Messages/${sid}</Uri><ApiVersion/><Price/><Status>queued</Status>` +
        '<DetailedStatusCode>21010</DetailedStatusCode><DetailedStatus>PENDING_TO_OPERATOR</DetailedStatus>' +
        '<SmsUnits>1</SmsUnits></SMSMessage></TwilioResponse>\n',
    );
    const json = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send`,
      headers: { ...FORM, accept: 'application/json' },
      payload: form(a),
    });
    assert.ok('SMSMessage' in json.json(), 'Accept: application/json answers JSON');
  });

  it('accepts a JSON body and finds the template from the body when DltTemplateId is missing', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      payload: {
        From: 'ACMECO',
        To: '09812345678',
        Body: 'Your OTP is 1234. Do not share it.',
        DltEntityId: a.entityId,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const sid = (res.json() as { SMSMessage: { Sid: string } }).SMSMessage.Sid;
    assert.equal((await fx().store.messages.get(a.sid, sid))?.dltTemplateId, a.templateId);
  });

  it('sends one message per recipient of a comma-separated To (static bulk)', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a, { To: '+919876543210,+919876543211,12345' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    const entries = res.json() as Record<string, Record<string, unknown>>[];
    assert.equal(entries.length, 3);
    assert.deepEqual(
      entries.map((e) => e.SMSMessage?.To ?? e.RestException?.ReasonCode),
      ['+919876543210', '+919876543211', 'INVALID_NUMBER'],
    );
    assert.equal(entries[2]!.RestException!.Status, 400);
  });

  it('sends different messages with bulksend: Messages[] form fields and a JSON sms list', async () => {
    const { a } = fx();
    const body = new URLSearchParams({
      From: 'ACMECO',
      DltEntityId: a.entityId,
      DltTemplateId: a.templateId,
      'Messages[0][To]': '+919876543210',
      'Messages[0][Body]': 'Your OTP is 1111. Do not share it.',
      'Messages[1][To]': '+919876543211',
      'Messages[1][Body]': 'Your OTP is 2222. Do not share it.',
      'Messages[1][CustomField]': 'second',
    }).toString();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/bulksend.json`,
      headers: FORM,
      payload: body,
    });
    assert.equal(res.statusCode, 200, res.body);
    const entries = res.json() as { SMSMessage: { To: string; Body: string; Sid: string } }[];
    assert.deepEqual(
      entries.map((e) => [e.SMSMessage.To, e.SMSMessage.Body]),
      [
        ['+919876543210', 'Your OTP is 1111. Do not share it.'],
        ['+919876543211', 'Your OTP is 2222. Do not share it.'],
      ],
    );
    assert.equal(
      (await fx().store.messages.get(a.sid, entries[1]!.SMSMessage.Sid))?.customField,
      'second',
    );

    const json = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/bulksend`,
      payload: {
        sms: [
          {
            From: 'ACMECO',
            To: '+919876543210',
            Body: 'Your OTP is 3333. Do not share it.',
            DltEntityId: a.entityId,
          },
          {
            From: 'ACMECO',
            To: '+919876543211',
            Body: 'Not a template at all',
            DltEntityId: a.entityId,
          },
        ],
      },
    });
    assert.equal(json.statusCode, 200, json.body);
    assert.match(
      json.body,
      /^<\?xml[^>]*>\n<TwilioResponse><SMSMessage>.*<\/SMSMessage><RestException><Status>400<\/Status>/s,
    );
    assert.match(json.body, /<ReasonCode>DLT_TEMPLATE_NOT_FOUND<\/ReasonCode>/);

    const tooMany = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/bulksend.json`,
      payload: {
        Messages: Array.from({ length: 101 }, () => ({ To: '+919876543210', Body: 'x' })),
      },
    });
    assert.equal(tooMany.statusCode, 400);
    assert.equal(
      (tooMany.json() as { RestException: { ReasonCode: string } }).RestException.ReasonCode,
      'VALIDATION_FAILED',
    );
  });

  it('gets a message by SmsSid, in XML or JSON, and follows its status', async () => {
    const { a } = fx();
    const sent = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a),
    });
    const sid = (sent.json() as { SMSMessage: { Sid: string } }).SMSMessage.Sid;
    await fx().store.messages.fail(sid, null, 'DND_BLOCKED', 'preference 0');
    const got = await fx().call({
      method: 'GET',
      url: `/v1/Accounts/${a.sid}/SMS/Messages/${sid}.json`,
    });
    assert.equal(got.statusCode, 200, got.body);
    const m = (got.json() as { SMSMessage: Record<string, unknown> }).SMSMessage;
    assert.deepEqual(
      [m.Status, m.DetailedStatusCode, m.DetailedStatus],
      ['failed_dnd', 23005, 'Failed DND'],
    );
    const xml = await fx().call({
      method: 'GET',
      url: `/v1/Accounts/${a.sid}/SMS/Messages/${sid}`,
    });
    assert.match(
      xml.body,
      /<Status>failed_dnd<\/Status><DetailedStatusCode>23005<\/DetailedStatusCode>/,
    );
    const missing = await fx().call({
      method: 'GET',
      url: `/v1/Accounts/${a.sid}/SMS/Messages/nope.json`,
    });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), {
      RestException: { Status: 404, Message: 'No SMS nope.', ReasonCode: 'NOT_FOUND' },
    });
    const others = await fx().call({
      method: 'GET',
      url: `/v1/Accounts/${fx().b.sid}/SMS/Messages/${sid}.json`,
      as: fx().b,
    });
    assert.equal(others.statusCode, 404, "another account's message is not found");
  });

  it('sends status callbacks for these messages form-encoded with Exotel field names', async () => {
    const { a } = fx();
    const sent = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a, { StatusCallback: 'https://example.com/status', CustomField: 'cf-1' }),
    });
    const sid = (sent.json() as { SMSMessage: { Sid: string } }).SMSMessage.Sid;
    const failed = await fx().store.messages.fail(sid, null, 'DND_BLOCKED', 'preference 0');
    const jobs = await fx().store.callbacks.list(sid);
    assert.deepEqual(
      jobs.map((j) => [j.url, j.format]),
      [['https://example.com/status', 'exotel']],
    );
    const account = (await fx().store.accounts.get(a.sid))!;
    const { contentType, body } = callbackBody(failed!, account, 'exotel', fx().clock());
    assert.equal(contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(body)), {
      SmsSid: sid,
      To: '+919812345678',
      Status: 'failed_dnd',
      SmsUnits: '1',
      DetailedStatus: 'Failed DND',
      DetailedStatusCode: '23005',
      DateSent: '',
      CustomField: 'cf-1',
    });
  });

  it('refuses what is certain to fail with a RestException and our reason code', async () => {
    const { a } = fx();
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a, { DltTemplateId: '1107000000000000999' }),
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), {
      RestException: {
        Status: 400,
        Message: 'Template 1107000000000000999 is not registered.',
        ReasonCode: 'DLT_TEMPLATE_NOT_FOUND',
      },
    });
    const badType = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a, { SmsType: 'promotional' }),
    });
    assert.equal(
      (badType.json() as { RestException: { ReasonCode: string } }).RestException.ReasonCode,
      'DLT_CATEGORY_MISMATCH',
    );
    const noBody = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send`,
      headers: FORM,
      payload: 'From=ACMECO&To=9812345678',
    });
    assert.equal(noBody.statusCode, 400);
    assert.match(
      noBody.body,
      /<RestException><Status>400<\/Status><Message>Body is required.<\/Message>/,
    );
  });

  it('requires Basic credentials of the account in the path', async () => {
    const { a, b } = fx();
    const anonymous = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send`,
      headers: FORM,
      payload: form(a),
      as: null,
    });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(anonymous.headers['www-authenticate'], 'Basic realm="callflow"');
    assert.match(
      anonymous.body,
      /<RestException><Status>401<\/Status>.*<ReasonCode>UNAUTHORIZED<\/ReasonCode>/,
    );
    const wrongToken = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: { ...FORM, authorization: basicAuth(a.key, 'wrong') },
      payload: form(a),
      as: null,
    });
    assert.equal(wrongToken.statusCode, 401);
    const otherAccount = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: form(a),
      as: b,
    });
    assert.equal(otherAccount.statusCode, 403);
    assert.equal(
      (otherAccount.json() as { RestException: { ReasonCode: string } }).RestException.ReasonCode,
      'FORBIDDEN',
    );
  });
});
