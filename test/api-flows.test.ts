/**
 * The flow, applet, number and call routes through inject(): save and publish a flow, assign an
 * ExoPhone, place a simulated call and read its log with the SMS it produced.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { flowRoutes } from '../src/api/routes/flows.ts';
import { createSender } from '../src/delivery/send.ts';
import { createFlowService, type FlowService } from '../src/flows/service.ts';
import { describeForStore, openTestStore, storeKinds } from '../src/store/testing.ts';
import { type ApiFixture, apiFixture, json } from './api-helpers.ts';

const EXOPHONE = '+914412345678';
const CALLER = '+919876543210';

for (const kind of storeKinds()) {
  describeForStore(kind, `flow API [${kind}]`, () => {
    let fx: ApiFixture;
    let service: FlowService;

    before(async () => {
      const ts = await openTestStore(kind);
      const sender = createSender({ store: ts.store, clock: ts.clock });
      service = createFlowService({
        store: ts.store,
        sendSms: (sid, request, origin) => sender.handOver(sid, request, origin),
        clock: ts.clock,
      });
      fx = await apiFixture(ts, { extraRoutes: [flowRoutes({ service, store: ts.store })] });
    });
    after(async () => {
      await service.drain();
      await fx.close();
    });

    const missedCall = () => ({
      name: 'Missed call alert',
      start: 'welcome',
      applets: {
        welcome: {
          type: 'greeting',
          config: { text: 'Thanks for calling Acme.' },
          next: { default: 'agent' },
        },
        agent: {
          type: 'connect',
          config: { numbers: ['+919812345678'], ringSeconds: 20 },
          next: { completed: 'bye', 'no-answer': 'missed', busy: 'missed', failed: 'missed' },
        },
        missed: {
          type: 'sms',
          config: {
            to: { kind: 'caller' },
            senderId: fx.a.senderId,
            body: 'Your OTP is {Digits}. Do not share it.',
            dltTemplateId: fx.a.templateId,
            dltEntityId: fx.a.entityId,
          },
          next: { default: 'bye' },
        },
        bye: { type: 'hangup' },
      },
    });

    test('requires authentication', async () => {
      const res = await fx.call({ method: 'GET', url: '/api/v1/flows', as: null });
      assert.equal(res.statusCode, 401);
    });

    test('GET /api/v1/applets lists every applet with its schema, default config and exits', async () => {
      const res = await fx.call({ method: 'GET', url: '/api/v1/applets' });
      assert.equal(res.statusCode, 200);
      const { items } = json<{
        items: { type: string; exits: string[]; configSchema: { required?: string[] } }[];
      }>(res);
      assert.deepEqual(
        items.map((a) => a.type),
        ['greeting', 'ivr', 'connect', 'passthru', 'sms', 'hangup'],
      );
      const sms = items.find((a) => a.type === 'sms')!;
      assert.deepEqual(sms.exits, ['default']);
      assert.deepEqual(sms.configSchema.required, [
        'to',
        'senderId',
        'body',
        'dltTemplateId',
        'dltEntityId',
      ]);
      assert.deepEqual(items.find((a) => a.type === 'ivr')!.exits, [
        '1',
        '2',
        'timeout',
        'invalid',
      ]);
      const exits = await fx.call({
        method: 'POST',
        url: '/api/v1/applets/ivr/exits',
        payload: { mode: 'menu', prompt: { text: 'Press 9' }, options: [{ digit: '9' }] },
      });
      assert.deepEqual(json(exits), { exits: ['9', 'timeout', 'invalid'] });
      const bad = await fx.call({ method: 'POST', url: '/api/v1/applets/sms/exits', payload: {} });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad).code, 'FLOW_INVALID_CONFIG');
      const unknown = await fx.call({
        method: 'POST',
        url: '/api/v1/applets/fax/exits',
        payload: {},
      });
      assert.equal(json(unknown).code, 'FLOW_UNKNOWN_APPLET_TYPE');
    });

    test('create, validate, publish, assign, call, read the log', async () => {
      const draft = missedCall();
      draft.applets.missed.config.body = 'We missed your call.';
      const created = await fx.call({ method: 'POST', url: '/api/v1/flows', payload: draft });
      assert.equal(created.statusCode, 201);
      const flow = json<{
        id: string;
        version: number;
        liveVersion: number | null;
        validation: { ok: boolean; errors: { code: string }[] };
      }>(created);
      assert.equal(flow.version, 1);
      assert.equal(flow.liveVersion, null);
      assert.deepEqual(
        flow.validation.errors.map((e) => e.code),
        ['FLOW_TEMPLATE_NEVER_MATCHES'],
      );
      const refused = await fx.call({ method: 'POST', url: `/api/v1/flows/${flow.id}/publish` });
      assert.equal(refused.statusCode, 400);
      assert.equal(json(refused).code, 'FLOW_TEMPLATE_NEVER_MATCHES');

      // {Digits} with no IVR before the SMS applet.
      const check = await fx.call({
        method: 'POST',
        url: '/api/v1/flows/validate',
        payload: missedCall(),
      });
      assert.deepEqual(
        json<{ errors: { code: string; appletId: string }[] }>(check).errors.map((e) => [
          e.code,
          e.appletId,
        ]),
        [['FLOW_UNKNOWN_VARIABLE', 'missed']],
      );

      const fixed = missedCall();
      fixed.applets.missed.config.body = 'Your OTP is 482913. Do not share it.';
      const v2 = await fx.call({ method: 'PUT', url: `/api/v1/flows/${flow.id}`, payload: fixed });
      assert.equal(v2.statusCode, 200);
      assert.equal(json(v2).version, 2);
      const published = await fx.call({ method: 'POST', url: `/api/v1/flows/${flow.id}/publish` });
      assert.equal(published.statusCode, 200);
      assert.equal(json(published).liveVersion, 2);

      const assigned = await fx.call({
        method: 'PUT',
        url: `/api/v1/numbers/${encodeURIComponent(EXOPHONE)}`,
        payload: { flowId: flow.id },
      });
      assert.equal(assigned.statusCode, 200);
      assert.deepEqual(json(assigned).liveVersion, 2);
      const numbers = await fx.call({ method: 'GET', url: '/api/v1/numbers' });
      assert.deepEqual(
        json<{ items: { number: string; flowName: string }[] }>(numbers).items.map((n) => [
          n.number,
          n.flowName,
        ]),
        [[EXOPHONE, 'Missed call alert']],
      );

      const placed = await fx.call({
        method: 'POST',
        url: '/api/v1/calls?wait=true',
        payload: { from: CALLER, to: EXOPHONE, defaultAgent: { behaviour: 'no-answer' } },
      });
      assert.equal(placed.statusCode, 201);
      const call = json<{
        sid: string;
        flowVersion: number;
        status: string;
        endReason: string;
        log: { steps: { appletId: string; exit: string | null }[] };
        sms: {
          to: string;
          body: string;
          status: string;
          origin: { callSid: string; appletId: string };
        }[];
      }>(placed);
      assert.match(call.sid, /^[0-9A-HJKMNP-TV-Z]{16}$/);
      assert.equal(call.flowVersion, 2);
      assert.equal(call.status, 'completed');
      assert.equal(call.endReason, 'hangup-applet');
      assert.deepEqual(
        call.log.steps.map((s) => [s.appletId, s.exit]),
        [
          ['welcome', 'default'],
          ['agent', 'no-answer'],
          ['missed', 'default'],
          ['bye', null],
        ],
      );
      assert.equal(call.sms.length, 1);
      assert.equal(call.sms[0]!.to, CALLER);
      assert.equal(call.sms[0]!.body, 'Your OTP is 482913. Do not share it.');
      assert.deepEqual(call.sms[0]!.origin, {
        kind: 'flow',
        callSid: call.sid,
        flowId: flow.id,
        appletId: 'missed',
      });

      const read = await fx.call({ method: 'GET', url: `/api/v1/calls/${call.sid}` });
      assert.equal(json(read).sid, call.sid);
      const list = await fx.call({ method: 'GET', url: `/api/v1/calls?flowId=${flow.id}` });
      assert.deepEqual(
        json<{ items: { sid: string }[] }>(list).items.map((c) => c.sid),
        [call.sid],
      );
      const versions = await fx.call({ method: 'GET', url: `/api/v1/flows/${flow.id}/versions` });
      assert.deepEqual(
        json<{ items: { version: number }[] }>(versions).items.map((v) => v.version),
        [2, 1],
      );
      const v1 = await fx.call({ method: 'GET', url: `/api/v1/flows/${flow.id}?version=1` });
      assert.equal(json(v1).version, 1);
    });

    test('a call without waiting answers 202 at once', async () => {
      const created = json<{ id: string }>(
        await fx.call({
          method: 'POST',
          url: '/api/v1/flows',
          payload: { start: 'bye', applets: { bye: { type: 'hangup' } } },
        }),
      );
      await fx.call({ method: 'POST', url: `/api/v1/flows/${created.id}/publish` });
      await fx.call({
        method: 'PUT',
        url: '/api/v1/numbers/%2B914400000001',
        payload: { flowId: created.id },
      });
      const res = await fx.call({
        method: 'POST',
        url: '/api/v1/calls',
        payload: { from: CALLER, to: '+914400000001' },
      });
      assert.equal(res.statusCode, 202);
      await service.drain();
      const read = await fx.call({ method: 'GET', url: `/api/v1/calls/${json(res).sid}` });
      assert.equal(json(read).status, 'completed');
    });

    test('errors: no such flow, number or call; a body that is not a flow; another tenant sees nothing', async () => {
      assert.equal((await fx.call({ method: 'GET', url: '/api/v1/flows/nope' })).statusCode, 404);
      assert.equal(
        (await fx.call({ method: 'DELETE', url: '/api/v1/flows/nope' })).statusCode,
        404,
      );
      assert.equal(
        (await fx.call({ method: 'GET', url: `/api/v1/calls/${'0'.repeat(32)}` })).statusCode,
        404,
      );
      const noRoute = await fx.call({
        method: 'POST',
        url: '/api/v1/calls',
        payload: { from: CALLER, to: '+914499999999' },
      });
      assert.equal(noRoute.statusCode, 404);
      const invalid = await fx.call({
        method: 'POST',
        url: '/api/v1/flows',
        payload: { applets: {} },
      });
      assert.equal(invalid.statusCode, 400);
      assert.equal(json(invalid).code, 'FLOW_INVALID');
      const badNumber = await fx.call({
        method: 'PUT',
        url: '/api/v1/numbers/12345',
        payload: { flowId: null },
      });
      assert.equal(badNumber.statusCode, 400);
      const mine = json<{ id: string }>(
        await fx.call({ method: 'POST', url: '/api/v1/flows', payload: missedCall() }),
      );
      const theirs = await fx.call({ method: 'GET', url: `/api/v1/flows/${mine.id}`, as: fx.b });
      assert.equal(theirs.statusCode, 404);
      const taken = await fx.call({
        method: 'PUT',
        url: `/api/v1/numbers/${encodeURIComponent(EXOPHONE)}`,
        payload: { flowId: null },
        as: fx.b,
      });
      assert.equal(taken.statusCode, 409);
      const deleted = await fx.call({ method: 'DELETE', url: `/api/v1/flows/${mine.id}` });
      assert.equal(deleted.statusCode, 204);
    });
  });
}
