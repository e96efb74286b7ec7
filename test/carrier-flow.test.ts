/**
 * Flow control and connection handling of the SMPP client against the simulator: the
 * window, the throughput limit, connection loss mid-window with reconnect, enquire_link
 * supervision and the draining stop().
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PDU } from 'smpp';
import {
  eventually,
  sms,
  startCarrier,
  startSimulator,
  startSmppServer,
} from './carrier-helpers.ts';

test('the window is never exceeded on the wire', async (t) => {
  const { sim, port } = await startSimulator(t, { responseDelayMs: 60 });
  const carrier = await startCarrier(t, port, { window: 3 });
  const sending = Array.from({ length: 10 }, (_, i) =>
    carrier.submit(sms({ messageId: `SM${i}` })),
  );
  assert.equal(carrier.availableWindow(), 0);
  assert.deepEqual(
    [carrier.status().inFlight, carrier.status().queued],
    [3, 7],
    'the rest wait in our queue',
  );
  const outcomes = await Promise.all(sending);
  assert.equal(
    outcomes.every((o) => o.ok),
    true,
  );
  assert.equal(sim.stats().maxOutstanding, 3);
  assert.equal(carrier.availableWindow(), 3);
});

test('the throughput limit holds over any one-second span', async (t) => {
  const { sim, port } = await startSimulator(t);
  const rate = 20;
  const carrier = await startCarrier(t, port, { segmentsPerSecond: rate, window: 100 });
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: 30 }, (_, i) => carrier.submit(sms({ messageId: `SM${i}` }))),
  );
  const elapsed = performance.now() - started;
  assert.equal(
    outcomes.every((o) => o.ok),
    true,
  );
  // 30 parts at 20/s with a burst of 2: at least (30 - 2) / 20 = 1.4 s; allow for timer slack.
  assert.ok(elapsed >= 1200, `30 parts took only ${elapsed} ms`);
  const arrivals = sim.received().map((r) => Date.parse(r.at));
  const busiestSecond = Math.max(
    ...arrivals.map((start) => arrivals.filter((at) => at >= start && at < start + 1000).length),
  );
  assert.ok(busiestSecond <= rate + 4, `${busiestSecond} parts in one second`);
});

test('connection lost mid-window: outstanding parts are CARRIER_UNAVAILABLE, then it reconnects', async (t) => {
  const { sim, port } = await startSimulator(t, { responseDelayMs: 100, dropAfterSubmits: 3 });
  const carrier = await startCarrier(t, port, { window: 5 });
  const outcomes = await Promise.all(
    Array.from({ length: 5 }, (_, i) => carrier.submit(sms({ messageId: `SM${i}` }))),
  );
  for (const outcome of outcomes) {
    assert.deepEqual(outcome.ok === false && [outcome.transient, outcome.code], [
      true,
      'CARRIER_UNAVAILABLE',
    ]);
  }
  assert.equal(await carrier.waitUntilBound(2000), true);
  assert.equal(sim.stats().binds, 2);
  const later = await carrier.submit(sms());
  assert.equal(later.ok, true);
});

test('a multi-part message cut by a drop reports the parts already accepted', async (t) => {
  const { sim, port } = await startSimulator(t, { dropAfterSubmits: 2 });
  const carrier = await startCarrier(t, port, { segmentsPerSecond: 1000 });
  const outcome = await carrier.submit(sms({ parts: ['one', 'two', 'three'] }));
  assert.equal(outcome.ok === false && outcome.code, 'CARRIER_UNAVAILABLE');
  const first = sim.received()[0]!;
  assert.equal(first.commandStatus, 0);
  assert.deepEqual(outcome.ok === false && outcome.partsAccepted, [first.messageId]);
});

test('dropConnections(): the client notices and binds again by itself', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port);
  sim.dropConnections();
  await eventually(() => carrier.status().state !== 'bound', 1000, 'the drop to be seen');
  assert.equal(carrier.availableWindow(), 0);
  assert.equal(await carrier.waitUntilBound(2000), true);
  assert.equal((await carrier.submit(sms())).ok, true);
});

test('enquire_link every period; an unanswered one drops the connection and rebinds', async (t) => {
  const { sim, port } = await startSimulator(t, { answerEnquireLink: false });
  const carrier = await startCarrier(t, port, { enquireLinkSeconds: 0.05, responseTimeoutMs: 150 });
  await eventually(() => sim.stats().binds >= 2, 2000, 'a rebind');
  assert.ok(sim.stats().enquireLinks >= 1);
  await eventually(() => carrier.status().state === 'bound', 1000, 'bound again');
});

test('enquire_link answered: the bind stays up', async (t) => {
  const { sim, port } = await startSimulator(t);
  const carrier = await startCarrier(t, port, {
    enquireLinkSeconds: 0.05,
    responseTimeoutMs: 1000,
  });
  await eventually(() => sim.stats().enquireLinks >= 4, 2000, 'enquire_links');
  assert.deepEqual([carrier.status().state, sim.stats().binds], ['bound', 1]);
});

test('a PDU the client cannot parse: it drops the connection and binds again', async (t) => {
  let binds = 0;
  const port = await startSmppServer(t, (session) => {
    session.on('bind_transceiver', (pdu: PDU) => {
      binds++;
      session.send(pdu.response({ system_id: 'TEST' }));
      // command_length far above what `smpp` accepts (16 KiB)
      if (binds === 1) session.socket.write(Buffer.from([0x00, 0x10, 0x00, 0x00]));
    });
  });
  const carrier = await startCarrier(t, port);
  await eventually(() => binds === 2, 2000, 'a second bind');
  assert.equal(await carrier.waitUntilBound(1000), true);
});

test('stop() waits for parts on the wire, unbinds and closes; later submits are refused', async (t) => {
  const { sim, port } = await startSimulator(t, { responseDelayMs: 150 });
  const carrier = await startCarrier(t, port, { window: 2 });
  const sending = Array.from({ length: 3 }, (_, i) => carrier.submit(sms({ messageId: `SM${i}` })));
  await eventually(() => carrier.status().inFlight === 2, 1000, 'two parts on the wire');
  await carrier.stop();
  const [first, second, queued] = await Promise.all(sending);
  assert.equal(first!.ok && second!.ok, true, 'parts on the wire got their answer');
  assert.equal(queued!.ok === false && queued!.code, 'CARRIER_UNAVAILABLE');
  assert.equal(sim.stats().unbinds, 1);
  assert.equal(carrier.status().state, 'closed');
  await eventually(() => sim.stats().connections === 0, 1000, 'the socket to close');
  const after = await carrier.submit(sms());
  assert.equal(after.ok === false && after.code, 'CARRIER_UNAVAILABLE');
  await carrier.start();
  assert.equal(carrier.status().state, 'closed', 'a stopped carrier stays stopped');
});
