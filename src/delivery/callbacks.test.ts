/**
 * The status-callback dispatcher against both stores and a real HTTP server on loopback:
 * signatures, both formats, retries, giving up, restarts, timeouts and the SSRF guard.
 */

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import {
  createTestAccount,
  describeEachStore,
  newTestMessage,
  type TestStore,
} from '../store/testing.ts';
import type { Message } from '../store/types.ts';
import { verifySignature } from './callback-payload.ts';
import { createCallbackDispatcher } from './callbacks.ts';
import type { CallbackConfig } from './config.ts';
import type { Lookup } from './ssrf.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback receiver: records each request and answers with the next status (200 at the end). */
async function receiver(statuses: (number | 'hang')[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = statuses.shift() ?? 200;
      if (status === 'hang') return;
      res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/status`,
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A finished message with a callback job waiting. */
async function finished(
  t: TestStore,
  accountSid: string,
  url: string,
  format: 'json' | 'exotel' = 'json',
  delivered = false,
): Promise<Message> {
  const m = newTestMessage(accountSid, {
    statusCallback: url,
    callbackFormat: format,
    customField: 'order-7',
  });
  await t.store.messages.insert(m);
  if (!delivered)
    return (await t.store.messages.fail(m.sid, null, 'DND_BLOCKED', 'fully blocked'))!;
  await t.store.messages.claimDue('w', 10, 30_000);
  await t.store.messages.debitAndMarkSending(m.sid, 'w', 25);
  await t.store.messages.markSubmitted(m.sid, 'w', 'sim', ['p1']);
  const r = await t.store.messages.applyReceipt({
    carrier: 'sim',
    carrierMessageId: 'p1',
    state: 'DELIVERED',
    final: true,
    errorCode: null,
    receivedAt: t.clock(),
  });
  return r.message!;
}

const dispatcher = (t: TestStore, config: Partial<CallbackConfig> = {}, lookup?: Lookup) =>
  createCallbackDispatcher({
    store: t.store,
    clock: t.clock,
    config: { allowPrivateAddresses: true, retryJitter: 0, pollMs: 20, ...config },
    ...(lookup && { lookup }),
  });

describeEachStore('status callbacks', (current) => {
  it('POSTs our JSON message resource, signed with the account secret', async () => {
    const t = current();
    const a = await createTestAccount(t.store, { webhookSecret: 'whsec_abc' });
    const rx = await receiver();
    try {
      const m = await finished(t, a.sid, rx.url);
      assert.equal(await dispatcher(t).runOnce(), 1);
      assert.equal(rx.received.length, 1);
      const { headers, body } = rx.received[0]!;
      assert.equal(headers['content-type'], 'application/json');
      assert.ok(verifySignature('whsec_abc', body, headers['x-callflow-signature'] as string));
      assert.ok(!verifySignature('whsec_other', body, headers['x-callflow-signature'] as string));
      const json = JSON.parse(body);
      assert.equal(headers['x-callflow-timestamp'], String(Math.floor(t.clock().getTime() / 1000)));
      assert.equal(
        json.timestamp,
        t.clock().toISOString(),
        'the timestamp is inside the signed body',
      );
      assert.equal(headers['x-callflow-attempt'], '1');
      assert.deepEqual(
        {
          sid: json.sid,
          status: json.status,
          reasonCode: json.reasonCode,
          to: json.to,
          from: json.from,
          segments: json.segments,
          price: json.price,
          customField: json.customField,
        },
        {
          sid: m.sid,
          status: 'failed',
          reasonCode: 'DND_BLOCKED',
          to: m.to,
          from: 'ACMECO',
          segments: 1,
          price: null,
          customField: 'order-7',
        },
      );
      assert.match(json.reasonDescription, /DND/);
      assert.equal((await t.store.callbacks.list(m.sid))[0]?.status, 'delivered');
    } finally {
      await rx.close();
    }
  });

  it("POSTs Exotel's form fields for the Exotel-compatible API", async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const rx = await receiver();
    try {
      const ok = await finished(t, a.sid, rx.url, 'exotel', true);
      const dnd = await finished(t, a.sid, rx.url, 'exotel');
      assert.equal(await dispatcher(t).runOnce(), 2);
      const forms = new Map(
        rx.received.map((r) => {
          assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
          assert.ok(
            verifySignature('whsec_test', r.body, r.headers['x-callflow-signature'] as string),
          );
          const f = Object.fromEntries(new URLSearchParams(r.body));
          return [f.SmsSid, f];
        }),
      );
      assert.deepEqual(forms.get(ok.sid), {
        SmsSid: ok.sid,
        To: ok.to,
        Status: 'sent',
        SmsUnits: '1',
        DetailedStatus: 'DELIVERED_TO_HANDSET',
        DetailedStatusCode: '20005',
        DateSent: '2025-06-02 12:00:00',
        CustomField: 'order-7',
      });
      assert.deepEqual(
        [
          forms.get(dnd.sid)?.Status,
          forms.get(dnd.sid)?.DetailedStatusCode,
          forms.get(dnd.sid)?.DateSent,
        ],
        ['failed_dnd', '23005', ''],
      );
    } finally {
      await rx.close();
    }
  });

  it('retries after a 500 with backoff, and gives up after maxAttempts', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const rx = await receiver([500, 503, 500, 500]);
    try {
      const m1 = await finished(t, a.sid, rx.url);
      const d = dispatcher(t, { retryBaseMs: 1000, maxAttempts: 3 });
      await d.runOnce();
      let [job] = await t.store.callbacks.list(m1.sid);
      assert.equal(job?.status, 'pending');
      assert.equal(job?.lastError, 'HTTP 500');
      assert.equal(job!.nextAttemptAt.getTime() - t.clock().getTime(), 1000);
      assert.equal(await d.runOnce(), 0, 'not before its time');
      t.clock.advance(1000);
      await d.runOnce();
      [job] = await t.store.callbacks.list(m1.sid);
      assert.equal(job?.lastError, 'HTTP 503');
      assert.equal(job!.nextAttemptAt.getTime() - t.clock().getTime(), 2000);
      t.clock.advance(2000);
      await d.runOnce();
      [job] = await t.store.callbacks.list(m1.sid);
      assert.equal(job?.status, 'failed');
      assert.equal(job?.lastError, 'HTTP 500 (gave up after 3 attempts)');
      assert.deepEqual(
        rx.received.map((r) => r.headers['x-callflow-attempt']),
        ['1', '2', '3'],
      );

      const m2 = await finished(t, a.sid, rx.url);
      await d.runOnce();
      assert.equal((await t.store.callbacks.list(m2.sid))[0]?.lastError, 'HTTP 500');
      t.clock.advance(1000);
      await d.runOnce();
      assert.equal(
        (await t.store.callbacks.list(m2.sid))[0]?.status,
        'delivered',
        'delivered on the retry',
      );
    } finally {
      await rx.close();
    }
  });

  it('survives a restart: a job leased by a dispatcher that died is sent by the next one', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const rx = await receiver();
    try {
      const m = await finished(t, a.sid, rx.url);
      const before = await finished(t, a.sid, rx.url);
      assert.equal((await t.store.callbacks.claimDue('crashed-dispatcher', 1, 30_000)).length, 1);
      // The process goes away; a new one opens the same database.
      await t.store.close();
      t.store = await t.open({ migrate: false });
      const d = dispatcher(t);
      assert.equal(await d.runOnce(), 1, 'the unleased job goes at once');
      t.clock.advance(30_000);
      assert.equal(await d.runOnce(), 1, 'the leased one once its lease runs out');
      assert.deepEqual(
        new Set(rx.received.map((r) => JSON.parse(r.body).sid)),
        new Set([m.sid, before.sid]),
      );
      for (const sid of [m.sid, before.sid]) {
        assert.equal((await t.store.callbacks.list(sid))[0]?.status, 'delivered');
      }
    } finally {
      await rx.close();
    }
  });

  it('wakes on a finished message and retries a receiver that does not answer in time', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const rx = await receiver(['hang']);
    const d = dispatcher(t, { timeoutMs: 200, leaseMs: 5000, pollMs: 60_000 });
    await d.start();
    try {
      const m = await finished(t, a.sid, rx.url);
      await t.store.notify('callbacks');
      const deadline = Date.now() + 5000;
      while ((await t.store.callbacks.list(m.sid))[0]?.lastError == null) {
        assert.ok(Date.now() < deadline, 'no attempt');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const [job] = await t.store.callbacks.list(m.sid);
      assert.equal(job?.status, 'pending');
      assert.equal(job?.lastError, 'timed out after 200 ms');
    } finally {
      await d.stop();
      await rx.close();
    }
  });

  it('refuses internal addresses unless allowed, and connects to the address it checked', async () => {
    const t = current();
    const a = await createTestAccount(t.store);
    const rx = await receiver();
    try {
      const internal = [
        'http://10.0.0.1/cb',
        rx.url,
        'http://169.254.169.254/latest/meta-data',
        `http://[::1]:${rx.port}/cb`,
        'http://[fc00::1]/cb',
        'http://internal.test/cb',
      ];
      const lookup: Lookup = async (host) => {
        if (host === 'internal.test') return [{ address: '10.1.2.3', family: 4 }];
        if (host === 'hooks.test') return [{ address: '127.0.0.1', family: 4 }];
        throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
      };
      const guarded = dispatcher(
        t,
        { allowPrivateAddresses: false, allowList: ['hooks.test'] },
        lookup,
      );
      const ms = [];
      for (const url of internal) ms.push(await finished(t, a.sid, url));
      assert.equal(await guarded.runOnce(), internal.length);
      for (const m of ms) {
        const [job] = await t.store.callbacks.list(m.sid);
        assert.equal(job?.status, 'failed', m.statusCallback!);
        assert.match(job?.lastError ?? '', /^CALLBACK_URL_BLOCKED: /, m.statusCallback!);
      }
      assert.equal(rx.received.length, 0, 'nothing reached the loopback receiver');

      // hooks.test is not in the system's DNS: reaching the receiver proves the checked address was used.
      const allowed = await finished(t, a.sid, `http://hooks.test:${rx.port}/status`);
      await guarded.runOnce();
      assert.equal((await t.store.callbacks.list(allowed.sid))[0]?.status, 'delivered');
      assert.equal(rx.received[0]?.headers.host, `hooks.test:${rx.port}`);
    } finally {
      await rx.close();
    }
  });
});
