/** Steps the browser tests share: signing in, dropping applets, connecting exits, opening panels. */

import type { Locator, Page } from 'playwright-core';
import { screenshotPath } from './chromium.ts';

export async function signIn(page: Page, key: string, token: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('nav[aria-label="Main"]').waitFor();
}

export function applet(page: Page, id: string): Locator {
  return page.locator(`.react-flow__node[data-id="${id}"]`);
}

/** Drags an applet type from the palette and drops it at a point of the canvas. */
export async function dropApplet(page: Page, type: string, x: number, y: number): Promise<void> {
  await page
    .locator(`[data-applet-type="${type}"]`)
    .dragTo(page.getByTestId('canvas'), { targetPosition: { x, y } });
}

/**
 * Drags from an applet's exit handle to another applet's input, as a user does, and waits for the
 * edge. A drag the page missed (the browser starved of CPU on a loaded machine lets the pointer
 * events outrun React Flow's connection start) is made again, up to three times; the edge must
 * appear in the end.
 */
export async function connectExit(
  page: Page,
  from: string,
  exit: string,
  to: string,
): Promise<void> {
  const edge = page.locator(`.react-flow__edge[aria-label="${from} ${exit} to ${to}"]`);
  for (let attempt = 1; ; attempt++) {
    const source = await applet(page, from).locator(`[data-exit="${exit}"]`).boundingBox();
    const target = await applet(page, to).locator('.applet-handle-in').boundingBox();
    if (!source || !target) throw new Error(`cannot see ${from}:${exit} or ${to}`);
    await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
    await page.mouse.down();
    await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, {
      steps: 8,
    });
    await page.mouse.up();
    try {
      await edge.waitFor({ timeout: attempt < 3 ? 1500 : 5000 });
      return;
    } catch (error) {
      // What the page showed, for a failure that shows up in CI.
      await page.screenshot({ path: screenshotPath(`connect-missed-${from}-${exit}-${attempt}`) });
      if (attempt >= 3) throw error;
      // Cancels a drag the browser may still think is going on (Playwright: Escape first ends an
      // ongoing drag), which would swallow the next pointer events.
      await page.keyboard.press('Escape');
    }
  }
}

export async function openApplet(page: Page, id: string): Promise<Locator> {
  await applet(page, id).click();
  const panel = page.getByRole('form', { name: `Properties of ${id}` });
  await panel.waitFor();
  return panel;
}
