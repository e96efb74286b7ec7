/** /metrics in Prometheus format, and per-account rate limits with 429 and Retry-After. */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRateLimiter } from '../src/api/plugins/rate-limit.ts';
import type { CarrierStatus } from '../src/carriers/types.ts';
import { createMetrics } from '../src/metrics.ts';
import { createTestClock, openTestStore } from '../src/store/testing.ts';
import { apiFixture, json, smsBody } from './api-helpers.ts';

/** A line of the exposition text, e.g. `callflow_messages{status="queued"} 2`. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GET /metrics', () => {
  it('reports messages by status, the outbox, carriers, callbacks and event counters', async () => {
    const t = await openTestStore('sqlite');
    const carriers: CarrierStatus[] = [
      {
        name: 'sim',
        state: 'bound',
        inFlight: 3,
        queued: 0,
        window: 50,
        submitted: 120,
        throttled: 2,
      },
    ];
    const metrics = createMetrics({ store: t.store, carriers: () => carriers, clock: t.clock });
    const fx = await apiFixture(t, { metrics });
    try {
      for (const to of ['+919812300501', '+919812300502']) {
        const res = await fx.call({
          method: 'POST',
          url: '/api/v1/sms',
          payload: smsBody(fx.a, { to }),
        });
        assert.equal(res.statusCode, 202);
      }
      fx.clock.advance(90_000);
      metrics.submitted(3, 'sim');
      metrics.receiptLatency(4.2);
      metrics.receiptLatency(75);
      metrics.callbackFailed();
      metrics.callCompleted('FL1');
      metrics.callCompleted('FL1');

      const res = await fx.call({ method: 'GET', url: '/metrics', as: null });
      assert.equal(res.statusCode, 200);
      assert.match(res.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
      const text = res.body;
      assert.equal(sample(text, 'callflow_store_up'), 1);
      assert.equal(sample(text, 'callflow_messages{status="queued"}'), 2);
      assert.equal(sample(text, 'callflow_messages{status="delivered"}'), 0);
      assert.equal(sample(text, 'callflow_outbox_due'), 2);
      assert.equal(sample(text, 'callflow_outbox_oldest_due_age_seconds'), 90);
      assert.equal(sample(text, 'callflow_callbacks{status="pending"}'), 0);
      assert.equal(sample(text, 'callflow_carrier_state{carrier="sim",state="bound"}'), 1);
      assert.equal(sample(text, 'callflow_carrier_state{carrier="sim",state="disconnected"}'), 0);
      assert.equal(sample(text, 'callflow_carrier_in_flight{carrier="sim"}'), 3);
      assert.equal(sample(text, 'callflow_carrier_parts_submitted_total{carrier="sim"}'), 120);
      assert.equal(sample(text, 'callflow_submits_total{carrier="sim"}'), 3);
      assert.equal(sample(text, 'callflow_delivery_receipt_latency_seconds_count'), 2);
      assert.equal(sample(text, 'callflow_delivery_receipt_latency_seconds_bucket{le="5"}'), 1);
      assert.equal(sample(text, 'callflow_delivery_receipt_latency_seconds_bucket{le="120"}'), 2);
      assert.equal(sample(text, 'callflow_callback_failures_total'), 1);
      assert.equal(sample(text, 'callflow_calls_total{flow="FL1"}'), 2);

      carriers[0] = { ...carriers[0]!, state: 'disconnected' };
      const later = (await fx.call({ method: 'GET', url: '/metrics', as: null })).body;
      assert.equal(sample(later, 'callflow_carrier_state{carrier="sim",state="bound"}'), 0);
      assert.equal(sample(later, 'callflow_carrier_state{carrier="sim",state="disconnected"}'), 1);
    } finally {
      await fx.close();
    }
  });

  it('keeps one registry per app, and works without carriers', async () => {
    const one = await apiFixture(await openTestStore('sqlite'));
    const two = await apiFixture(await openTestStore('sqlite'));
    try {
      for (const fx of [one, two]) {
        const res = await fx.call({ method: 'GET', url: '/metrics', as: null });
        assert.equal(res.statusCode, 200);
        assert.doesNotMatch(res.body, /callflow_carrier_state\{/);
      }
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('rate limits', () => {
  it('refills a bucket of a minute of requests continuously', () => {
    let now = 0;
    const limiter = createRateLimiter({ perMinute: 60, now: () => now });
    for (let i = 0; i < 60; i++) assert.equal(limiter.take('A').ok, true);
    assert.deepEqual(limiter.take('A'), { ok: false, retryAfterSeconds: 1 });
    assert.equal(limiter.take('B').ok, true, 'per account');
    now += 1000;
    assert.deepEqual(limiter.take('A'), { ok: true, remaining: 0 });
    now += 30_000;
    assert.deepEqual(limiter.take('A'), { ok: true, remaining: 29 });
  });

  it('answers 429 with Retry-After per account, on every API, never on health or metrics', async () => {
    const clock = createTestClock();
    const fx = await apiFixture(await openTestStore('sqlite', { clock }), {
      config: { rateLimitPerMinute: 3 },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const ok = await fx.call({ method: 'GET', url: '/api/v1/account' });
        assert.equal(ok.statusCode, 200);
        assert.equal(ok.headers['x-ratelimit-remaining'], String(2 - i));
      }
      const limited = await fx.call({ method: 'GET', url: '/api/v1/account' });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.headers['retry-after'], '20');
      assert.equal(json(limited).code, 'RATE_LIMITED');
      const exotel = await fx.call({
        method: 'GET',
        url: `/v1/Accounts/${fx.a.sid}/SMS/Messages/x.json`,
      });
      assert.equal(exotel.statusCode, 429);
      assert.equal(
        (json(exotel).RestException as { ReasonCode: string }).ReasonCode,
        'RATE_LIMITED',
      );
      assert.equal(
        (await fx.call({ method: 'GET', url: '/api/v1/account', as: fx.b })).statusCode,
        200,
      );
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        assert.equal((await fx.call({ method: 'GET', url, as: null })).statusCode, 200, url);
      }
      clock.advance(20_000);
      assert.equal((await fx.call({ method: 'GET', url: '/api/v1/account' })).statusCode, 200);
    } finally {
      await fx.close();
    }
  });
});
