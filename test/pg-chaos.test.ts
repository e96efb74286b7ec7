/**
 * Chaos on PostgreSQL: the whole pipeline (API, delivery worker, SMPP carrier simulator with
 * receipts) in this process on its own schema, while a loop terminates the server's database
 * connections (pg_terminate_backend) every 50–150 ms, a fixed number of times, in the middle of
 * the batched inserts, debits, submits and receipts.
 *
 * Only this test's connections are killed: the server's store connects with an application_name
 * made from the schema, and the chaos loop matches on it (the suite runs files in parallel).
 *
 * Every request carries an Idempotency-Key; one refused during the chaos (a 5xx) is retried after
 * it until it is answered. Then: one message per key, and a key answered 202 kept its sid; every
 * message ends in one final state, with one final transition; at most one debit per message and a
 * balance that adds up; each message reached the carrier, a few twice at most; nothing threw.
 *
 * Runs when CALLFLOW_TEST_DATABASE_URL is set (CI sets it, with CALLFLOW_REQUIRE_POSTGRES=1).
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { CarrierSimulator } from '../src/carriers/index.ts';
import { loadConfig } from '../src/config.ts';
import { type RunningServer, startServer } from '../src/server.ts';
import { openStore } from '../src/store/index.ts';
import { describeForStore, storeKinds } from '../src/store/testing.ts';
import type { Store } from '../src/store/types.ts';
import { seedAccount, smsRequest, waitFor } from './helpers/pipeline.ts';

const MESSAGES = 300;
const WAVE = 20;
const KILLS = 30;
const WINDOW = 20;
const OPENING_BALANCE = 10_000_000;
const FINAL = ['delivered', 'undelivered', 'failed'];

/** A deterministic sequence in [0, 1), so every run kills on the same rhythm. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const withApplicationName = (url: string, name: string) => {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
};

for (const kind of storeKinds()) {
  if (kind !== 'postgres') continue;
  describeForStore(kind, 'PostgreSQL connections killed mid-pipeline', () => {
    it('lose no accepted message, charge none twice, and end each once', async (t) => {
      const url = process.env.CALLFLOW_TEST_DATABASE_URL!;
      const schema = `cf_chaos_${process.pid}_${randomBytes(3).toString('hex')}`;
      const victim = `${schema}_srv`;
      const dataDir = mkdtempSync(join(tmpdir(), 'callflow-chaos-'));

      const crashes: unknown[] = [];
      const onCrash = (error: unknown) => crashes.push(error);
      process.on('uncaughtException', onCrash);
      process.on('unhandledRejection', onCrash);

      // The observer's connections are not killed: it seeds, and reads the outcome.
      const observer: Store = await openStore({ databaseUrl: url, schema, poolSize: 2 });
      const admin = new pg.Client({
        connectionString: withApplicationName(url, `${schema}_chaos`),
        options: `-c search_path=${schema}`,
      });
      await admin.connect();
      let server: RunningServer | undefined;
      const sim = new CarrierSimulator({
        systemId: 'acme',
        password: 'secret',
        receiptDelayMs: 20,
        responseDelayMs: 5,
        receiptRetryMs: 100,
        outcomes: { delivered: 0.9, undelivered: 0.1 },
        seed: 7,
        rules: [],
      });
      t.after(async () => {
        await server?.stop();
        await sim.stop();
        await observer.close();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
        process.off('uncaughtException', onCrash);
        process.off('unhandledRejection', onCrash);
        rmSync(dataDir, { recursive: true, force: true });
      });

      const account = await seedAccount(observer, OPENING_BALANCE);
      const { port } = await sim.start();
      const logs: string[] = [];
      const config = loadConfig({
        env: {},
        overrides: {
          dataDir,
          databaseUrl: withApplicationName(url, victim),
          databaseSchema: schema,
          port: 0,
          logLevel: 'error',
          // These tests take no real calls.
          'sip.enabled': false,
          carriers: [
            {
              name: 'sim',
              host: '127.0.0.1',
              port,
              systemId: 'acme',
              password: 'secret',
              window: WINDOW,
              segmentsPerSecond: 2000,
              reconnect: { minMs: 50, maxMs: 200 },
            },
          ],
          delivery: { leaseMs: 2000, pollMs: 50, retryBaseMs: 50, retryMaxMs: 300 },
        },
      });
      const logger = pino(
        { level: 'warn' },
        new Writable({
          write(chunk, _encoding, done) {
            logs.push(String(chunk));
            done();
          },
        }),
      );
      server = await startServer(config, { logger });
      const app = server.app!;

      // Each message to its own number, so the simulator's records tell messages apart.
      const to = (i: number) => `+91987650${String(i).padStart(4, '0')}`;
      const send = async (i: number) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/sms',
          headers: { authorization: account.auth, 'idempotency-key': `chaos-${i}` },
          payload: smsRequest(`C${i}`, to(i)),
        });
        return { status: res.statusCode, sid: res.statusCode < 300 ? res.json().sid : undefined };
      };

      // The chaos: a fixed number of kills of the server's connections, 50–150 ms apart.
      const random = lcg(12_345);
      let killed = 0;
      const chaos = (async () => {
        for (let k = 0; k < KILLS; k++) {
          await sleep(50 + Math.floor(random() * 100));
          const { rows } = await admin.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = $1
               AND pid <> pg_backend_pid()`,
            [victim],
          );
          killed += rows.filter((r) => r.ok === true).length;
        }
      })();

      const answered = new Map<number, string>();
      const refused: number[] = [];
      const statuses = new Map<number, number>();
      for (let i = 0; i < MESSAGES; i += WAVE) {
        const wave = Array.from({ length: Math.min(WAVE, MESSAGES - i) }, (_, j) => i + j);
        const results = await Promise.all(wave.map(send));
        for (const [j, r] of results.entries()) {
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 202) answered.set(wave[j]!, r.sid);
          else {
            assert.ok(r.status >= 500, `request ${wave[j]} answered ${r.status} during the chaos`);
            refused.push(wave[j]!);
          }
        }
        await sleep(60);
      }
      await chaos;
      assert.ok(killed >= KILLS, `the chaos killed ${killed} connections`);

      // The client retries what was refused, with the same key, until it is answered.
      const sidOf = new Map(answered);
      for (const i of refused) {
        const r = await waitFor(`request ${i} to be answered after the chaos`, async () => {
          const res = await send(i);
          return res.status < 300 ? res : undefined;
        });
        sidOf.set(i, r.sid);
      }

      const stats = await waitFor(
        'every message to reach a final state',
        async () => {
          const { byStatus } = await observer.messages.stats();
          const done = byStatus.delivered + byStatus.undelivered + byStatus.failed;
          return done === MESSAGES ? byStatus : undefined;
        },
        20_000,
      );

      const q = async (sql: string) => (await admin.query(sql)).rows;
      // One message per key, and the one whose sid the client was given.
      const messages = await q('SELECT sid, idempotency_key, status, to_number FROM messages');
      assert.equal(messages.length, MESSAGES);
      const byKey = new Map(messages.map((m) => [m.idempotency_key as string, m]));
      assert.equal(byKey.size, MESSAGES, 'one message per idempotency key');
      for (let i = 0; i < MESSAGES; i++) {
        const m = byKey.get(`chaos-${i}`);
        assert.ok(m, `a message for key chaos-${i}`);
        assert.equal(m.sid, sidOf.get(i), `key chaos-${i} kept the sid it was answered with`);
        assert.equal(m.to_number, to(i));
        assert.ok(FINAL.includes(m.status as string), `${m.sid} ended ${m.status}`);
      }

      // Exactly one final transition per message, and the one that matches its status.
      const finals = await q(
        `SELECT m.sid, m.status, array_agg(t.status ORDER BY t.id) AS ends
         FROM messages m LEFT JOIN message_transitions t
           ON t.message_sid = m.sid AND t.status IN ('delivered', 'undelivered', 'failed')
         GROUP BY m.sid, m.status`,
      );
      for (const f of finals) assert.deepEqual(f.ends, [f.status], `final transitions of ${f.sid}`);

      // At most one debit per message; the balance is the opening one minus debits plus refunds.
      const ledger = await q(
        `SELECT message_sid, count(*) FILTER (WHERE kind = 'debit') AS debits,
           count(*) FILTER (WHERE kind = 'refund') AS refunds, sum(amount_paise) AS net
         FROM ledger WHERE message_sid IS NOT NULL GROUP BY message_sid`,
      );
      for (const l of ledger) {
        assert.ok(Number(l.debits) <= 1, `${l.message_sid} debited ${l.debits} times`);
        assert.ok(
          Number(l.refunds) <= Number(l.debits),
          `${l.message_sid} refunded more than paid`,
        );
      }
      const charged = messages.filter((m) => m.status !== 'failed').length;
      assert.equal(
        ledger.filter((l) => Number(l.debits) === 1 && Number(l.refunds) === 0).length,
        charged,
        'every delivered or undelivered message paid once',
      );
      const net = ledger.reduce((sum, l) => sum + Number(l.net), 0);
      const balance = (await observer.accounts.get(account.accountSid))!.balancePaise;
      assert.equal(balance, OPENING_BALANCE + net, 'the balance matches the ledger');
      const [{ paid }] = await q(
        'SELECT coalesce(sum(price_paise), 0) AS paid FROM messages WHERE price_paise IS NOT NULL',
      );
      assert.equal(OPENING_BALANCE - balance, Number(paid), 'the balance matches the prices');

      // Every message reached the carrier. A repeat happens only when a submit was accepted and
      // then could not be recorded (three attempts over 600 ms, each on a killed connection): the
      // lease expires and the message goes again. Each kill can strand at most the window.
      const perNumber = new Map<string, number>();
      for (const r of sim.received()) {
        const n = `+${r.destinationAddr.replace(/^\+/, '')}`;
        perNumber.set(n, (perNumber.get(n) ?? 0) + 1);
      }
      for (let i = 0; i < MESSAGES; i++) {
        if (byKey.get(`chaos-${i}`)!.status === 'failed') continue;
        assert.ok((perNumber.get(to(i)) ?? 0) >= 1, `message ${i} reached the carrier`);
      }
      const repeats = [...perNumber.values()].reduce((n, c) => n + c - 1, 0);
      assert.ok(repeats <= WINDOW, `${repeats} submits repeated; at most one window may be`);

      assert.deepEqual(crashes, [], 'nothing threw uncaught');
      const errors = logs.filter((l) => /"level":50/.test(l)).length;
      t.diagnostic(
        `killed ${killed} connections; first answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
          `retried ${refused.length}; final ${JSON.stringify(stats)}; ` +
          `${repeats} repeated submits; ${errors} error logs`,
      );
    });
  });
}
