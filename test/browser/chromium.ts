/**
 * Browser-test plumbing: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * a fresh profile per run, and web/dist built when it is missing.
 *
 * Without /usr/bin/chromium each browser suite is registered as a skipped test that says why,
 * unless CALLFLOW_REQUIRE_BROWSER=1 (CI), when they fail.
 */

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS = join(REPO, 'test-results');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

/** Why the browser tests cannot run here, or null when they can. Throws when they must. */
export function browserUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const message = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser tests (CALLFLOW_REQUIRE_BROWSER=1 makes this a failure)`;
  if (process.env.CALLFLOW_REQUIRE_BROWSER === '1')
    throw new Error(`CALLFLOW_REQUIRE_BROWSER=1 but ${message}`);
  return message;
}

/**
 * Declares a browser suite: with `describe` when Chromium is here, otherwise as one skipped test
 * under the same name that says why (a skipped `describe` would not be counted).
 */
export function describeBrowser(title: string, body: () => void): void {
  const unavailable = browserUnavailable();
  if (unavailable === null) describe(title, body);
  else test(title, { skip: unavailable }, () => {});
}

/**
 * Builds web/dist with Vite unless it is already built. Test files run in parallel: one builds
 * (holding a lock directory), the others wait for it.
 */
export async function ensureWebBuilt(): Promise<void> {
  const index = join(REPO, 'web', 'dist', 'index.html');
  if (existsSync(index)) return;
  const lock = join(
    tmpdir(),
    `callflow-web-build-${createHash('sha256').update(REPO).digest('hex').slice(0, 12)}`,
  );
  // A lock left by a killed run is not waited for.
  if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000)
    rmSync(lock, { recursive: true, force: true });
  try {
    mkdirSync(lock);
  } catch {
    for (let waited = 0; waited < 120_000 && existsSync(lock); waited += 200) await sleep(200);
    if (existsSync(index)) return;
    throw new Error('another test process was building web/dist and did not finish');
  }
  try {
    const { build } = await import('vite');
    await build({ configFile: join(REPO, 'web', 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium's own fake microphone (a beep) with its permission prompt answered yes. */
export const FAKE_MICROPHONE = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
];

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'callflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...extraArgs],
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where screenshots go (test-results/, ignored by git). */
export function screenshotPath(name: string): string {
  mkdirSync(RESULTS, { recursive: true });
  return join(RESULTS, `${name}.png`);
}
