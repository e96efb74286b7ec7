/**
 * "Call from this browser" in the Builder's Test call panel, end to end: Debian's Chromium with
 * its fake microphone places a WebRTC call through rtpengine to an IVR on a real callflow (SIP
 * and media on), hears the prompt (getStats: audio packets with a level above zero), answers the
 * IVR with the on-screen keypad and the computer's keys (RFC 4733 from RTCDTMFSender), and sees
 * the SMS with the digits reach the carrier simulator and the panel. Hang-up from the page and
 * from the flow's Hangup applet leave no rtpengine session and no open peer connection; the
 * signalling refuses a request without a session and another account's session.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createAccount } from '../../src/accounts.ts';
import type { FlowDocument } from '../../src/flows/types.ts';
import { eventually } from '../carrier-helpers.ts';
import { type CallflowUnderTest, startCallflow } from '../sip/helpers.ts';
import {
  type Browser,
  browserUnavailable,
  ensureWebBuilt,
  FAKE_MICROPHONE,
  launchChromium,
  screenshotPath,
} from './chromium.ts';
import { applet, signIn } from './helpers.ts';
import { startTestServer } from './server.ts';

const unavailable =
  browserUnavailable() ??
  (existsSync('/usr/bin/rtpengine')
    ? null
    : 'rtpengine is missing (apt-get install rtpengine-daemon)');
if (unavailable) console.log(`# skipping the browser call tests: ${unavailable}`);

const IVR_NUMBER = '+918045678921';
const CALLER = '+919876500021';
const PROMPT =
  'Please enter your order number, then press the hash key. We will send you a reference by SMS.';

const IVR_FLOW: FlowDocument = {
  name: 'Order by phone',
  start: 'order',
  applets: {
    order: {
      type: 'ivr',
      config: {
        mode: 'gather',
        prompt: { text: PROMPT },
        maxDigits: 8,
        finishOnKey: '#',
        timeoutSeconds: 10,
        retries: 0,
      },
      next: { default: 'reference', timeout: 'bye' },
    },
    reference: {
      type: 'sms',
      config: {
        to: { kind: 'caller' },
        senderId: 'ACMECO',
        body: 'Thanks for contacting Acme Corp. Your reference number is {Digits}.',
        dltTemplateId: '1107166000000000002',
        dltEntityId: '1101166000000000001',
        smsType: 'transactional',
      },
      next: { default: 'bye' },
    },
    bye: { type: 'hangup', config: {} },
  },
  layout: {
    order: { x: 0, y: 0 },
    reference: { x: 0, y: 200 },
    bye: { x: 0, y: 400 },
  },
} as FlowDocument;

/** Every RTCPeerConnection the page makes, kept where the test can read its stats and state. */
const RECORD_PEERS = `(() => {
  const Original = window.RTCPeerConnection;
  window.__peers = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) { super(...args); window.__peers.push(this); }
  };
})();`;

interface AudioIn {
  packetsReceived: number;
  audioLevel: number;
}

async function audioIn(page: Page): Promise<AudioIn | undefined> {
  return page.evaluate(async () => {
    const peers = (window as unknown as { __peers: RTCPeerConnection[] }).__peers;
    const peer = peers[peers.length - 1];
    if (!peer || peer.signalingState === 'closed') return undefined;
    let found: { packetsReceived: number; audioLevel: number } | undefined;
    (await peer.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio')
        found = {
          packetsReceived: Number(s.packetsReceived ?? 0),
          audioLevel: Number(s.audioLevel ?? 0),
        };
    });
    return found;
  });
}

/** A TLS-terminating reverse proxy with a throwaway self-signed certificate, as a deployment has. */
async function startTlsProxy(target: string): Promise<{ port: number; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'callflow-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=callflow.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const upstream = new URL(target);
  const server = createHttpsServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (request, response) => {
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', () => response.destroy());
      request.pipe(forwarded);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPeers(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      (window as unknown as { __peers: RTCPeerConnection[] }).__peers.filter(
        (p) => p.signalingState !== 'closed',
      ).length,
  );
}

describe('a test call from the browser', { skip: unavailable ?? false }, () => {
  let callflow: CallflowUnderTest;
  let browser: Browser;
  let page: Page;
  let flowId: string;
  let url: string;
  const pageErrors: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    callflow = await startCallflow();
    url = callflow.server.url!;
    const flows = callflow.server.flows!;
    const accountSid = callflow.server.demo!.accountSid;
    const flow = await flows.createFlow(accountSid, { document: IVR_FLOW });
    await flows.publish(accountSid, flow.id);
    await flows.assignNumber(accountSid, IVR_NUMBER, flow.id);
    flowId = flow.id;
    browser = await launchChromium(FAKE_MICROPHONE);
    await browser.context.addInitScript({ content: RECORD_PEERS });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${url}/flows/${flowId}`);
    await signIn(page, callflow.server.demo!.apiKey, callflow.server.demo!.apiToken);
    await page.goto(`${url}/flows/${flowId}`);
    await page.getByTestId('flow-status').getByText('v1 live').waitFor();
  });

  after(async () => {
    await browser?.close();
    await callflow?.stop();
  });

  async function nothingLeft(): Promise<void> {
    await eventually(
      async () => (await callflow.server.sip!.media.sessions()).length === 0,
      10_000,
      'no rtpengine session',
    );
    await eventually(async () => (await openPeers(page)) === 0, 10_000, 'no open peer connection');
    assert.equal(callflow.server.sip!.browser.active(), 0);
  }

  async function placeCall() {
    const panel = page.getByRole('complementary', { name: 'Test call' });
    if (!(await panel.isVisible())) await page.getByRole('button', { name: 'Test call' }).click();
    const section = panel.getByRole('region', { name: 'Call from this browser' });
    await section.getByLabel('Your number (optional)').fill(CALLER);
    await section.getByRole('button', { name: 'Call from this browser' }).click();
    await section.getByTestId('browser-call-live').waitFor();
    return { panel, section };
  }

  test('hears the IVR, answers it with the keypad and the keyboard, gets the SMS; the flow hangs up', async () => {
    const { panel, section } = await placeCall();

    // The prompt plays: packets arrive and are not silence.
    const heard = await eventually(
      async () => {
        const stats = await audioIn(page);
        return stats && stats.packetsReceived > 25 && stats.audioLevel > 0 ? stats : undefined;
      },
      15_000,
      'audible prompt audio in getStats()',
    );
    assert.ok(heard.audioLevel > 0);
    // The canvas lights the IVR while it listens.
    await eventually(
      async () =>
        /run-active/.test(
          String(await applet(page, 'order').locator('.applet-node').getAttribute('class')),
        ),
      10_000,
      'the IVR lit as active',
    );
    await page.screenshot({ path: screenshotPath('browser-call-live') });

    // Two keys on screen, two from the keyboard (the finish key among them).
    await section.getByRole('button', { name: 'Key 4' }).click();
    await section.getByRole('button', { name: 'Key 2' }).click();
    await page.keyboard.press('7');
    await page.keyboard.press('#');

    const sms = await eventually(
      () =>
        callflow.server.simulator!.received().find((s) => s.destinationAddr === CALLER.slice(1)),
      20_000,
      'the SMS at the carrier simulator',
    );
    assert.match(sms.text, /Your reference number is 427\./);

    // The flow's Hangup applet ends the call on the page too.
    await section.getByRole('status').filter({ hasText: 'The flow ended the call.' }).waitFor();
    await panel
      .locator('[data-testid="test-sms-status"] [data-status="delivered"]')
      .waitFor({ timeout: 20_000 });
    assert.match((await panel.getByTestId('test-sms').textContent()) ?? '', /427/);
    // The saved call (its log complete) replaces the live one once the flow's end is stored.
    await panel.getByTestId('call-ended').filter({ hasText: 'hangup-applet' }).waitFor();
    for (const id of ['order', 'reference', 'bye']) {
      assert.match(
        String(await applet(page, id).locator('.applet-node').getAttribute('class')),
        /run-visited/,
      );
    }
    await page.screenshot({ path: screenshotPath('browser-call-ended') });
    await nothingLeft();

    const calls = await callflow.server.flows!.listCalls(
      callflow.server.demo!.accountSid,
      { flowId },
      null,
      10,
    );
    const call = calls.items[0]!;
    assert.equal(call.status, 'completed');
    assert.equal(call.endReason, 'hangup-applet');
    assert.equal(call.from, CALLER);
    assert.equal(call.origin?.kind, 'browser');
    // Chromium lists PCMU before PCMA: the call is answered with PCMU.
    assert.equal(call.origin.codec, 'PCMU');
    assert.deepEqual(pageErrors, []);
  });

  test('hang-up from the page ends the call on both sides; another account and no session are refused', async () => {
    const { section } = await placeCall();
    await eventually(
      async () => ((await audioIn(page))?.packetsReceived ?? 0) > 10,
      15_000,
      'audio flowing',
    );
    const callSid = await eventually(
      async () =>
        (
          await callflow.server.flows!.listCalls(
            callflow.server.demo!.accountSid,
            { status: 'in-progress' },
            null,
            5,
          )
        ).items[0]?.sid,
      5000,
      'the call in progress',
    );

    // Signed out: refused.
    const anonymous = await fetch(`${url}/api/v1/browser-calls/${callSid}/hangup`, {
      method: 'POST',
      headers: { 'x-requested-with': 'callflow-web' },
    });
    assert.equal(anonymous.status, 401);
    const anonymousOffer = await fetch(`${url}/api/v1/browser-calls`, {
      method: 'POST',
      headers: { 'x-requested-with': 'callflow-web', 'content-type': 'application/json' },
      body: JSON.stringify({ to: IVR_NUMBER, offer: 'v=0' }),
    });
    assert.equal(anonymousOffer.status, 401);

    // Another account's session: the call and the ExoPhone do not exist for it.
    const other = await createAccount(callflow.server.store, { name: 'Other Co', balancePaise: 0 });
    const signedIn = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'x-requested-with': 'callflow-web', 'content-type': 'application/json' },
      body: JSON.stringify({ key: other.apiKey, token: other.apiToken }),
    });
    assert.equal(signedIn.status, 200, await signedIn.clone().text());
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const asOther = { cookie, 'x-requested-with': 'callflow-web' };
    const hangup = await fetch(`${url}/api/v1/browser-calls/${callSid}/hangup`, {
      method: 'POST',
      headers: asOther,
    });
    assert.equal(hangup.status, 404);
    assert.equal((await hangup.json()).code, 'NOT_FOUND');
    const follow = await fetch(`${url}/api/v1/browser-calls/${callSid}/events`, {
      headers: asOther,
    });
    assert.equal(follow.status, 404);
    const offer = await fetch(`${url}/api/v1/browser-calls`, {
      method: 'POST',
      headers: { ...asOther, 'content-type': 'application/json' },
      body: JSON.stringify({ to: IVR_NUMBER, offer: 'v=0' }),
    });
    assert.equal(offer.status, 404);
    // The other account's attempts changed nothing: the call still runs.
    assert.equal(callflow.server.sip!.browser.active(), 1);

    // An offer rtpengine cannot answer is refused with its reason code, and the call goes on.
    const demoSession = await fetch(`${url}/api/v1/session`, {
      method: 'POST',
      headers: { 'x-requested-with': 'callflow-web', 'content-type': 'application/json' },
      body: JSON.stringify({
        key: callflow.server.demo!.apiKey,
        token: callflow.server.demo!.apiToken,
      }),
    });
    const demoCookie = (demoSession.headers.get('set-cookie') ?? '').split(';')[0]!;
    const videoOnly = await fetch(`${url}/api/v1/browser-calls`, {
      method: 'POST',
      headers: {
        cookie: demoCookie,
        'x-requested-with': 'callflow-web',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        to: IVR_NUMBER,
        offer:
          'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 127.0.0.1\r\na=rtpmap:96 VP8/90000\r\n',
      }),
    });
    assert.equal(videoOnly.status, 400);
    assert.equal((await videoOnly.json()).code, 'BROWSER_CALL_BAD_OFFER');
    // The session cookie alone, without the web app's header, cannot change anything (CSRF).
    const forged = await fetch(`${url}/api/v1/browser-calls/${callSid}/hangup`, {
      method: 'POST',
      headers: { cookie: demoCookie },
    });
    assert.equal(forged.status, 403);
    assert.equal(callflow.server.sip!.browser.active(), 1);

    await section.getByRole('button', { name: 'Hang up' }).click();
    await section.getByRole('status').filter({ hasText: 'You hung up.' }).waitFor();
    await nothingLeft();
    const call = await eventually(
      async () => {
        const found = await callflow.server.flows!.getCall(
          callflow.server.demo!.accountSid,
          callSid,
        );
        return found.status === 'completed' ? found : undefined;
      },
      10_000,
      'the call saved as ended',
    );
    assert.equal(call.endReason, 'caller-hangup');
    assert.deepEqual(pageErrors, []);
  });

  test('closing the page hangs up at once', async () => {
    const tab = await browser.context.newPage();
    tab.setDefaultTimeout(15_000);
    await tab.goto(`${url}/flows/${flowId}`);
    await tab.getByTestId('flow-status').getByText('v1 live').waitFor();
    await tab.getByRole('button', { name: 'Test call' }).click();
    const section = tab
      .getByRole('complementary', { name: 'Test call' })
      .getByRole('region', { name: 'Call from this browser' });
    await section.getByRole('button', { name: 'Call from this browser' }).click();
    await section.getByTestId('browser-call-live').waitFor();
    assert.equal(callflow.server.sip!.browser.active(), 1);
    const closedAt = Date.now();
    await tab.close();
    // Well before the media timeout (sip.mediaTimeoutSeconds, 30 s) would end it.
    await eventually(
      async () =>
        callflow.server.sip!.browser.active() === 0 &&
        (await callflow.server.sip!.media.sessions()).length === 0,
      10_000,
      'the call ended and its rtpengine session deleted',
    );
    assert.ok(Date.now() - closedAt < 10_000);
  });

  test('behind an HTTPS reverse proxy on a name of its own; plain HTTP there is explained', async () => {
    const proxy = await startTlsProxy(url);
    // The page is reached as callflow.test: not this machine's loopback name, so only HTTPS makes
    // it a secure context.
    const remote = await launchChromium([
      ...FAKE_MICROPHONE,
      '--host-resolver-rules=MAP callflow.test 127.0.0.1',
      '--ignore-certificate-errors',
    ]);
    await remote.context.addInitScript({ content: RECORD_PEERS });
    try {
      const other = remote.context.pages()[0] ?? (await remote.context.newPage());
      other.setDefaultTimeout(15_000);
      const open = async (base: string) => {
        await other.goto(`${base}/flows/${flowId}`);
        if (await other.getByLabel('API key').isVisible())
          await signIn(other, callflow.server.demo!.apiKey, callflow.server.demo!.apiToken);
        await other.goto(`${base}/flows/${flowId}`);
        await other.getByTestId('flow-status').getByText('v1 live').waitFor();
        await other.getByRole('button', { name: 'Test call' }).click();
        const section = other
          .getByRole('complementary', { name: 'Test call' })
          .getByRole('region', { name: 'Call from this browser' });
        await section.getByRole('button', { name: 'Call from this browser' }).click();
        return section;
      };

      const insecure = await open(`http://callflow.test:${new URL(url).port}`);
      await insecure.getByRole('alert').filter({ hasText: 'not a secure context' }).waitFor();

      const secure = await open(`https://callflow.test:${proxy.port}`);
      await secure.getByTestId('browser-call-live').waitFor();
      await eventually(
        async () => {
          const stats = await audioIn(other);
          return stats && stats.packetsReceived > 10 && stats.audioLevel > 0;
        },
        15_000,
        'audible prompt audio over the HTTPS page',
      );
      await secure.getByRole('button', { name: 'Hang up' }).click();
      await secure.getByRole('status').filter({ hasText: 'You hung up.' }).waitFor();
      await eventually(
        async () => (await callflow.server.sip!.media.sessions()).length === 0,
        10_000,
        'no rtpengine session',
      );
      assert.equal(await openPeers(other), 0);
    } finally {
      await remote.close();
      await proxy.close();
    }
  });

  test('a denied microphone is explained in the panel', async () => {
    // A second browser whose permission prompts are answered no.
    const denying = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--deny-permission-prompts',
    ]);
    try {
      const other = denying.context.pages()[0] ?? (await denying.context.newPage());
      other.setDefaultTimeout(15_000);
      await other.goto(`${url}/flows/${flowId}`);
      await signIn(other, callflow.server.demo!.apiKey, callflow.server.demo!.apiToken);
      await other.goto(`${url}/flows/${flowId}`);
      await other.getByTestId('flow-status').getByText('v1 live').waitFor();
      await other.getByRole('button', { name: 'Test call' }).click();
      const section = other
        .getByRole('complementary', { name: 'Test call' })
        .getByRole('region', { name: 'Call from this browser' });
      await section.getByRole('button', { name: 'Call from this browser' }).click();
      await section
        .getByRole('alert')
        .filter({ hasText: 'did not allow the microphone' })
        .waitFor();
      await other.screenshot({ path: screenshotPath('browser-call-denied') });
      assert.equal(callflow.server.sip!.browser.active(), 0);
    } finally {
      await denying.close();
    }
  });
});

describe('calls from the browser with real calls off', {
  skip: browserUnavailable() ?? false,
}, () => {
  test('are refused with BROWSER_CALL_UNAVAILABLE', async () => {
    const server = await startTestServer();
    try {
      const signedIn = await fetch(`${server.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'x-requested-with': 'callflow-web', 'content-type': 'application/json' },
        body: JSON.stringify({ key: server.demo.apiKey, token: server.demo.apiToken }),
      });
      const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;
      const refused = await fetch(`${server.url}/api/v1/browser-calls`, {
        method: 'POST',
        headers: { cookie, 'x-requested-with': 'callflow-web', 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+918045678900', offer: 'v=0' }),
      });
      assert.equal(refused.status, 503);
      assert.equal((await refused.json()).code, 'BROWSER_CALL_UNAVAILABLE');
    } finally {
      await server.stop();
    }
  });
});
