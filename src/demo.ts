/**
 * The demo seed behind `npm start`: once per data directory, a demo account with a balance, a
 * DLT entity, header and templates for the guide's use cases. The demo API key and token are
 * kept in DATA_DIR/demo-credentials.json (readable by the owner only) so that every start can
 * print them; the store itself keeps only the token's hash.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccount } from './accounts.ts';
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

export interface DemoCredentials {
  accountSid: string;
  apiKey: string;
  apiToken: string;
}

/** Seeds the demo once; on later starts returns the saved credentials. */
export async function seedDemo(store: Store, opts: { dataDir: string }): Promise<DemoCredentials> {
  const file = join(opts.dataDir, 'demo-credentials.json');
  const existing = await store.accounts.get(DEMO_ACCOUNT_SID);
  if (existing && existsSync(file)) {
    return JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
  }
  let credentials: DemoCredentials;
  if (existing) {
    // The store was seeded but the credentials file is gone: issue a fresh key.
    const { issueApiKey } = await import('./api/plugins/auth.ts');
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
  }
  mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return credentials;
}
