/**
 * The canvas at scale and from the keyboard: a flow of 200 applets opens and stays responsive
 * while one applet is dragged and edited; the Properties panel works without a mouse.
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
import { applet, signIn } from './helpers.ts';
import { startTestServer, type TestServer } from './server.ts';

const APPLETS = 200;

/** greeting1 → greeting2 → … → greeting199 → bye, on a 20-column grid. */
function bigFlow(): Record<string, unknown> {
  const applets: Record<string, unknown> = {};
  const layout: Record<string, { x: number; y: number }> = {};
  for (let i = 1; i < APPLETS; i++) {
    applets[`greeting${i}`] = {
      type: 'greeting',
      config: { text: `Step ${i} of the long flow.` },
      next: { default: i === APPLETS - 1 ? 'bye' : `greeting${i + 1}` },
    };
  }
  applets.bye = { type: 'hangup', config: {} };
  Object.keys(applets).forEach((id, i) => {
    layout[id] = { x: (i % 20) * 260, y: Math.floor(i / 20) * 200 };
  });
  return { name: 'Two hundred applets', start: 'greeting1', applets, layout };
}

async function apiPost(
  server: TestServer,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const auth = Buffer.from(`${server.demo.apiKey}:${server.demo.apiToken}`).toString('base64');
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

describeBrowser('the canvas', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let flowId: string;

  before(async () => {
    await ensureWebBuilt();
    server = await startTestServer();
    flowId = String((await apiPost(server, '/api/v1/flows', bigFlow())).id);
    browser = await launchChromium();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/flows`);
    await signIn(page, server.demo.apiKey, server.demo.apiToken);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test(`stays responsive with ${APPLETS} applets`, async () => {
    const opened = Date.now();
    await page.goto(`${server.url}/flows/${flowId}`);
    await page
      .locator('.react-flow__node')
      .nth(APPLETS - 1)
      .waitFor();
    const openMs = Date.now() - opened;
    assert.equal(await page.locator('.react-flow__node').count(), APPLETS);
    await page.getByRole('heading', { name: 'No errors' }).waitFor();
    await page.screenshot({ path: screenshotPath('14-builder-200-applets') });

    // Drag one applet a long way in small steps: every step is a frame to render.
    const node = applet(page, 'greeting45');
    const box = await node.boundingBox();
    assert.ok(box);
    const dragged = Date.now();
    await page.mouse.move(box.x + box.width / 2, box.y + 8);
    await page.mouse.down();
    for (let step = 1; step <= 40; step++)
      await page.mouse.move(box.x + box.width / 2 + step * 4, box.y + 8 + step * 2);
    await page.mouse.up();
    const dragMs = Date.now() - dragged;
    const moved = await node.boundingBox();
    assert.ok(moved && moved.x > box.x + 100, 'the applet followed the pointer');
    await page.getByRole('button', { name: 'Undo' }).and(page.locator(':enabled')).waitFor();

    // Typing in the Properties panel of one applet.
    await node.click();
    const text = page.getByRole('form', { name: 'Properties of greeting45' }).getByLabel('Text');
    const typed = Date.now();
    await text.pressSequentially(' And a little more text.', { delay: 0 });
    const typeMs = Date.now() - typed;
    await page.getByRole('button', { name: 'Apply' }).click();
    await applet(page, 'greeting45').getByText('And a little more text.').waitFor();

    console.log(
      `# ${APPLETS} applets: open ${openMs} ms, 40-step drag ${dragMs} ms, 24 keystrokes ${typeMs} ms`,
    );
    assert.ok(openMs < 10_000, `opening took ${openMs} ms`);
    assert.ok(dragMs < 4_000, `the drag took ${dragMs} ms`);
    assert.ok(typeMs < 4_000, `typing took ${typeMs} ms`);
  });

  test('Delete removes the clicked applet and its connections; undo brings them back', async () => {
    // The canvas renders only what is in view: fit the view before counting.
    const counted = async (selector: string, n: number) => {
      await page.locator('.react-flow__controls-fitview').click();
      await page.waitForFunction(
        ([sel, want]) => document.querySelectorAll(sel as string).length === want,
        [selector, n] as const,
      );
    };
    await counted('.react-flow__node', APPLETS);
    const edges = await page.locator('.react-flow__edge').count();
    await applet(page, 'greeting3').click();
    await page.getByRole('form', { name: 'Properties of greeting3' }).waitFor();
    await page.keyboard.press('Delete');
    await applet(page, 'greeting3').waitFor({ state: 'detached' });
    await counted('.react-flow__node', APPLETS - 1);
    // Its own exit and greeting2's exit into it are gone.
    await counted('.react-flow__edge', edges - 2);
    await page.keyboard.press('Control+z');
    await applet(page, 'greeting3').waitFor();
    await counted('.react-flow__edge', edges);
    await counted('.react-flow__node', APPLETS);
  });

  test('the Properties panel works from the keyboard', async () => {
    // Focus an applet, open it with Enter: the focus moves into the panel.
    await applet(page, 'greeting2').focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('form', { name: 'Properties of greeting2' });
    await panel.waitFor();
    const labelId = await panel.getByLabel(/^Label on the canvas/).getAttribute('id');
    await page.waitForFunction((id) => document.activeElement?.id === id, labelId);

    // Escape cancels: nothing changes, the focus returns to the applet.
    await page.keyboard.type('Discarded');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    await page.waitForFunction(
      () => document.activeElement?.getAttribute('data-id') === 'greeting2',
    );
    assert.equal(await applet(page, 'greeting2').getByText('Discarded').count(), 0);

    // Tab moves through the fields; Enter in a field applies.
    await page.keyboard.press('Enter');
    await panel.waitFor();
    await page.keyboard.type('Welcome');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'SELECT');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Hello from the keyboard.');
    await page.keyboard.press('Control+Enter');
    await panel.waitFor({ state: 'detached' });
    await applet(page, 'greeting2').getByText('Welcome').waitFor();
    await applet(page, 'greeting2').getByText('Hello from the keyboard.').waitFor();
  });
});
