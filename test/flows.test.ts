/**
 * Golden flows: the SMS applet guide's five use cases (test/flows/*.json) run end to end. Each
 * flow is saved, validated against the account's DLT templates, published and assigned to an
 * ExoPhone; a simulated caller rings it; the SMS goes through the real pipeline (sendSms, the
 * outbox, the delivery worker's checks and billing, an SMPP carrier bound to the carrier
 * simulator over loopback) and is delivered.
 *
 * "The applet after the SMS started without waiting for the SMS to be submitted" is shown two
 * ways: with the delivery worker stopped during the call (the call ends while its SMS is still
 * queued), and on the real clock with a slow carrier (the next applet is entered before the
 * message's `submitted` transition).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { CarrierSimulator, createCarrier, type SmppCarrier } from '../src/carriers/index.ts';
import { createSender } from '../src/delivery/send.ts';
import { createDeliveryWorker, type DeliveryWorker } from '../src/delivery/worker.ts';
import { matchTemplate } from '../src/dlt/index.ts';
import { createGuardedFetch } from '../src/flows/guarded-fetch.ts';
import type { CallLog } from '../src/flows/runtime.ts';
import { createFlowService, type FlowService } from '../src/flows/service.ts';
import {
  createTestAccount,
  openTestStore,
  TEST_ENTITY_ID,
  type TestStore,
} from '../src/store/testing.ts';
import type { Message } from '../src/store/types.ts';
import type { CallerScript } from '../src/telephony/script.ts';

const CALLER = '+919876543210';
const START = '2024-01-15T05:00:00.000Z';
const TEMPLATES: Record<string, string> = {
  '1107166000000000101': 'Thanks for contacting us. Ref: {#alphanumeric#}',
  '1107166000000000102': "We missed your call. We'll call back soon.",
  '1107166000000000103': 'Your appointment is confirmed for {#var#}. Booking ref {#alphanumeric#}.',
  '1107166000000000104': 'Thanks for your interest! Visit acme.com/offer',
  '1107166000000000105': 'Thank you for your feedback!',
  // The guide's DLT Template Setup, step 2, word for word.
  '1107166000000000106':
    'Thank you for calling {#var#}. Your reference number is {#var#}. For support, call {#var#}.',
};

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./flows/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

async function until<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('golden flows', () => {
  let t: TestStore;
  let service: FlowService;
  let accountSid: string;
  let sim: CarrierSimulator;
  let slowSim: CarrierSimulator;
  let carrier: SmppCarrier;
  let slowCarrier: SmppCarrier;
  let worker: DeliveryWorker | undefined;
  let hooks: Server;
  let hookBase: string;
  const hookRequests: { method: string; url: URL; body: string }[] = [];
  let booking: Record<string, string> = {};
  let exophones = 0;

  before(async () => {
    // The store on the real clock, like the sender and the worker: test 4 compares real times.
    const realClock = Object.assign(() => new Date(), { set() {}, advance() {} });
    t = await openTestStore('sqlite', { clock: realClock });
    accountSid = (await createTestAccount(t.store)).sid;
    await t.store.dlt.upsertEntity({
      accountSid,
      entityId: TEST_ENTITY_ID,
      name: 'Acme',
      status: 'active',
      tmChain: [],
    });
    await t.store.dlt.upsertHeader({
      accountSid,
      entityId: TEST_ENTITY_ID,
      senderId: 'ACMECO',
      smsType: 'transactional',
      status: 'active',
    });
    for (const [templateId, content] of Object.entries(TEMPLATES)) {
      await t.store.dlt.upsertTemplate({
        accountSid,
        templateId,
        entityId: TEST_ENTITY_ID,
        name: templateId.slice(-3),
        content,
        category: 'transactional',
        status: 'approved',
        senderIds: ['ACMECO'],
      });
    }
    sim = new CarrierSimulator({ systemId: 'callflow', password: 'secret' });
    slowSim = new CarrierSimulator({
      systemId: 'callflow',
      password: 'secret',
      responseDelayMs: 1500,
    });
    const connect = async (s: CarrierSimulator, name: string) => {
      const { port } = await s.start();
      const c = createCarrier({
        name,
        host: '127.0.0.1',
        port,
        systemId: 'callflow',
        password: 'secret',
        responseTimeoutMs: 5000,
      });
      await c.start();
      return c;
    };
    carrier = await connect(sim, 'sim');
    slowCarrier = await connect(slowSim, 'slow');

    // The customers' Passthru endpoints: the booking system and the survey system.
    hooks = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const url = new URL(req.url!, 'http://hooks');
        hookRequests.push({ method: req.method!, url, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(url.pathname === '/book' ? JSON.stringify(booking) : '{"saved":true}');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    hookBase = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;

    const sender = createSender({ store: t.store });
    service = createFlowService({
      store: t.store,
      sendSms: (sid, request, origin) => sender.handOver(sid, request, origin),
      // The guard stays on; only the test's own loopback endpoint is allowed.
      fetchGuarded: createGuardedFetch({ allowList: ['127.0.0.1'] }),
    });
  });

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  after(async () => {
    await service.drain();
    await carrier.stop();
    await slowCarrier.stop();
    await sim.stop();
    await slowSim.stop();
    await new Promise<void>((resolve) => hooks.close(() => resolve()));
    await t.cleanup();
  });

  /** Saves, validates, publishes the fixture and assigns it a fresh ExoPhone; returns the ExoPhone. */
  async function publish(name: string): Promise<string> {
    const text = JSON.stringify(fixture(name))
      .replaceAll('https://booking.example.com', hookBase)
      .replaceAll('https://survey.example.com', hookBase);
    const flow = await service.createFlow(accountSid, { document: JSON.parse(text) });
    assert.deepEqual(flow.validation, { ok: true, errors: [], warnings: [] }, name);
    await service.publish(accountSid, flow.id);
    const exophone = `+9144123450${String(++exophones).padStart(2, '0')}`;
    await service.assignNumber(accountSid, exophone, flow.id);
    return exophone;
  }

  function startWorker(carriers: SmppCarrier[] = [carrier]) {
    worker = createDeliveryWorker({
      store: t.store,
      carriers,
      config: { pollMs: 20, registryCacheMs: 0, retryJitter: 0 },
    });
    return worker.start();
  }

  async function call(to: string, script: Partial<CallerScript> = {}): Promise<CallLog> {
    const started = await service.startCall(accountSid, {
      from: CALLER,
      to,
      startAt: START,
      ...script,
    });
    return started.done;
  }

  const path = (log: CallLog) =>
    log.steps.map((s) => (s.exit === null ? s.appletId : `${s.appletId}:${s.exit}`));

  async function message(log: CallLog, appletId: string): Promise<Message> {
    const sid = log.sms.find((s) => s.appletId === appletId)?.sid;
    assert.ok(sid, `no SmsSid for ${appletId}: ${JSON.stringify(log.sms)}`);
    return (await t.store.messages.get(accountSid, sid))!;
  }

  /** The message is still queued when the call has ended; started now, the worker delivers it. */
  async function deliveredAfterTheCall(m: Message, carriers?: SmppCarrier[]): Promise<Message> {
    assert.equal(m.status, 'queued', 'the call ended before its SMS was submitted');
    await startWorker(carriers);
    return until(async () => {
      const now = await t.store.messages.get(accountSid, m.sid);
      return now && ['delivered', 'undelivered', 'failed'].includes(now.status) && now;
    }, `message ${m.sid} to be final`);
  }

  /** What the carrier simulator received for a message: destination and decoded text. */
  function onTheWire(s: CarrierSimulator, m: Message) {
    const submit = s
      .received()
      .find(
        (r) =>
          r.messageId !== undefined &&
          m.carrierMessageIds.includes(r.messageId.toLowerCase().replace(/^0+/, '')),
      );
    assert.ok(submit, `the simulator never received ${m.sid}`);
    return { to: submit.destinationAddr, text: submit.text, dlt: submit.dlt };
  }

  test('1. post-call confirmation: after the conversation, the caller gets the reference', async () => {
    const exophone = await publish('post-call-confirmation');
    const log = await call(exophone, {
      agents: {
        '+919812345678': { behaviour: 'busy' },
        '+919812345679': { behaviour: 'answer', answerAfterSeconds: 4, talkSeconds: 75 },
      },
    });
    assert.deepEqual(path(log), ['welcome:default', 'agent:completed', 'confirm:default', 'bye']);
    assert.equal(log.endReason, 'hangup-applet');
    const agent = log.steps[1]!.detail!;
    assert.equal(agent.answeredBy, '+919812345679');
    assert.equal(agent.talkSeconds, 75);
    const delivered = await deliveredAfterTheCall(await message(log, 'confirm'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(delivered.body, `Thanks for contacting us. Ref: ${log.callSid}`);
    assert.deepEqual(delivered.origin, {
      kind: 'flow',
      callSid: log.callSid,
      flowId: log.flowId,
      appletId: 'confirm',
    });
    assert.deepEqual(onTheWire(sim, delivered), {
      to: '919876543210',
      text: `Thanks for contacting us. Ref: ${log.callSid}`,
      dlt: { entityId: TEST_ENTITY_ID, templateId: '1107166000000000101' },
    });
  });

  test('2. missed call alert: nobody answers, the caller is told by SMS; a completed call sends none', async () => {
    const exophone = await publish('missed-call-alert');
    const missed = await call(exophone, { defaultAgent: { behaviour: 'no-answer' } });
    assert.deepEqual(path(missed), ['welcome:default', 'agent:no-answer', 'missed:default', 'bye']);
    // 2 s greeting, 20 s of ringing.
    assert.equal(missed.endedAt, '2024-01-15T05:00:22.000Z');
    const delivered = await deliveredAfterTheCall(await message(missed, 'missed'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(onTheWire(sim, delivered).text, "We missed your call. We'll call back soon.");

    const answered = await call(exophone, {
      defaultAgent: { behaviour: 'answer', talkSeconds: 10 },
    });
    assert.deepEqual(path(answered), ['welcome:default', 'agent:completed', 'bye']);
    assert.deepEqual(answered.sms, []);
  });

  test('3. appointment reminder: IVR, a Passthru books it, the SMS goes to the number it returns', async () => {
    const exophone = await publish('appointment-reminder');
    booking = { slot: 'Tue 16 Jan, 6:30 PM', ref: 'APT7781', phone: '+919811112222' };
    hookRequests.length = 0;
    const log = await call(exophone, { digits: '2' });
    assert.deepEqual(path(log), [
      'choose:2',
      'book:success',
      'confirm:default',
      'thanks:default',
      'bye',
    ]);
    const request = hookRequests[0]!;
    assert.equal(request.method, 'GET');
    assert.equal(request.url.pathname, '/book');
    assert.equal(request.url.searchParams.get('digits'), '2');
    assert.equal(request.url.searchParams.get('CallSid'), log.callSid);
    assert.equal(request.url.searchParams.get('CallFrom'), CALLER);
    assert.equal(request.url.searchParams.get('CallTo'), exophone);
    assert.equal(request.url.searchParams.get('CallType'), 'call-attempt');
    const delivered = await deliveredAfterTheCall(await message(log, 'confirm'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, '+919811112222');
    assert.deepEqual(onTheWire(sim, delivered), {
      to: '919811112222',
      text: 'Your appointment is confirmed for Tue 16 Jan, 6:30 PM. Booking ref APT7781.',
      dlt: { entityId: TEST_ENTITY_ID, templateId: '1107166000000000103' },
    });
  });

  test('4. lead capture: on the real clock, the call ends before the slow carrier has the SMS', async () => {
    const exophone = await publish('lead-capture');
    await startWorker([slowCarrier]);
    const started = await service.startCall(
      accountSid,
      { from: CALLER, to: exophone },
      { realTime: true },
    );
    const log = await started.done;
    assert.deepEqual(path(log), ['ring:default', 'offer:default', 'bye']);
    const sid = log.sms[0]!.sid!;
    const delivered = await until(async () => {
      const m = await t.store.messages.get(accountSid, sid);
      return m?.status === 'delivered' && m;
    }, 'the lead SMS to be delivered');
    const submitted = (await t.store.messages.transitions(sid)).find(
      (x) => x.status === 'submitted',
    )!;
    const hangupEntered = new Date(log.steps[2]!.enteredAt);
    // The carrier takes 1.5 s to accept the submit; the call did not wait for it.
    assert.ok(
      hangupEntered < submitted.at,
      `hangup entered at ${hangupEntered.toISOString()}, SMS submitted at ${submitted.at.toISOString()}`,
    );
    assert.ok(submitted.at.getTime() - hangupEntered.getTime() >= 1000);
    assert.equal(delivered.to, CALLER);
    assert.equal(
      onTheWire(slowSim, delivered).text,
      'Thanks for your interest! Visit acme.com/offer',
    );
  });

  test('lead capture when the caller hangs up during the brief ring: the offer SMS still goes out', async () => {
    const exophone = await publish('lead-capture');
    const log = await call(exophone, { hangupAfterSeconds: 0.5 });
    assert.deepEqual(path(log), ['ring:default', 'offer:default']);
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(log.steps[0]!.detail?.interrupted, true);
    const delivered = await deliveredAfterTheCall(await message(log, 'offer'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(onTheWire(sim, delivered).text, 'Thanks for your interest! Visit acme.com/offer');
  });

  test('5. post-survey thank you: two answers saved by Passthru, then the thank-you SMS', async () => {
    const exophone = await publish('post-survey');
    hookRequests.length = 0;
    const log = await call(exophone, { digits: '41' });
    assert.deepEqual(path(log), [
      'rating:default',
      'saveRating:default',
      'recommend:1',
      'save:success',
      'thanks:default',
      'goodbye:default',
      'bye',
    ]);
    const byQuestion = new Map(hookRequests.map((r) => [r.url.searchParams.get('question'), r]));
    assert.equal(byQuestion.get('rating')!.method, 'GET');
    assert.equal(byQuestion.get('rating')!.url.searchParams.get('digits'), '4');
    assert.equal(byQuestion.get('recommend')!.method, 'POST');
    assert.equal(new URLSearchParams(byQuestion.get('recommend')!.body).get('digits'), '1');
    assert.equal((log.steps[1]!.detail!.async as { status: number }).status, 200);
    const delivered = await deliveredAfterTheCall(await message(log, 'thanks'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(onTheWire(sim, delivered).text, 'Thank you for your feedback!');
  });

  test('the caller hangs up right after the SMS applet: the hangup applet is not run, the SMS is still delivered', async () => {
    const exophone = await publish('post-call-confirmation');
    const log = await call(exophone, {
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 2, talkSeconds: 30 },
      hangupAfterApplet: 'confirm',
    });
    assert.deepEqual(path(log), ['welcome:default', 'agent:completed', 'confirm:default']);
    assert.equal(log.endReason, 'caller-hangup');
    const saved = await service.getCall(accountSid, log.callSid);
    assert.equal(saved.endReason, 'caller-hangup');
    const delivered = await deliveredAfterTheCall(await message(log, 'confirm'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(onTheWire(sim, delivered).text, `Thanks for contacting us. Ref: ${log.callSid}`);
  });

  test('post-call confirmation when the CALLER ends the conversation: Connect completes and the SMS still goes out', async () => {
    const exophone = await publish('post-call-confirmation');
    // The agent would talk for ten minutes; the caller hangs up 60 s into the call.
    const log = await call(exophone, {
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 5, talkSeconds: 600 },
      hangupAfterSeconds: 60,
    });
    assert.deepEqual(path(log), ['welcome:default', 'agent:completed', 'confirm:default']);
    assert.equal(log.endReason, 'caller-hangup');
    assert.equal(log.endedAt, '2024-01-15T05:01:00.000Z');
    const agent = log.steps[1]!.detail!;
    assert.equal(agent.answeredBy, '+919812345678');
    // 4 s of greeting, 5 s of ringing: they talked until the caller hung up.
    assert.equal(agent.talkSeconds, 51);
    assert.equal(agent.callerHungUp, true);
    const saved = await service.getCall(accountSid, log.callSid);
    assert.equal(saved.endReason, 'caller-hangup');
    const delivered = await deliveredAfterTheCall(await message(log, 'confirm'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(onTheWire(sim, delivered).text, `Thanks for contacting us. Ref: ${log.callSid}`);
  });

  test('missed call when the caller gives up while the agent rings: no-answer, and the alert goes out', async () => {
    const exophone = await publish('missed-call-alert');
    const log = await call(exophone, {
      defaultAgent: { behaviour: 'answer', answerAfterSeconds: 15 },
      hangupAfterSeconds: 10,
    });
    assert.deepEqual(path(log), ['welcome:default', 'agent:no-answer', 'missed:default']);
    assert.equal(log.endReason, 'caller-hangup');
    const agent = log.steps[1]!.detail!;
    assert.equal(agent.callerHungUp, true);
    assert.deepEqual(agent.attempts, [
      { number: '+919812345678', outcome: 'canceled', ringSeconds: 8 },
    ]);
    const delivered = await deliveredAfterTheCall(await message(log, 'missed'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.to, CALLER);
    assert.equal(onTheWire(sim, delivered).text, "We missed your call. We'll call back soon.");
  });

  test('an SMS that fails DLT validation does not stop the flow', async () => {
    const exophone = await publish('appointment-reminder');
    // A slot too long for its {#var#} (at most 30 characters): the worker's DLT check refuses it.
    booking = {
      slot: 'Tuesday 16 January 2024 at 6:30 in the evening',
      ref: 'APT7782',
      phone: '+919811112222',
    };
    const log = await call(exophone, { digits: '1' });
    assert.deepEqual(path(log), [
      'choose:1',
      'book:success',
      'confirm:default',
      'thanks:default',
      'bye',
    ]);
    assert.equal(log.endReason, 'hangup-applet');
    const before = sim.received().length;
    const failed = await deliveredAfterTheCall(await message(log, 'confirm'));
    assert.equal(failed.status, 'failed');
    assert.equal(failed.reasonCode, 'DLT_VARIABLE_TOO_LONG');
    assert.equal(sim.received().length, before, 'nothing went to the carrier');
  });

  test("the guide's own example: its template and {CallSid} body publish, and the call's SMS is delivered", async () => {
    // The guide's template, and its example message's "Your reference number is {CallSid}."
    // in the template's own words.
    const guideTemplate = TEMPLATES['1107166000000000106']!;
    const body =
      'Thank you for calling Acme Corp. Your reference number is {CallSid}. For support, call 1800-XXX-XXXX.';
    const flow = await service.createFlow(accountSid, {
      document: {
        name: "The guide's SMS applet",
        start: 'thanks',
        applets: {
          thanks: {
            type: 'sms',
            config: {
              to: { kind: 'caller' },
              senderId: 'ACMECO',
              body,
              dltTemplateId: '1107166000000000106',
              dltEntityId: TEST_ENTITY_ID,
              smsType: 'transactional',
            },
            next: { default: 'bye' },
          },
          bye: { type: 'hangup', config: {} },
        },
      },
    });
    assert.deepEqual(flow.validation, { ok: true, errors: [], warnings: [] });
    await service.publish(accountSid, flow.id);
    const exophone = `+9144123450${String(++exophones).padStart(2, '0')}`;
    await service.assignNumber(accountSid, exophone, flow.id);
    const log = await call(exophone);
    assert.match(log.callSid, /^[0-9A-HJKMNP-TV-Z]{16}$/);
    const text = body.replace('{CallSid}', log.callSid);
    const delivered = await deliveredAfterTheCall(await message(log, 'thanks'));
    assert.equal(delivered.status, 'delivered');
    assert.equal(delivered.body, text);
    assert.deepEqual(matchTemplate(guideTemplate, text), {
      match: true,
      values: ['Acme Corp', log.callSid, '1800-XXX-XXXX'],
    });
    assert.deepEqual(onTheWire(sim, delivered), {
      to: '919876543210',
      text,
      dlt: { entityId: TEST_ENTITY_ID, templateId: '1107166000000000106' },
    });
  });

  test("every variable the guide lists fits the guide's {#var#} and publishes", async () => {
    for (const variable of ['{CallFrom}', '{CallTo}', '{CallSid}', '{DateTime}']) {
      const flow = await service.createFlow(accountSid, {
        document: {
          name: `Reference ${variable}`,
          start: 'thanks',
          applets: {
            thanks: {
              type: 'sms',
              config: {
                to: { kind: 'caller' },
                senderId: 'ACMECO',
                body: `Thank you for calling Acme Corp. Your reference number is ${variable}. For support, call 1800-XXX-XXXX.`,
                dltTemplateId: '1107166000000000106',
                dltEntityId: TEST_ENTITY_ID,
                smsType: 'transactional',
              },
              next: { default: 'bye' },
            },
            bye: { type: 'hangup', config: {} },
          },
        },
      });
      assert.deepEqual(flow.validation, { ok: true, errors: [], warnings: [] }, variable);
      const published = await service.publish(accountSid, flow.id);
      assert.ok(published, variable);
    }
  });
});
