/**
 * The operator's Carriers page in a real browser, against a real server with two SMPP carriers
 * (simulators on loopback): an account's credentials do not open it, an admin key does; it shows
 * each carrier's state, window, throughput and the last hour's delivery rate and time to delivery;
 * Disable stops a carrier taking messages and unbinds it, Enable binds it again.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { issueAdminKey } from '../../src/api/plugins/admin.ts';
import { CarrierSimulator } from '../../src/carriers/simulator.ts';
import { loadConfig } from '../../src/config.ts';
import { DEMO_ENTITY_ID, DEMO_SENDER_ID } from '../../src/demo.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { basicAuth } from '../api-helpers.ts';
import {
  type Browser,
  browserUnavailable,
  ensureWebBuilt,
  launchChromium,
  screenshotPath,
} from './chromium.ts';

const unavailable = browserUnavailable();
if (unavailable) console.log(`# skipping the browser tests: ${unavailable}`);

describe('the Carriers page', { skip: unavailable ?? false }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const sims: CarrierSimulator[] = [];
  let admin: { key: string; token: string };
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    dataDir = mkdtempSync(join(tmpdir(), 'callflow-browser-carriers-'));
    const carriers = [];
    for (const name of ['otp-agg', 'backup']) {
      const sim = new CarrierSimulator({
        systemId: 'acme',
        password: 'secret',
        receiptDelayMs: 150,
        rules: [],
      });
      const { port } = await sim.start();
      sims.push(sim);
      carriers.push({
        name,
        host: '127.0.0.1',
        port,
        systemId: 'acme',
        password: 'secret',
        // Room for every message the tests send at once: with no routes a message goes to the
        // first carrier with room in its window, so a full window would spill to the backup.
        window: name === 'otp-agg' ? 50 : 10,
        segmentsPerSecond: 200,
        reconnect: { minMs: 50, maxMs: 200 },
        ...(name === 'otp-agg' && {
          pricePaise: { transactional: 11, service: 11, promotional: 11 },
        }),
      });
    }
    const config = loadConfig({
      env: {},
      overrides: { port: 0, dataDir, logLevel: 'silent', carriers },
    });
    server = await startServer(config, { demo: true });
    const issued = await issueAdminKey(server.store, 'ops');
    admin = { key: issued.adminKey.key, token: issued.token };
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    for (const sim of sims) await sim.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function sendSms(count: number) {
    const demo = server.demo!;
    for (let i = 0; i < count; i++) {
      const res = await fetch(`${server.url}/api/v1/sms`, {
        method: 'POST',
        headers: {
          authorization: basicAuth(demo.apiKey, demo.apiToken),
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          to: `+9198765${String(i).padStart(5, '0')}`,
          senderId: DEMO_SENDER_ID,
          dltEntityId: DEMO_ENTITY_ID,
          dltTemplateId: '1107166000000000002',
          body: `Thanks for contacting Acme Corp. Your reference number is R${i}.`,
        }),
      });
      assert.equal(res.status, 202, await res.text());
    }
  }

  const row = (name: string) => page.locator(`tr[data-carrier="${name}"]`);
  const text = async (locator: Locator) => (await locator.textContent()) ?? '';

  test('an admin key opens it; an account key does not', async () => {
    await page.goto(`${server.url}/operator/carriers`);
    await page.getByLabel('Admin key').fill(server.demo!.apiKey);
    await page.getByLabel('Admin token').fill(server.demo!.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await text(page.getByRole('alert')), /UNAUTHORIZED/);
    await page.getByLabel('Admin key').fill(admin.key);
    await page.getByLabel('Admin token').fill(admin.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('table', { name: 'Carriers' }).waitFor();
    await row('otp-agg').locator('[data-field="state"]', { hasText: 'bound' }).waitFor();
    await row('backup').locator('[data-field="state"]', { hasText: 'bound' }).waitFor();
  });

  test('shows throughput, delivery rate and time to delivery', async () => {
    await sendSms(20);
    // No routes: failover in order, so the first carrier takes them.
    await row('otp-agg').locator('[data-field="delivery-rate"]', { hasText: '100.0 %' }).waitFor();
    await row('otp-agg').locator('[data-field="messages"]', { hasText: '20' }).waitFor();
    assert.match(await text(row('otp-agg').locator('[data-field="median"]')), /\d+ ms|\d\.\d s/);
    assert.equal(await text(row('otp-agg').locator('[data-field="limit"]')), '200/s');
    // 20 one-segment messages at 11 paise; what the accounts paid beside it.
    assert.equal(await text(row('otp-agg').locator('[data-field="cost"]')), '₹2.20');
    assert.match(await text(row('otp-agg').locator('[data-field="charged"]')), /^₹\d+\.\d\d$/);
    assert.match(await text(row('otp-agg').locator('[data-field="window"]')), /^\d+ \/ 50$/);
    assert.equal(await text(row('backup').locator('[data-field="delivery-rate"]')), '–');
    await page.screenshot({ path: screenshotPath('carriers-01-traffic'), fullPage: true });
  });

  test('Disable moves the traffic and unbinds the carrier; Enable binds it again', async () => {
    await page.getByRole('button', { name: 'Disable otp-agg' }).click();
    await row('otp-agg').locator('[data-field="state"]', { hasText: 'disabled' }).waitFor();
    const before = sims[0]!.received().length;
    await sendSms(10);
    await row('backup').locator('[data-field="messages"]', { hasText: '10' }).waitFor();
    assert.equal(sims[0]!.received().length, before, 'nothing sent to the disabled carrier');
    assert.equal(sims[1]!.received().length, 10);
    await page.screenshot({ path: screenshotPath('carriers-02-disabled'), fullPage: true });

    await page.getByRole('button', { name: 'Enable otp-agg' }).click();
    await row('otp-agg').locator('[data-field="state"]', { hasText: 'bound' }).waitFor();
    await page.screenshot({ path: screenshotPath('carriers-03-enabled'), fullPage: true });
  });

  test("the account's Reports page shows delivery by carrier", async () => {
    await page.goto(`${server.url}/reports`);
    await page.getByLabel('API key').fill(server.demo!.apiKey);
    await page.getByLabel('API token').fill(server.demo!.apiToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const table = page.getByRole('table', { name: 'By carrier' });
    await table
      .locator('tr[data-carrier="otp-agg"] [data-field="delivery-rate"]', { hasText: '100.0%' })
      .waitFor();
    await table.locator('tr[data-carrier="backup"]').waitFor();
    await page.screenshot({ path: screenshotPath('carriers-04-reports'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
