import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { createSender } from '../delivery/send.ts';
import { CallflowError } from '../errors.ts';
import {
  createTestAccount,
  openTestStore,
  TEST_ENTITY_ID,
  type TestStore,
} from '../store/testing.ts';
import { createFlowService, type FlowService } from './service.ts';
import type { FlowDocument } from './types.ts';

const EXOPHONE = '+914412345678';
const CALLER = '+919876543210';
const isCode = (code: string) => (e: unknown) => e instanceof CallflowError && e.code === code;

const sms = (body: string, templateId = '1107166000000000001') => ({
  to: { kind: 'caller' },
  senderId: 'ACMECO',
  body,
  dltTemplateId: templateId,
  dltEntityId: TEST_ENTITY_ID,
});

const thanks = (text: string): FlowDocument => ({
  name: 'Thanks',
  start: 'hi',
  applets: {
    hi: { type: 'greeting', config: { text }, next: { default: 'sms' } },
    sms: {
      type: 'sms',
      config: sms('Thanks for calling. Ref: {CallSid}'),
      next: { default: 'bye' },
    },
    bye: { type: 'hangup' },
  },
});

describe('flow service', () => {
  let t: TestStore;
  let service: FlowService;
  let accountSid: string;
  let hook: Server;
  let hookUrl: string;
  /** Holds the Passthru request open until released. */
  const gate: { release?: () => void } = {};

  before(async () => {
    hook = createServer((_req, res) => {
      gate.release = () => res.end('{}');
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((resolve) => hook.close(() => resolve())));

  beforeEach(async () => {
    t = await openTestStore('sqlite');
    accountSid = (await createTestAccount(t.store)).sid;
    const sender = createSender({ store: t.store, clock: t.clock });
    service = createFlowService({
      store: t.store,
      sendSms: (sid, request, origin) => sender.handOver(sid, request, origin),
      clock: t.clock,
      outbound: { allowPrivateAddresses: true },
    });
  });
  afterEach(async () => {
    await service.drain();
    await t.cleanup();
  });

  test('saves drafts as versions, with their validation; refuses what is not a flow', async () => {
    const draft = await service.createFlow(accountSid, {
      document: { start: 'hi', applets: { hi: { type: 'greeting', config: {} } } },
    });
    assert.equal(draft.name, 'Untitled flow');
    assert.equal(draft.version, 1);
    assert.equal(draft.validation.ok, false);
    assert.deepEqual(
      draft.validation.errors.map((e) => e.code),
      ['FLOW_INVALID_CONFIG'],
    );
    const v2 = await service.updateFlow(accountSid, draft.id, { document: thanks('Hello') });
    assert.equal(v2.version, 2);
    assert.equal(v2.name, 'Thanks');
    assert.equal(v2.validation.ok, true);
    assert.equal(v2.liveVersion, null);
    assert.equal((await service.getFlow(accountSid, draft.id, 1)).validation.ok, false);
    assert.equal((await service.getFlow(accountSid, draft.id)).version, 2);
    assert.deepEqual(
      (await service.listVersions(accountSid, draft.id)).map((v) => v.version),
      [2, 1],
    );
    await assert.rejects(
      service.createFlow(accountSid, { document: { applets: {} } }),
      isCode('FLOW_INVALID'),
    );
    await assert.rejects(
      service.updateFlow(accountSid, 'nope', { document: thanks('x') }),
      isCode('NOT_FOUND'),
    );
    await assert.rejects(service.getFlow(accountSid, draft.id, 9), isCode('NOT_FOUND'));
  });

  test("validates SMS bodies against the account's DLT templates", async () => {
    await t.store.dlt.upsertEntity({
      accountSid,
      entityId: TEST_ENTITY_ID,
      name: 'Acme',
      status: 'active',
      tmChain: [],
    });
    await t.store.dlt.upsertTemplate({
      accountSid,
      templateId: '1107166000000000001',
      entityId: TEST_ENTITY_ID,
      name: 'thanks',
      content: 'Thank you for calling. Ref: {#alphanumeric#}',
      category: 'transactional',
      status: 'approved',
      senderIds: [],
    });
    const result = await service.validate(accountSid, thanks('Hi'));
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.appletId]),
      [['FLOW_TEMPLATE_NEVER_MATCHES', 'sms']],
    );
  });

  test('publishes only a version that validates', async () => {
    const flow = await service.createFlow(accountSid, {
      document: { start: 'hi', applets: { hi: { type: 'greeting', config: { text: 'x' } } } },
    });
    await assert.rejects(service.publish(accountSid, flow.id), (e: unknown) => {
      assert.ok(e instanceof CallflowError);
      assert.equal(e.code, 'FLOW_DANGLING_EXIT');
      assert.equal((e.details as { errors: unknown[] }).errors.length, 1);
      return true;
    });
    await service.updateFlow(accountSid, flow.id, { document: thanks('Hi') });
    const live = await service.publish(accountSid, flow.id);
    assert.equal(live.liveVersion, 2);
    assert.equal(live.version, 2);
    await assert.rejects(service.publish(accountSid, 'nope'), isCode('NOT_FOUND'));
  });

  test('assigns ExoPhones and lists them with their flow', async () => {
    const flow = await service.createFlow(accountSid, { document: thanks('Hi') });
    await service.publish(accountSid, flow.id);
    const n = await service.assignNumber(accountSid, EXOPHONE, flow.id);
    assert.deepEqual(
      [n.e164, n.flowId, n.flowName, n.liveVersion],
      [EXOPHONE, flow.id, 'Thanks', 1],
    );
    await service.assignNumber(accountSid, '+914400000000', null);
    assert.deepEqual(
      (await service.listNumbers(accountSid)).map((x) => [x.e164, x.flowName]),
      [
        ['+914400000000', null],
        [EXOPHONE, 'Thanks'],
      ],
    );
    await assert.rejects(service.assignNumber(accountSid, EXOPHONE, 'nope'), isCode('NOT_FOUND'));
    await service.removeNumber(accountSid, '+914400000000');
    await assert.rejects(service.removeNumber(accountSid, '+914400000000'), isCode('NOT_FOUND'));
  });

  test('an inbound call runs the live version, sends its SMS and keeps its log', async () => {
    await assert.rejects(
      service.startCall(accountSid, { from: CALLER, to: EXOPHONE }),
      isCode('NOT_FOUND'),
    );
    const flow = await service.createFlow(accountSid, { document: thanks('Hi') });
    await service.assignNumber(accountSid, EXOPHONE, flow.id);
    await assert.rejects(
      service.startCall(accountSid, { from: CALLER, to: EXOPHONE }),
      isCode('NOT_FOUND'),
    );
    await service.publish(accountSid, flow.id);
    const call = await service.startCall(accountSid, { from: CALLER, to: EXOPHONE });
    assert.match(call.callSid, /^[0-9A-HJKMNP-TV-Z]{16}$/);
    const log = await call.done;
    assert.equal(log.endReason, 'hangup-applet');
    const saved = await service.getCall(accountSid, call.callSid);
    assert.equal(saved.status, 'completed');
    assert.equal(saved.flowVersion, 1);
    assert.deepEqual(saved.log, JSON.parse(JSON.stringify(log)));
    const smsSid = log.sms[0]!.sid!;
    const message = await t.store.messages.get(accountSid, smsSid);
    assert.equal(message?.body, `Thanks for calling. Ref: ${call.callSid}`);
    assert.deepEqual(message?.origin, {
      kind: 'flow',
      callSid: call.callSid,
      flowId: flow.id,
      appletId: 'sms',
    });
    const page = await service.listCalls(accountSid, {}, null, 10);
    assert.deepEqual(
      page.items.map((c) => c.sid),
      [call.callSid],
    );
    await assert.rejects(service.getCall(accountSid, 'f'.repeat(32)), isCode('NOT_FOUND'));
  });

  test('a call keeps the version that was live when it started', async () => {
    const waiting: FlowDocument = {
      start: 'ask',
      applets: {
        ask: { type: 'passthru', config: { url: hookUrl }, next: { success: 'v1', failure: 'v1' } },
        v1: { type: 'greeting', config: { text: 'version one' }, next: { default: 'bye' } },
        bye: { type: 'hangup' },
      },
    };
    const flow = await service.createFlow(accountSid, { document: waiting });
    await service.publish(accountSid, flow.id);
    await service.assignNumber(accountSid, EXOPHONE, flow.id);
    delete gate.release;
    const first = await service.startCall(accountSid, { from: CALLER, to: EXOPHONE });
    const release = await new Promise<() => void>((resolve) => {
      const poll = () => (gate.release ? resolve(gate.release) : setTimeout(poll, 10));
      poll();
    });
    await service.updateFlow(accountSid, flow.id, { document: thanks('version two') });
    await service.publish(accountSid, flow.id);
    release();
    const log = await first.done;
    assert.equal(log.flowVersion, 1);
    assert.deepEqual(
      log.steps.map((s) => s.appletId),
      ['ask', 'v1', 'bye'],
    );
    const second = await (await service.startCall(accountSid, { from: CALLER, to: EXOPHONE })).done;
    assert.equal(second.flowVersion, 2);
    assert.deepEqual(
      second.steps.map((s) => s.appletId),
      ['hi', 'sms', 'bye'],
    );
  });

  test('deleting a flow keeps its calls', async () => {
    const flow = await service.createFlow(accountSid, { document: thanks('Hi') });
    await service.publish(accountSid, flow.id);
    await service.assignNumber(accountSid, EXOPHONE, flow.id);
    const call = await service.startCall(accountSid, { from: CALLER, to: EXOPHONE });
    await call.done;
    await service.deleteFlow(accountSid, flow.id);
    await assert.rejects(service.getFlow(accountSid, flow.id), isCode('NOT_FOUND'));
    assert.equal((await service.getCall(accountSid, call.callSid)).flowId, flow.id);
    await assert.rejects(service.deleteFlow(accountSid, flow.id), isCode('NOT_FOUND'));
  });
});
