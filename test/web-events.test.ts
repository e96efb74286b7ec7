/**
 * GET /api/v1/events?callSid=…, the test panel's stream: a call and its SMS followed from the store
 * until the call has ended and every SMS is final; 404 for another account's call.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { webAppDeps } from '../src/api/routes/web.ts';
import { newTestMessage, openTestStore } from '../src/store/testing.ts';
import { type ApiFixture, apiFixture } from './api-helpers.ts';

interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
}

function parseEvents(body: string): ServerEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n') as [string, string];
      return {
        event: eventLine.slice('event: '.length),
        data: JSON.parse(dataLine.slice('data: '.length)),
      };
    });
}

describe('call events stream', () => {
  let fx: ApiFixture;
  let flowId: string;

  before(async () => {
    const testStore = await openTestStore('sqlite');
    const web = webAppDeps({ store: testStore.store, sessionSecret: Buffer.alloc(32, 3) });
    fx = await apiFixture(testStore, {
      authenticators: web.authenticators,
      extraRoutes: web.extraRoutes,
    });
    flowId = (
      await fx.store.flows.create({ id: 'f1', accountSid: fx.a.sid, name: 'Test', document: {} })
    ).id;
  });

  after(async () => {
    await fx.close();
  });

  async function startCall(sid: string) {
    await fx.store.calls.insert({
      sid,
      accountSid: fx.a.sid,
      flowId,
      flowVersion: 1,
      from: '+919876543210',
      to: '+914412345678',
      startedAt: fx.clock(),
      log: {},
    });
  }

  test('follows the call and its SMS until both are done, then ends', async () => {
    const callSid = 'c'.repeat(32);
    await startCall(callSid);
    const message = newTestMessage(fx.a.sid, {
      sid: 'd'.repeat(32),
      origin: { kind: 'flow', callSid, flowId, appletId: 'sms1' },
    });
    await fx.store.messages.insert(message);

    const streaming = fx.call({ method: 'GET', url: `/api/v1/events?callSid=${callSid}` });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const log = {
      steps: [{ appletId: 'sms1', type: 'sms', exit: 'default' }],
      sms: [{ appletId: 'sms1', sid: message.sid }],
    };
    await fx.store.calls.finish(callSid, { endReason: 'hangup-applet', endedAt: fx.clock(), log });
    await fx.store.messages.fail(message.sid, null, 'DND_BLOCKED', 'test');

    const res = await streaming;
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    const events = parseEvents(res.body);
    assert.deepEqual(
      events.map((e) => `${e.event}:${e.data.status ?? ''}`),
      ['call:in-progress', 'sms:queued', 'call:completed', 'sms:failed', 'end:'],
    );
    const completed = events[2]!.data as { log: typeof log; sms: { sid: string }[] };
    assert.deepEqual(completed.log, log);
    assert.equal(completed.sms[0]?.sid, message.sid);
    const failed = events[3]!.data as { reasonCode: string; transitions: { status: string }[] };
    assert.equal(failed.reasonCode, 'DND_BLOCKED');
    assert.deepEqual(
      failed.transitions.map((t) => t.status),
      ['queued', 'failed'],
    );
  });

  test("another account's call is a 404, and the stream needs credentials", async () => {
    const callSid = 'e'.repeat(32);
    await startCall(callSid);
    const other = await fx.call({
      as: fx.b,
      method: 'GET',
      url: `/api/v1/events?callSid=${callSid}`,
    });
    assert.equal(other.statusCode, 404);
    const anonymous = await fx.call({
      as: null,
      method: 'GET',
      url: `/api/v1/events?callSid=${callSid}`,
    });
    assert.equal(anonymous.statusCode, 401);
  });
});
