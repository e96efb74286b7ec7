/**
 * Bodies that are not what they claim: bytes that are not UTF-8, values that are not strings
 * where the schema says string, and compressed bodies. Each is refused with its reason code on
 * every kind of route (the API, a bulk send, the Exotel-compatible API), and nothing is stored.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { type ApiFixture, describeApi, smsBody, type Tenant } from './api-helpers.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A JSON text with the raw bytes 0xFF 0xFE where `{{bad}}` stands, which no UTF-8 text holds. */
function withBadBytes(text: string): Buffer {
  const [before, after] = text.split('{{bad}}') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
}

async function messageCount(fx: ApiFixture, t: Tenant): Promise<number> {
  const res = await fx.call({ method: 'GET', url: '/api/v1/sms?limit=200', as: t });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { items: unknown[] }).items.length;
}

/** The reason code of an API error or an Exotel RestException. */
function reasonOf(body: string): string | undefined {
  const parsed = JSON.parse(body) as { code?: string; RestException?: { ReasonCode?: string } };
  return parsed.code ?? parsed.RestException?.ReasonCode;
}

describeApi('Hostile request bodies', (fx) => {
  it('refuses a JSON body that is not UTF-8 with INVALID_TEXT and stores nothing', async () => {
    const { a } = fx();
    const before = await messageCount(fx(), a);
    const text = JSON.stringify(smsBody(a, { body: 'Your OTP is {{bad}}. Do not share it.' }));
    const bulk = JSON.stringify({
      messages: [smsBody(a, { body: 'Your OTP is {{bad}}. Do not share it.' })],
    });
    const exotel = JSON.stringify({
      From: 'ACMECO',
      To: '+919812345678',
      Body: 'Your OTP is {{bad}}. Do not share it.',
      DltEntityId: a.entityId,
      DltTemplateId: a.templateId,
    });
    for (const [url, payload] of [
      ['/api/v1/sms', withBadBytes(text)],
      ['/api/v1/sms/bulk', withBadBytes(bulk)],
      [`/v1/Accounts/${a.sid}/Sms/send.json`, withBadBytes(exotel)],
    ] as const) {
      const res = await fx().call({ method: 'POST', url, headers: JSON_TYPE, payload });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.equal(reasonOf(res.body), 'INVALID_TEXT', url);
    }
    assert.equal(await messageCount(fx(), a), before);
  });

  it('refuses a form body that is not UTF-8, raw or %-escaped, on the Exotel and the API routes', async () => {
    const { a } = fx();
    const before = await messageCount(fx(), a);
    const fields = `From=ACMECO&To=%2B919812345678&DltEntityId=${a.entityId}&DltTemplateId=${a.templateId}`;
    const raw = Buffer.concat([
      Buffer.from(`${fields}&Body=Your+OTP+is+`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('.+Do+not+share+it.'),
    ]);
    const escaped = `${fields}&Body=Your+OTP+is+%FF%FE.+Do+not+share+it.`;
    // A valid three-byte character cut short is no text either.
    const truncated = `${fields}&Body=Your+OTP+is+%E2%82.+Do+not+share+it.`;
    for (const payload of [raw, escaped, truncated]) {
      for (const url of [`/v1/Accounts/${a.sid}/Sms/send.json`, '/api/v1/sms']) {
        const res = await fx().call({ method: 'POST', url, headers: FORM, payload });
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.equal(reasonOf(res.body), 'INVALID_TEXT', url);
      }
    }
    assert.equal(await messageCount(fx(), a), before);
    // Valid multi-byte escapes are text: the euro sign arrives whole.
    const res = await fx().call({
      method: 'POST',
      url: `/v1/Accounts/${a.sid}/Sms/send.json`,
      headers: FORM,
      payload: `${fields}&Body=Your+OTP+is+%E2%82%AC5.+Do+not+share+it.`,
    });
    assert.notEqual(reasonOf(res.body), 'INVALID_TEXT', res.body);
  });

  it('refuses a value that is not a string where the schema says string', async () => {
    const { a } = fx();
    const before = await messageCount(fx(), a);
    for (const value of [true, 1e308, 42, ['Your OTP is 482913. Do not share it.'], null]) {
      const res = await fx().call({
        method: 'POST',
        url: '/api/v1/sms',
        headers: JSON_TYPE,
        payload: JSON.stringify(smsBody(a, { body: value })),
      });
      assert.equal(res.statusCode, 400, `${JSON.stringify(value)}: ${res.body}`);
      assert.equal(reasonOf(res.body), 'VALIDATION_FAILED');
      const bulk = await fx().call({
        method: 'POST',
        url: '/api/v1/sms/bulk',
        headers: JSON_TYPE,
        payload: JSON.stringify({ messages: [smsBody(a, { senderId: value })] }),
      });
      assert.ok(
        !/"status":"queued"/.test(bulk.body),
        `bulk ${JSON.stringify(value)}: ${bulk.body}`,
      );
    }
    for (const value of [true, 1e308, ['Your OTP is 482913. Do not share it.'], { x: 1 }]) {
      const res = await fx().call({
        method: 'POST',
        url: `/v1/Accounts/${a.sid}/Sms/send.json`,
        headers: JSON_TYPE,
        payload: JSON.stringify({
          From: 'ACMECO',
          To: '+919812345678',
          Body: value,
          DltEntityId: a.entityId,
          DltTemplateId: a.templateId,
        }),
      });
      assert.equal(res.statusCode, 400, `Exotel ${JSON.stringify(value)}: ${res.body}`);
      assert.equal(reasonOf(res.body), 'VALIDATION_FAILED');
    }
    assert.equal(await messageCount(fx(), a), before);
  });

  it('still reads numbers from a form, where every value is text', async () => {
    const { a } = fx();
    const params = new URLSearchParams(
      Object.entries(smsBody(a, { validitySeconds: 3600 })).map(([k, v]) => [k, String(v)]),
    );
    const res = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: FORM,
      payload: params.toString(),
    });
    assert.equal(res.statusCode, 202, res.body);
  });

  it('refuses a body with a Content-Encoding with 415, compressed or not', async () => {
    const { a } = fx();
    const before = await messageCount(fx(), a);
    const text = JSON.stringify(smsBody(a));
    for (const [encoding, payload] of [
      ['gzip', Buffer.from(text)],
      ['gzip', gzipSync(text)],
      ['br', Buffer.from(text)],
      ['deflate, gzip', gzipSync(text)],
    ] as const) {
      for (const url of ['/api/v1/sms', `/v1/Accounts/${a.sid}/Sms/send.json`]) {
        const res = await fx().call({
          method: 'POST',
          url,
          headers: { ...JSON_TYPE, 'content-encoding': encoding },
          payload,
        });
        assert.equal(res.statusCode, 415, `${url} ${encoding}: ${res.body}`);
        assert.equal(reasonOf(res.body), 'UNSUPPORTED_MEDIA_TYPE');
      }
    }
    assert.equal(await messageCount(fx(), a), before);
    const plain = await fx().call({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { ...JSON_TYPE, 'content-encoding': 'identity' },
      payload: text,
    });
    assert.equal(plain.statusCode, 202, plain.body);
  });
});
