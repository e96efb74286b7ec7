/**
 * What a new user meets first in the Flow Builder: an empty flow says what to do and shows no
 * error until there is something to check; the minimap stays clear of the Properties panel; the
 * SMS counter says what keeping characters whole across parts would cost.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  type Browser,
  describeBrowser,
  ensureWebBuilt,
  launchChromium,
  screenshotPath,
} from './chromium.ts';
import { dropApplet, openApplet, signIn } from './helpers.ts';
import { startTestServer, type TestServer } from './server.ts';

/** Whether two boxes on the page overlap. */
async function overlap(a: Locator, b: Locator): Promise<boolean> {
  const [x, y] = await Promise.all([a.boundingBox(), b.boundingBox()]);
  assert.ok(x && y, 'both boxes are on the page');
  return x.x < y.x + y.width && y.x < x.x + x.width && x.y < y.y + y.height && y.y < x.y + x.height;
}

describeBrowser('first steps in the Flow Builder', () => {
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
    await page.goto(`${server.url}/flows`);
    await signIn(page, server.demo.apiKey, server.demo.apiToken);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('an empty flow says what to do, and shows no error until there is an applet', async () => {
    await page.getByRole('button', { name: 'New flow' }).click();
    await page.waitForURL(/\/flows\/new$/);
    const guidance = page.getByTestId('canvas-empty');
    await guidance.waitFor();
    assert.match(
      (await guidance.textContent()) ?? '',
      /Drag an applet from the palette.*the first one you add is where calls start/s,
    );
    await page.screenshot({ path: screenshotPath('first-steps-01-empty-flow') });
    assert.equal(await page.getByText('FLOW_INVALID').count(), 0);
    assert.equal(await page.getByText(/fewer than 1 characters/).count(), 0);
    assert.equal(await page.getByTestId('validation-list').count(), 0);

    await dropApplet(page, 'greeting', 200, 120);
    await page.locator('.react-flow__node').first().waitFor();
    assert.equal(await guidance.count(), 0, 'the guidance goes once there is an applet');
    await page.getByRole('heading', { name: /No errors|error/ }).waitFor();
    await page.screenshot({ path: screenshotPath('first-steps-02-first-applet') });
    assert.deepEqual(pageErrors, []);
  });

  test('the minimap stays clear of the open Properties panel', async () => {
    await dropApplet(page, 'sms', 300, 320);
    const minimap = page.locator('.react-flow__minimap');
    await minimap.waitFor();
    // A wide screen leaves the canvas room for it beside the panel.
    let panel = await openApplet(page, 'sms1');
    await minimap.waitFor();
    assert.equal(await overlap(minimap, panel), false, 'the minimap is under the panel');
    assert.equal(await overlap(minimap, page.getByTestId('canvas')), true);
    await page.screenshot({ path: screenshotPath('first-steps-03-panel-open-wide') });
    await panel.getByRole('button', { name: 'Cancel' }).click();

    // On a small screen the open panel leaves the canvas too narrow: the minimap hides, and comes
    // back when the panel closes.
    await page.setViewportSize({ width: 1024, height: 700 });
    await minimap.waitFor();
    panel = await openApplet(page, 'sms1');
    await minimap.waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('first-steps-04-panel-open-narrow') });
    await panel.getByRole('button', { name: 'Cancel' }).click();
    await minimap.waitFor();
    const [box, canvas] = await Promise.all([
      minimap.boundingBox(),
      page.getByTestId('canvas').boundingBox(),
    ]);
    assert.ok(box && canvas && box.x >= canvas.x, 'the minimap stays inside the canvas');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  test('the SMS counter says what keeping characters whole would cost', async () => {
    const panel = await openApplet(page, 'sms1');
    const body = panel.getByLabel('Message body', { exact: true });
    // क्ष straddles units 67 and 68: two segments cut inside it, three when it moves whole.
    await body.fill(`${'a'.repeat(65)}क्ष${'a'.repeat(66)}`);
    assert.equal(await panel.getByTestId('sms-segments').textContent(), '2');
    const note = panel.getByTestId('sms-grapheme-split');
    await note.waitFor();
    assert.match((await note.textContent()) ?? '', /would take 3 segments/);
    await note.scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('first-steps-05-sms-counter') });
    await body.fill('We missed your call.');
    assert.equal(await note.count(), 0, 'no note when both splits agree');
    assert.deepEqual(pageErrors, []);
  });
});
