/**
 * The product guide's missed-call alert, built in a real browser from an empty canvas: drag and
 * drop the applets, connect their exits, configure the SMS applet while watching the segment
 * counter and the live DLT check, save, publish, place a test call nobody answers and see the SMS
 * delivered; then export the CSV report, and take a screenshot of every page on the way.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  type Browser,
  describeBrowser,
  ensureWebBuilt,
  launchChromium,
  screenshotPath,
} from './chromium.ts';
import { applet, connectExit, dropApplet, openApplet, signIn } from './helpers.ts';
import { startTestServer, type TestServer } from './server.ts';

describeBrowser('missed-call alert in the Flow Builder', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    server = await startTestServer();
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('sign-in guards every page', async () => {
    await page.goto(`${server.url}/flows`);
    await page.waitForURL(/\/signin\?next=%2Fflows$/);
    await page.screenshot({ path: screenshotPath('01-sign-in') });
    await page.getByLabel('API key').fill(server.demo.apiKey);
    await page.getByLabel('API token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHORIZED' }).waitFor();
    await signIn(page, server.demo.apiKey, server.demo.apiToken);
    await page.waitForURL(/\/flows$/);
    await page.getByRole('heading', { name: 'Flows' }).waitFor();
    await page.screenshot({ path: screenshotPath('02-flows') });
  });

  test('builds the flow from an empty canvas by drag and drop', async () => {
    await page.getByRole('button', { name: 'New flow' }).click();
    await page.waitForURL(/\/flows\/new$/);
    await page.locator('.palette-item').first().waitFor();
    assert.equal(await page.locator('.palette-item').count(), 6);

    await dropApplet(page, 'greeting', 140, 40);
    await dropApplet(page, 'connect', 140, 210);
    await dropApplet(page, 'sms', 360, 380);
    await dropApplet(page, 'hangup', 140, 560);
    assert.equal(await page.locator('.react-flow__node').count(), 4);

    await connectExit(page, 'greeting1', 'default', 'connect1');
    for (const exit of ['no-answer', 'busy', 'failed'])
      await connectExit(page, 'connect1', exit, 'sms1');
    await connectExit(page, 'connect1', 'completed', 'hangup1');
    await connectExit(page, 'sms1', 'default', 'hangup1');
    assert.equal(await page.locator('.react-flow__edge').count(), 6);

    // Undo takes the last connection away, redo brings it back.
    await page.keyboard.press('Control+z');
    assert.equal(await page.locator('.react-flow__edge').count(), 5);
    await page.keyboard.press('Control+Shift+z');
    assert.equal(await page.locator('.react-flow__edge').count(), 6);

    const connect = await openApplet(page, 'connect1');
    await connect.getByRole('button', { name: 'Add number' }).click();
    await connect.getByLabel('Number 1', { exact: true }).fill('+919812345678');
    await connect.getByLabel('Ring seconds (optional)').fill('5');
    await connect.getByRole('button', { name: 'Apply' }).click();
    await applet(page, 'connect1').getByText('+919812345678').waitFor();
  });

  test('configures the SMS applet: counter, GSM-7 suggestion, DLT mismatch turning into a match', async () => {
    const panel = await openApplet(page, 'sms1');
    await panel.getByLabel('Sender ID').selectOption({ index: 1 });
    assert.match(
      (await panel.getByLabel('Sender ID').locator('option:checked').textContent()) ?? '',
      /^ACMECO · /,
    );
    await panel.getByLabel('DLT template', { exact: true }).selectOption({ index: 1 });
    await panel.getByTestId('template-text').getByText('We missed your call').waitFor();
    assert.match(await panel.getByLabel('DLT entity ID').inputValue(), /^\d{12,19}$/);

    const segments = panel.getByTestId('sms-segments');
    const verdict = panel.getByTestId('dlt-check');
    const body = panel.getByLabel('Message body', { exact: true });
    // A curly apostrophe makes the whole message UCS-2: 83 characters need 2 segments of 67.
    await body.fill(
      'We missed your call. We’ll call you back soon, as soon as an agent is free. - Acme',
    );
    assert.equal(await panel.getByTestId('sms-encoding').textContent(), 'UCS-2');
    assert.equal(await segments.textContent(), '2');
    assert.equal(await verdict.getAttribute('data-verdict'), 'never');
    await verdict.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('03-sms-applet-mismatch') });

    await panel.getByRole('button', { name: /Replace with/ }).click();
    assert.equal(await panel.getByTestId('sms-encoding').textContent(), 'GSM-7');
    assert.equal(await segments.textContent(), '1');

    await panel.getByRole('button', { name: 'Fill from template' }).click();
    await page.keyboard.type('{CallTo}');
    assert.equal(await verdict.getAttribute('data-verdict'), 'always');
    assert.match(await body.inputValue(), /^We missed your call to \{CallTo\}\./);
    await page.screenshot({ path: screenshotPath('04-sms-applet-match') });
    await panel.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('heading', { name: 'No errors' }).waitFor();
    await page.screenshot({ path: screenshotPath('05-builder') });
  });

  test('saves, publishes, and a test call nobody answers delivers the SMS', async () => {
    await page.getByLabel('Flow name').fill('Missed call alert');
    await page.getByLabel('Flow name').press('Enter');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/flows\/[0-9a-f]+$/);
    await page.getByTestId('flow-status').getByText('Version 1').waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByTestId('flow-status').getByText('v1 live').waitFor();

    await page.getByRole('button', { name: 'Test call' }).click();
    const panel = page.getByRole('complementary', { name: 'Test call' });
    await panel.getByLabel('New ExoPhone').fill('+914412345678');
    await panel.getByRole('button', { name: 'Add and assign' }).click();
    await panel.getByText('ExoPhone +914412345678').waitFor();
    await panel.getByLabel('The agent').selectOption('no-answer');
    await panel.getByRole('button', { name: 'Place test call' }).click();

    await panel.getByTestId('call-ended').waitFor();
    for (const id of ['greeting1', 'connect1', 'sms1', 'hangup1']) {
      assert.match(
        String(await applet(page, id).locator('.applet-node').getAttribute('class')),
        /run-visited/,
      );
    }
    await panel
      .locator('[data-testid="test-sms-status"] [data-status="delivered"]')
      .waitFor({ timeout: 15_000 });
    assert.match(
      (await panel.getByTestId('test-sms').textContent()) ?? '',
      /queued → sending → submitted → delivered/,
    );
    await page.screenshot({ path: screenshotPath('06-test-call') });
  });

  test('the call, its SMS and the reports, with a CSV export of the filter', async () => {
    await page.getByRole('link', { name: 'Calls' }).click();
    await page
      .getByRole('table', { name: 'Calls' })
      .locator('tbody tr')
      .first()
      .getByRole('link')
      .first()
      .click();
    await page
      .getByRole('list', { name: 'Applets the call passed' })
      .getByText('connect1')
      .waitFor();
    await page.screenshot({ path: screenshotPath('07-call') });

    await page.getByRole('link', { name: 'SMS', exact: true }).click();
    const rows = page.getByRole('table', { name: 'Messages' }).locator('tbody tr');
    await rows.first().waitFor();
    await page.screenshot({ path: screenshotPath('08-sms') });
    await rows.first().getByRole('link').first().click();
    await page.getByRole('list', { name: 'Status transitions' }).getByText('delivered').waitFor();
    await page.screenshot({ path: screenshotPath('09-sms-detail') });

    await page.goto(`${server.url}/reports?status=delivered`);
    await page.getByTestId('report-total').getByText('1').waitFor();
    await page.screenshot({ path: screenshotPath('10-reports') });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click(),
    ]);
    const stream = await download.createReadStream();
    let csv = '';
    for await (const chunk of stream) csv += chunk;
    assert.match(download.url(), /\/api\/v1\/reports\/sms\.csv\?status=delivered$/);
    assert.match(csv, /We missed your call to \+914412345678/);
  });

  test('the registry, DND and account pages', async () => {
    for (const [path, heading, shot] of [
      ['/dlt', 'DLT registry', '11-dlt'],
      ['/dnd', 'DND', '12-dnd'],
      ['/account', 'Account', '13-account'],
    ] as const) {
      await page
        .getByRole('link', { name: heading === 'DLT registry' ? 'DLT' : heading, exact: true })
        .click();
      await page.waitForURL(new RegExp(`${path}$`));
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.screenshot({ path: screenshotPath(shot), fullPage: true });
    }
    await page.getByTestId('balance').waitFor();
    assert.deepEqual(pageErrors, []);
  });
});
