/**
 * docs/api.md is a guided tour that must stay true: every ```sh block preceded by
 * `<!-- test -->` (or `<!-- test expect='TEXT' -->`) runs with `sh -e` against a live server, with
 * $CF, $KEY, $TOKEN and $SID set, and must exit 0 (and print TEXT). The Exotel status table in the
 * page must equal the one in the code.
 */

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { issueApiKey } from '../src/accounts.ts';
import { buildApp } from '../src/api/app.ts';
import { exotelStatusMarkdown } from '../src/delivery/exotel-status.ts';
import { createSender } from '../src/delivery/send.ts';
import { createTestAccount, openTestStore, type TestStore } from '../src/store/testing.ts';

const run = promisify(execFile);
const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');

interface Example {
  line: number;
  script: string;
  expect: string | null;
}

/** The marked examples of the page, with the line each starts on. */
function markedExamples(markdown: string): Example[] {
  const out: Example[] = [];
  const marker = /<!-- test(?: expect='([^']*)')? -->\r?\n```sh\r?\n([\s\S]*?)\r?\n```/g;
  for (const m of markdown.matchAll(marker)) {
    out.push({
      line: markdown.slice(0, m.index).split('\n').length,
      script: m[2]!,
      expect: m[1] ?? null,
    });
  }
  return out;
}

const examples = markedExamples(doc);

describe('docs/api.md', () => {
  let t: TestStore;
  let app: FastifyInstance;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    // The server's own clock: the examples run in real time.
    t = await openTestStore('sqlite');
    const clock = () => new Date();
    app = await buildApp({
      store: t.store,
      sender: createSender({ store: t.store, clock }),
      clock,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    // The registry the page's examples use.
    const account = await createTestAccount(t.store);
    const accountSid = account.sid;
    const entityId = '1101166000000000001';
    await t.store.dlt.upsertEntity({
      accountSid,
      entityId,
      name: 'Acme Retail',
      status: 'active',
      tmChain: [],
    });
    await t.store.dlt.upsertHeader({
      accountSid,
      entityId,
      senderId: 'ACMECO',
      smsType: 'transactional',
      status: 'active',
    });
    await t.store.dlt.upsertTemplate({
      accountSid,
      entityId,
      templateId: '1107166000000000001',
      name: 'otp',
      content: 'Your OTP is {#numeric#}. Do not share it.',
      category: 'transactional',
      status: 'approved',
      senderIds: ['ACMECO'],
    });
    const { apiKey, token } = await issueApiKey(t.store, account.sid, 'docs');
    const { port } = app.server.address() as AddressInfo;
    env = {
      PATH: process.env.PATH,
      CF: `http://127.0.0.1:${port}`,
      KEY: apiKey.key,
      TOKEN: token,
      SID: account.sid,
    };
  });

  after(async () => {
    await app?.close();
    await t?.cleanup();
  });

  it('has examples marked for testing', () => {
    assert.ok(examples.length >= 6, `only ${examples.length} marked examples`);
  });

  for (const example of examples) {
    it(`runs the example on line ${example.line}`, async () => {
      let result: { stdout: string; stderr: string };
      try {
        result = await run('sh', ['-e', '-c', example.script], { env, timeout: 10_000 });
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        assert.fail(`exit ${e.code}\n${e.stdout}\n${e.stderr}`);
      }
      if (example.expect !== null) {
        assert.ok(
          result.stdout.includes(example.expect),
          `expected ${example.expect} in:\n${result.stdout}`,
        );
      }
    });
  }

  it('prints the Exotel status table of the code', () => {
    assert.ok(doc.includes(exotelStatusMarkdown()), 'regenerate it from exotelStatusMarkdown()');
  });
});
