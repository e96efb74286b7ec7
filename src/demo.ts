/**
 * The demo seed behind `npm start`: once per data directory, a demo account with a balance, a
 * DLT entity, header and templates for the guide's use cases, and two published demo flows on
 * their ExoPhones (a missed-call alert with a post-call confirmation, and an appointment
 * reminder) so that `callflow call` has something to ring. The demo API key and token are kept
 * in DATA_DIR/demo-credentials.json (readable by the owner only) so that every start can print
 * them; the store itself keeps only the token's hash.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount, issueApiKey } from './accounts.ts';
import { createFlowService } from './flows/service.ts';
import type { FlowDocument } from './flows/types.ts';
import type { DltTemplateRecord, Store } from './store/types.ts';

export const DEMO_ACCOUNT_SID = 'demo';
export const DEMO_ENTITY_ID = '1101166000000000001';
export const DEMO_SENDER_ID = 'ACMECO';

type DemoTemplate = Omit<DltTemplateRecord, 'accountSid' | 'createdAt' | 'updatedAt'>;

/** One template per use case of the guide, all transactional, all linked to ACMECO. */
export const DEMO_TEMPLATES: DemoTemplate[] = [
  {
    templateId: '1107166000000000001',
    name: 'Missed call alert',
    content: "We missed your call to {#var#}. We'll call you back soon. - Acme",
  },
  {
    templateId: '1107166000000000002',
    name: 'Post-call confirmation',
    content: 'Thanks for contacting Acme Corp. Your reference number is {#alphanumeric#}.',
  },
  {
    templateId: '1107166000000000003',
    name: 'Appointment reminder',
    content:
      'Your appointment with Acme Clinic is confirmed for {#var#}. Booking ID {#alphanumeric#}.',
  },
  {
    templateId: '1107166000000000004',
    name: 'Lead capture',
    content: 'Thanks for your interest in Acme! See the offer at {#url#} - Acme',
  },
  {
    templateId: '1107166000000000005',
    name: 'Survey thank-you',
    content: 'Thank you for your feedback, it helps Acme serve you better. Ref {#alphanumeric#}.',
  },
].map((t) => ({
  ...t,
  entityId: DEMO_ENTITY_ID,
  category: 'transactional' as const,
  status: 'approved' as const,
  senderIds: [DEMO_SENDER_ID],
}));

/** The demo's ExoPhone: a Bengaluru landline-style virtual number. */
export const DEMO_EXOPHONE = '+918045678900';
/** The ExoPhone of the appointment-reminder demo flow. */
export const DEMO_APPOINTMENT_EXOPHONE = '+918045678901';
/** The agent the demo's Connect dials (simulated calls decide whether it answers). */
export const DEMO_AGENT = '+919812345678';

const sms = (templateId: string, body: string) => ({
  type: 'sms',
  config: {
    to: { kind: 'caller' },
    senderId: DEMO_SENDER_ID,
    body,
    dltTemplateId: templateId,
    dltEntityId: DEMO_ENTITY_ID,
    smsType: 'transactional',
  },
  next: { default: 'bye' },
});

/**
 * Guide use cases 1 and 2 in one flow: after a conversation the caller gets a reference by SMS;
 * when nobody answers (or the caller gives up while it rings), a missed-call SMS. Every body
 * matches its template whatever the call: `{CallSid}` (16 letters and digits) fits the
 * `{#alphanumeric#}` (40) of template ...0002; `{CallTo}` (13) fits ...0001's `{#var#}`.
 */
export const DEMO_MISSED_CALL_FLOW: FlowDocument = {
  name: 'Missed call alert',
  description:
    'Connects the caller to an agent. After the conversation: a reference by SMS. If nobody answers: a missed-call SMS.',
  start: 'welcome',
  applets: {
    welcome: {
      type: 'greeting',
      label: 'Welcome',
      config: { text: 'Thanks for calling Acme Corp. Connecting you to an agent.' },
      next: { default: 'agent' },
    },
    agent: {
      type: 'connect',
      label: 'Agent',
      config: { numbers: [DEMO_AGENT], mode: 'sequential', ringSeconds: 20 },
      next: { completed: 'confirm', 'no-answer': 'missed', busy: 'missed', failed: 'missed' },
    },
    confirm: {
      ...sms(
        '1107166000000000002',
        'Thanks for contacting Acme Corp. Your reference number is {CallSid}.',
      ),
      label: 'Reference',
    },
    missed: {
      ...sms(
        '1107166000000000001',
        "We missed your call to {CallTo}. We'll call you back soon. - Acme",
      ),
      label: 'Missed call',
    },
    bye: { type: 'hangup', label: 'Hang up', config: {} },
  },
  // Top to bottom, the branches side by side under the Connect (306 px wide with its 4 exits).
  layout: {
    welcome: { x: 53, y: 0 },
    agent: { x: 0, y: 180 },
    confirm: { x: -180, y: 380 },
    missed: { x: 280, y: 380 },
    bye: { x: 53, y: 580 },
  },
};

/** Guide use case 3 without a booking system: the caller picks a slot, the SMS confirms it. */
export const DEMO_APPOINTMENT_FLOW: FlowDocument = {
  name: 'Appointment reminder',
  description: 'The caller picks a slot with one key; an SMS confirms the booking.',
  start: 'choose',
  applets: {
    choose: {
      type: 'ivr',
      label: 'Choose a slot',
      config: {
        mode: 'menu',
        prompt: {
          text: 'Welcome to Acme Clinic. Press 1 for tomorrow at 10:30 AM, or 2 for tomorrow at 6:30 PM.',
        },
        options: [
          { digit: '1', label: 'Tomorrow 10:30 AM' },
          { digit: '2', label: 'Tomorrow 6:30 PM' },
        ],
        timeoutSeconds: 5,
        retries: 1,
      },
      next: { '1': 'morning', '2': 'evening', timeout: 'sorry', invalid: 'sorry' },
    },
    morning: {
      ...sms(
        '1107166000000000003',
        'Your appointment with Acme Clinic is confirmed for tomorrow, 10:30 AM. Booking ID {CallSid}.',
      ),
      label: '10:30 AM',
      next: { default: 'booked' },
    },
    evening: {
      ...sms(
        '1107166000000000003',
        'Your appointment with Acme Clinic is confirmed for tomorrow, 6:30 PM. Booking ID {CallSid}.',
      ),
      label: '6:30 PM',
      next: { default: 'booked' },
    },
    booked: {
      type: 'greeting',
      label: 'Booked',
      config: { text: 'Your appointment is booked. You will get an SMS shortly. Goodbye.' },
      next: { default: 'bye' },
    },
    sorry: {
      type: 'greeting',
      label: 'No choice',
      config: { text: 'Sorry, we did not get your choice. Please call again.' },
      next: { default: 'bye' },
    },
    bye: { type: 'hangup', label: 'Hang up', config: {} },
  },
  layout: {
    choose: { x: 20, y: 0 },
    morning: { x: -220, y: 200 },
    evening: { x: 40, y: 200 },
    sorry: { x: 300, y: 200 },
    booked: { x: -90, y: 400 },
    bye: { x: 40, y: 600 },
  },
};

/** Every demo flow and the ExoPhone it is live on. */
export const DEMO_FLOWS: { exophone: string; document: FlowDocument }[] = [
  { exophone: DEMO_EXOPHONE, document: DEMO_MISSED_CALL_FLOW },
  { exophone: DEMO_APPOINTMENT_EXOPHONE, document: DEMO_APPOINTMENT_FLOW },
];

/**
 * Saves, publishes and assigns the demo flows. Publishing validates each flow against the
 * account's DLT templates, so a demo body that could fail its template stops the seed.
 */
async function seedDemoFlows(store: Store): Promise<void> {
  const service = createFlowService({
    store,
    // Seeding places no calls, so it sends nothing.
    sendSms: () => ({ ok: false, code: 'INTERNAL_ERROR', message: 'not for seeding' }),
  });
  for (const { exophone, document } of DEMO_FLOWS) {
    const flow = await service.createFlow(DEMO_ACCOUNT_SID, { document });
    await service.publish(DEMO_ACCOUNT_SID, flow.id);
    await service.assignNumber(DEMO_ACCOUNT_SID, exophone, flow.id);
  }
}

export interface DemoCredentials {
  accountSid: string;
  apiKey: string;
  apiToken: string;
}

/** Seeds the demo once; on later starts returns the saved credentials. */
export async function seedDemo(store: Store, opts: { dataDir: string }): Promise<DemoCredentials> {
  const file = join(opts.dataDir, 'demo-credentials.json');
  const existing = await store.accounts.get(DEMO_ACCOUNT_SID);
  // A demo seeded before it had flows gets them, once: an account with flows or numbers of its
  // own is left as it is.
  if (
    existing &&
    (await store.flows.list(DEMO_ACCOUNT_SID)).length === 0 &&
    (await store.numbers.list(DEMO_ACCOUNT_SID)).length === 0
  ) {
    await seedDemoFlows(store);
  }
  if (existing && existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
  }
  let credentials: DemoCredentials;
  if (existing) {
    // The store was seeded but the credentials file is gone: issue a fresh key.
    const { apiKey, token } = await issueApiKey(store, DEMO_ACCOUNT_SID, 'demo');
    credentials = { accountSid: DEMO_ACCOUNT_SID, apiKey: apiKey.key, apiToken: token };
  } else {
    const created = await createAccount(store, {
      sid: DEMO_ACCOUNT_SID,
      name: 'Acme Corp (demo)',
      balancePaise: 100_000,
    });
    credentials = {
      accountSid: created.account.sid,
      apiKey: created.apiKey,
      apiToken: created.apiToken,
    };
    await store.dlt.upsertEntity({
      accountSid: DEMO_ACCOUNT_SID,
      entityId: DEMO_ENTITY_ID,
      name: 'Acme Corp',
      status: 'active',
      tmChain: [],
    });
    await store.dlt.upsertHeader({
      accountSid: DEMO_ACCOUNT_SID,
      entityId: DEMO_ENTITY_ID,
      senderId: DEMO_SENDER_ID,
      smsType: 'transactional',
      status: 'active',
    });
    await store.dlt.upsertTemplates(
      DEMO_TEMPLATES.map((t) => ({ ...t, accountSid: DEMO_ACCOUNT_SID })),
    );
    await store.dlt.addWhitelist({
      accountSid: DEMO_ACCOUNT_SID,
      entityId: DEMO_ENTITY_ID,
      kind: 'url',
      value: 'https://acme.example/offer',
    });
    await seedDemoFlows(store);
  }
  mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return credentials;
}
