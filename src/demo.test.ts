import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  DEMO_ACCOUNT_SID,
  DEMO_APPOINTMENT_EXOPHONE,
  DEMO_EXOPHONE,
  DEMO_FLOWS,
  DEMO_TEMPLATES,
  seedDemo,
} from './demo.ts';
import { checkBody, matchTemplate } from './dlt/index.ts';
import { createFlowService } from './flows/service.ts';
import type { FlowSmsRequest } from './flows/types.ts';
import { describeForStore, openTestStore, storeKinds } from './store/testing.ts';

const templateOf = (id: string) => DEMO_TEMPLATES.find((t) => t.templateId === id)!.content;

test('every demo SMS body matches its template, whatever the call (checkBody: always)', () => {
  let bodies = 0;
  for (const { document } of DEMO_FLOWS) {
    for (const [id, applet] of Object.entries(document.applets)) {
      if (applet.type !== 'sms') continue;
      const config = applet.config as { body: string; dltTemplateId: string };
      const check = checkBody(config.body, templateOf(config.dltTemplateId));
      assert.equal(check.verdict, 'always', `${document.name}/${id}: ${JSON.stringify(check)}`);
      bodies++;
    }
    // The Builder draws every applet where the layout puts it.
    assert.deepEqual(Object.keys(document.layout!).sort(), Object.keys(document.applets).sort());
  }
  assert.equal(bodies, 4);
});

for (const kind of storeKinds()) {
  describeForStore(kind, `demo seed [${kind}]`, () => {
    test('publishes the demo flows on their ExoPhones once; a call sends an SMS its template accepts', async (t) => {
      const ts = await openTestStore(kind, {
        clock: Object.assign(() => new Date(), { set() {}, advance() {} }),
      });
      const dataDir = mkdtempSync(join(tmpdir(), 'callflow-demo-'));
      t.after(async () => {
        await ts.cleanup();
        rmSync(dataDir, { recursive: true, force: true });
      });
      const { store } = ts;
      const first = await seedDemo(store, { dataDir });
      const again = await seedDemo(store, { dataDir });
      assert.deepEqual(again, first);
      const flows = await store.flows.list(DEMO_ACCOUNT_SID);
      assert.deepEqual(flows.map((f) => f.name).sort(), [
        'Appointment reminder',
        'Missed call alert',
      ]);
      for (const f of flows) assert.equal(f.liveVersion, 1);
      const numbers = await store.numbers.list(DEMO_ACCOUNT_SID);
      assert.deepEqual(numbers.map((n) => n.e164).sort(), [
        DEMO_EXOPHONE,
        DEMO_APPOINTMENT_EXOPHONE,
      ]);

      const sent: FlowSmsRequest[] = [];
      const service = createFlowService({
        store,
        sendSms: (_account, request) => {
          sent.push(request);
          const sid = `sms${sent.length}`;
          return { ok: true, sid, stored: Promise.resolve({ ok: true, message: { sid } }) };
        },
      });
      const missed = await (
        await service.startCall(DEMO_ACCOUNT_SID, {
          from: '+919876543210',
          to: DEMO_EXOPHONE,
          defaultAgent: { behaviour: 'no-answer' },
        })
      ).done;
      assert.deepEqual(
        missed.steps.map((s) => s.exit && `${s.appletId}:${s.exit}`),
        ['welcome:default', 'agent:no-answer', 'missed:default', null],
      );
      const answered = await (
        await service.startCall(DEMO_ACCOUNT_SID, { from: '+919876543210', to: DEMO_EXOPHONE })
      ).done;
      assert.equal(answered.steps[2]!.appletId, 'confirm');
      const booked = await (
        await service.startCall(DEMO_ACCOUNT_SID, {
          from: '+919876543210',
          to: DEMO_APPOINTMENT_EXOPHONE,
          digits: '2',
        })
      ).done;
      assert.equal(booked.steps[1]!.appletId, 'evening');
      await service.drain();

      assert.equal(
        sent[0]!.body,
        "We missed your call to +918045678900. We'll call you back soon. - Acme",
      );
      assert.equal(
        sent[1]!.body,
        `Thanks for contacting Acme Corp. Your reference number is ${answered.callSid}.`,
      );
      for (const request of sent) {
        const m = matchTemplate(templateOf(request.dltTemplateId), request.body);
        assert.equal(m.match, true, `${request.body}: ${JSON.stringify(m)}`);
        assert.equal(request.senderId, 'ACMECO');
      }
    });
  });
}
