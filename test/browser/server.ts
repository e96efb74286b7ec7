/**
 * The real callflow server for the browser tests: `startServer` on a free port with a fresh data
 * directory, the demo account and registry seeded, and the carrier simulator delivering every
 * message after a short delay.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import type { DemoCredentials } from '../../src/demo.ts';
import { startServer } from '../../src/server.ts';

export interface TestServer {
  url: string;
  demo: DemoCredentials;
  stop(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-browser-'));
  const config = loadConfig({
    env: {},
    overrides: {
      port: 0,
      dataDir,
      logLevel: 'silent',
      // These tests take no real calls.
      'sip.enabled': false,
      'simulator.receiptDelayMs': 300,
      'simulator.deliveredRatio': 1,
    },
  });
  const server = await startServer(config, { demo: true });
  if (server.url === null || server.demo === null)
    throw new Error('the server did not start its HTTP API');
  return {
    url: server.url,
    demo: server.demo,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
