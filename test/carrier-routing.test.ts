/**
 * Carrier routing end to end, on both stores, with real SMPP sessions to carrier simulators:
 * failover when the first carrier goes down mid-load (and back when it returns), routing by SMS
 * type and by prefix asserted at the SMSC side, the weighted split over 1,000 messages, and
 * NO_ROUTE (nothing charged).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCsv } from '../src/bulk-imports/csv.ts';
import { smsCsv } from '../src/reports/sms-csv.ts';
import { storeKinds } from '../src/store/testing.ts';
import { otp, promo, startRig, startSmsc, until } from './routing-helpers.ts';

for (const kind of storeKinds()) {
  describe(`carrier routing [${kind}]`, () => {
    it('fails over to the second carrier when the first goes down mid-load, and comes back', async (t) => {
      const a = await startSmsc(t, 'a');
      const b = await startSmsc(t, 'b');
      const rig = await startRig(t, kind, {
        carriers: [a.config, b.config],
        routes: [{ name: 'all', carriers: ['a', 'b'], strategy: 'failover' }],
      });
      await until(() => rig.pool.active().every((c) => c.status().state === 'bound'), 'binds');
      const before = (await rig.ts.store.accounts.get(rig.account.sid))!.balancePaise;

      const sids: string[] = [];
      const sending = (async () => {
        for (let i = 0; i < 300; i++) {
          sids.push((await rig.send(otp(`+9198765${String(i).padStart(5, '0')}`))).sid);
          if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      await until(() => a.sim.received().length >= 40, 'the first carrier to take some');
      await a.proxy.cut();
      await sending;
      // With the first carrier down, everything reaches a final state through the second, except
      // what the first had accepted before it went: their receipts wait at its SMSC.
      const waiting = await until(async () => {
        const all = await Promise.all(sids.map(rig.get));
        const open = all.filter((m) => m.status !== 'delivered');
        return open.every((m) => m.status === 'submitted' && m.carrier === 'a') ? open : undefined;
      }, 'every message delivered or accepted by the first carrier');
      assert.ok(waiting.length <= 20, `${waiting.length} receipts held by the first carrier`);

      // Back: its receipts arrive, and the first carrier of the route takes the traffic again.
      await a.proxy.restore();
      const done = await rig.settle(sids);

      assert.deepEqual(
        done.filter((m) => m.status !== 'delivered').map((m) => [m.status, m.reasonCode]),
        [],
      );
      const byCarrier = (name: string) => done.filter((m) => m.carrier === name).length;
      assert.ok(
        byCarrier('a') > 0 && byCarrier('b') > 0,
        `a ${byCarrier('a')}, b ${byCarrier('b')}`,
      );
      // Submits on the wire when the first went down got no answer and went to the second too:
      // at most one window of them (the duplicate bound of docs/decisions.md).
      const resent = a.sim.received().length - byCarrier('a');
      assert.ok(resent <= a.config.window!, `${resent} sent to both`);
      assert.equal(byCarrier('a') + byCarrier('b'), sids.length);
      // Every message the second carrier took after the cut reached it; none is missing.
      const atB = new Set(b.destinations());
      for (const m of done.filter((x) => x.carrier === 'b')) assert.ok(atB.has(m.to), m.to);
      // Charged once each: one debit per message, no refund, the balance down by exactly that.
      const ledger = await rig.ts.store.accounts.ledger(rig.account.sid, 10_000);
      const debits = ledger.filter((e) => e.kind === 'debit');
      assert.equal(debits.length, sids.length);
      assert.equal(new Set(debits.map((e) => e.messageSid)).size, sids.length);
      assert.equal(ledger.filter((e) => e.kind === 'refund').length, 0);
      const spent = done.reduce((n, m) => n + (m.pricePaise ?? 0), 0);
      assert.equal(
        (await rig.ts.store.accounts.get(rig.account.sid))!.balancePaise,
        before - spent,
      );

      // The summary report by carrier: what each took, its delivery rate and time to delivery.
      const summary = await rig.ts.store.messages.summarize(rig.account.sid, {
        filter: { since: new Date(0), until: new Date(Date.now() + 864e5 * 3650) },
        groupBy: 'carrier',
      });
      assert.deepEqual(
        summary
          .map((r) => [r.key, r.messages, r.byStatus.delivered, r.latencyMedianMs !== null])
          .sort(),
        [
          ['a', byCarrier('a'), byCarrier('a'), true],
          ['b', byCarrier('b'), byCarrier('b'), true],
        ],
      );

      // And /metrics: delivery counts and time to delivery by carrier.
      const { body } = await rig.metrics.scrape();
      for (const c of ['a', 'b']) {
        assert.match(
          body,
          new RegExp(
            `callflow_carrier_deliveries_total\\{carrier="${c}",status="delivered"\\} ${byCarrier(c)}\\n`,
          ),
        );
        assert.match(
          body,
          new RegExp(
            `callflow_carrier_delivery_seconds_count\\{carrier="${c}"\\} ${byCarrier(c)}\\n`,
          ),
        );
      }

      const first = rig.pool.active().find((c) => c.name === 'a')!;
      await until(() => first.status().state === 'bound', 'the first carrier bound again');
      // Fewer than its window, so that none spills over to the second while the first has room.
      const later = [];
      for (let i = 0; i < 15; i++) later.push((await rig.send(otp())).sid);
      const back = await rig.settle(later);
      assert.deepEqual(
        back.map((m) => m.carrier),
        later.map(() => 'a'),
      );
    });

    it('routes by SMS type and by prefix, as the SMSCs see it, and fails NO_ROUTE for nothing', async (t) => {
      const otpAgg = await startSmsc(t, 'otp-agg');
      const viPromo = await startSmsc(t, 'vi-promo');
      const promoAgg = await startSmsc(t, 'promo-agg');
      const rig = await startRig(t, kind, {
        carriers: [otpAgg.config, viPromo.config, promoAgg.config],
        routes: [
          { name: 'otp', match: { smsType: ['transactional'] }, carriers: ['otp-agg'] },
          {
            name: 'vi',
            match: { smsType: ['promotional'], prefixes: ['+9198'] },
            carriers: ['vi-promo'],
          },
          {
            name: 'promo',
            match: { smsType: ['promotional'], prefixes: ['+9199'] },
            carriers: ['promo-agg'],
          },
        ],
      });
      const sent = {
        otp: [otp('+919812345671'), otp('+919912345672')],
        vi: [promo('+919812345673'), promo('+919812345674')],
        promo: [promo('+919912345675')],
        none: [promo('+919712345676')],
      };
      const ids: Record<string, string[]> = {};
      for (const [k, requests] of Object.entries(sent)) {
        ids[k] = [];
        for (const r of requests) ids[k].push((await rig.send(r)).sid);
      }
      const balance = async () => (await rig.ts.store.accounts.get(rig.account.sid))!.balancePaise;
      const done = await rig.settle(Object.values(ids).flat());
      assert.deepEqual(otpAgg.destinations().sort(), ['+919812345671', '+919912345672']);
      assert.deepEqual(viPromo.destinations().sort(), ['+919812345673', '+919812345674']);
      assert.deepEqual(promoAgg.destinations(), ['+919912345675']);

      const none = done.find((m) => m.sid === ids.none![0])!;
      assert.equal(none.status, 'failed');
      assert.equal(none.reasonCode, 'NO_ROUTE');
      assert.equal(none.pricePaise, null, 'never charged');
      const ledger = await rig.ts.store.accounts.ledger(rig.account.sid, 100);
      assert.equal(ledger.filter((e) => e.messageSid === none.sid).length, 0);
      const charged = done.reduce((n, m) => n + (m.pricePaise ?? 0), 0);
      assert.equal(await balance(), 1e7 - charged);
      for (const m of done.filter((x) => x.sid !== none.sid)) assert.equal(m.status, 'delivered');
      // The detailed report names the carrier of each message.
      let csv = '';
      for await (const chunk of smsCsv(rig.ts.store, rig.account, {}, { excel: false }))
        csv += chunk;
      const rows = parseCsv(csv).map((r) => r.fields);
      const column = rows[0]!.indexOf('Carrier');
      const carrierOf = new Map(rows.slice(1).map((r) => [r[0], r[column]]));
      for (const sid of ids.otp!) assert.equal(carrierOf.get(sid), 'otp-agg');
      for (const sid of ids.vi!) assert.equal(carrierOf.get(sid), 'vi-promo');
      assert.equal(carrierOf.get(none.sid), '');
    });

    it('splits a weighted route by its weights over 1,000 messages', async (t) => {
      const a = await startSmsc(t, 'a', { window: 50 });
      const b = await startSmsc(t, 'b', { window: 50 });
      const rig = await startRig(t, kind, {
        carriers: [a.config, b.config],
        routes: [{ name: 'split', carriers: ['a', 'b'], strategy: 'weighted', weights: [3, 1] }],
      });
      await until(() => rig.pool.active().every((c) => c.status().state === 'bound'), 'binds');
      const sids: string[] = [];
      for (let i = 0; i < 1000; i += 100) {
        const batch = await Promise.all(
          Array.from({ length: 100 }, (_, j) =>
            rig.send(otp(`+9198765${String(i + j).padStart(5, '0')}`)),
          ),
        );
        sids.push(...batch.map((m) => m.sid));
      }
      const done = await rig.settle(sids, 60_000);
      assert.equal(done.filter((m) => m.status === 'delivered').length, 1000);
      const atA = a.sim.received().length;
      const atB = b.sim.received().length;
      assert.equal(atA + atB, 1000);
      // 3:1 is 750:250; within a few percent.
      assert.ok(Math.abs(atA - 750) <= 30, `a took ${atA}, b ${atB}`);
      assert.equal(done.filter((m) => m.carrier === 'a').length, atA);
    });
  });
}
