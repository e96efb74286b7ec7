// `callbacks.allowList` as a user sets it: the server honours it on every outbound path
// (sendSms's accept-time check, Passthru, the status-callback dispatcher), and refuses an internal
// address it does not list.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { DEMO_ENTITY_ID, DEMO_SENDER_ID, DEMO_TEMPLATES } from '../src/demo.ts';
import type { FlowDocument } from '../src/flows/types.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { eventually } from './carrier-helpers.ts';

interface Listener {
  url: string;
  requests: { method: string; url: string; body: string }[];
  server: Server;
}

/** An HTTP listener on a loopback address that records what it receives. */
async function listen(host: string): Promise<Listener> {
  const requests: Listener['requests'] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}`, requests, server };
}

describe('callbacks.allowList', () => {
  let dataDir: string;
  let server: RunningServer;
  let allowed: Listener;
  let other: Listener;
  let auth: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callflow-allow-list-'));
    allowed = await listen('127.0.0.1');
    // Loopback too, but not on the list: it must stay refused.
    other = await listen('127.0.0.2');
    const config = loadConfig({
      env: {},
      overrides: {
        port: 0,
        dataDir,
        logLevel: 'silent',
        'simulator.receiptDelayMs': 50,
        'simulator.deliveredRatio': 1,
        'delivery.pollMs': 50,
        'callbacks.allowList': ['127.0.0.1'],
      },
    });
    server = await startServer(config, { demo: true });
    const demo = server.demo!;
    auth = `Basic ${Buffer.from(`${demo.apiKey}:${demo.apiToken}`).toString('base64')}`;
  });

  after(async () => {
    await server.stop();
    await Promise.all(
      [allowed, other].map((l) => new Promise((resolve) => l.server.close(resolve))),
    );
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = (statusCallback: string) =>
    server.app!.inject({
      method: 'POST',
      url: '/api/v1/sms',
      headers: { authorization: auth },
      payload: {
        to: '+919812345678',
        senderId: DEMO_SENDER_ID,
        body: 'Thanks for contacting Acme Corp. Your reference number is AB12.',
        dltTemplateId: DEMO_TEMPLATES[1]!.templateId,
        dltEntityId: DEMO_ENTITY_ID,
        statusCallback,
      },
    });

  test('a status callback to an allowed IP literal is accepted, and the dispatcher POSTs it', async () => {
    const res = await send(`${allowed.url}/status`);
    assert.equal(res.statusCode, 202, res.body);
    const sid = res.json().sid as string;
    await eventually(
      () => allowed.requests.some((r) => r.url === '/status' && r.body.includes(sid)),
      20_000,
      'the callback reached the allow-listed listener',
    );
    const callback = allowed.requests.find((r) => r.url === '/status')!;
    assert.equal(callback.method, 'POST');
  });

  test('a status callback to an internal address off the list is refused when sent', async () => {
    const res = await send(`${other.url}/status`);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, 'CALLBACK_URL_BLOCKED');
  });

  test('Passthru reaches an allowed address and not one off the list', async () => {
    const flows = server.flows!;
    const passthruTo = (url: string): FlowDocument => ({
      name: 'Passthru allow list',
      start: 'hook',
      applets: {
        hook: {
          type: 'passthru',
          config: { url },
          next: { success: 'ok', failure: 'failed' },
        },
        ok: { type: 'hangup', config: {} },
        failed: { type: 'hangup', config: {} },
      },
    });
    const call = async (url: string, exophone: string) => {
      const flow = await flows.createFlow('demo', { document: passthruTo(url) });
      await flows.publish('demo', flow.id);
      await flows.assignNumber('demo', exophone, flow.id);
      const started = await flows.startCall('demo', { from: '+919812345678', to: exophone });
      const log = await started.done;
      return log.steps.find((s) => s.appletId === 'hook')?.exit;
    };
    assert.equal(await call(`${allowed.url}/hook`, '+918045678911'), 'success');
    assert.ok(allowed.requests.some((r) => r.url.startsWith('/hook')));
    assert.equal(await call(`${other.url}/hook`, '+918045678912'), 'failure');
    assert.equal(other.requests.length, 0, 'nothing reached the listener off the list');
  });
});
