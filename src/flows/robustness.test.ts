/**
 * Hostile data from outside never breaks a call: whatever a Passthru's URL answers (or fails to),
 * whatever the caller presses and whatever ends up in an SMS's body or recipient, the call goes
 * on to its end, and every SMS is either queued (an SmsSid) or refused with a reason code.
 *
 * Property-style and deterministic: a fixed table of hostile answers plus answers generated from
 * a seeded generator, each run through every flow variant, with a recording SendSms and with the
 * real sender on a SQLite store.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSender } from '../delivery/send.ts';
import {
  createTestAccount,
  openTestStore,
  TEST_ENTITY_ID,
  TEST_TEMPLATE_ID,
  type TestStore,
} from '../store/testing.ts';
import type { CallerScript } from '../telephony/script.ts';
import type { CallLog } from './runtime.ts';
import { simulateCall } from './simulate.ts';
import type { FetchGuarded, FlowDocument, FlowSmsRequest, SendSms } from './types.ts';

const CALLER = '+919876543210';
const EXOPHONE = '+914412345678';
const START = '2024-01-15T05:00:00.000Z';
const HOOK = 'https://customer.example/hook';
const AUDIT = 'https://audit.example/after';

const fileStarted = performance.now();
const problems: string[] = [];
const onUncaught = (error: unknown) => problems.push(`uncaughtException: ${String(error)}`);
const onUnhandled = (reason: unknown) => problems.push(`unhandledRejection: ${String(reason)}`);
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

before(() => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);
});

after(async () => {
  // Rejections are reported on a later turn; give them one before looking.
  await new Promise((resolve) => setImmediate(resolve));
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUnhandled);
  assert.deepEqual(problems, []);
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeBefore);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.ok(performance.now() - fileStarted < 10_000, 'the file took 10 s or more');
});

/** What the customer's URL does: answers, or throws, given the request's abort signal. */
type Answer = (signal: AbortSignal) => Promise<Response>;

const json = (text: string, status = 200, type = 'application/json'): Answer => {
  return async () => new Response(text, { status, headers: { 'content-type': type } });
};

/** Settles only when the request is aborted, as fetch does. */
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

const fields = (name: unknown, phone: unknown): string => JSON.stringify({ name, phone });

const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const deepArray = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

const manyKeys = (() => {
  const o: Record<string, string> = {};
  for (let i = 0; i < 10_000; i++) o[`k${i}`] = `v${i}`;
  o.name = 'last';
  o.phone = CALLER;
  return JSON.stringify(o);
})();

const HOSTILE: Record<string, Answer> = {
  'plain text': json('OK', 200, 'text/plain'),
  'invalid JSON': json('{"name": "unterminated'),
  'empty body': json(''),
  'top-level array': json('[{"name":"x"}]'),
  'top-level string': json('"hello"'),
  'top-level number': json('42'),
  'top-level null': json('null'),
  'fields are objects': json(fields({ a: { b: 1 } }, { x: CALLER })),
  'fields are arrays': json(fields([1, 2, 3], [CALLER])),
  'fields are numbers': json(fields(12.5, 919876543210)),
  'fields are booleans': json(fields(true, false)),
  'fields are null': json(fields(null, null)),
  'huge answer (1 MB)': json(fields('x'.repeat(1024 * 1024), CALLER)),
  'long field under the read limit': json(fields('y'.repeat(60_000), '9'.repeat(3000))),
  'deep object nesting (10,000)': json(`{"name":${deepObject(10_000)},"phone":"${CALLER}"}`),
  'deep array nesting (10,000)': json(`{"name":${deepArray(10_000)}}`),
  'deep nesting beyond the parser': json(`{"name":${deepObject(200_000)}}`),
  'NUL characters': json(fields('a\u0000b', `${CALLER}\u0000`)),
  'lone surrogates': json(fields('\ud800x\udc00', '\ud83d')),
  emoji: json(fields('😀👍🏽👨‍👩‍👧', '📞📞📞')),
  'RTL text': json(fields('\u202eمرحبا بك\u202c', `\u202e${CALLER}`)),
  'control and format characters': json(fields('\u001b[31m\r\n\t\u2028\u2029', ' \t\n')),
  'braces that look like variables': json(fields('{CallSid}{p.phone}{#var#}', '{CallFrom}')),
  '__proto__ and constructor keys': json(
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},' +
      `"prototype":"x","name":"ok","phone":"${CALLER}"}`,
  ),
  '__proto__ as a string field': json(`{"__proto__":"x","toString":"y","phone":"${CALLER}"}`),
  'numbers beyond double (1e400)': json('{"name":1e400,"phone":-1e400,"tiny":1e-400}'),
  'a field with 10,000 keys': json(`{"name":${manyKeys}}`),
  '10,000 top-level keys': json(manyKeys),
  'byte-order mark': json(`\ufeff${fields('bom', CALLER)}`),
  'slow answer beyond the timeout': (signal) => untilAborted(signal),
  // A fetch that does not stop when aborted, as a DNS look-up of the customer's host does not.
  'slow answer that ignores the abort': () =>
    new Promise((resolve) => {
      setTimeout(() => resolve(new Response(fields('late', CALLER))), 1500).unref();
    }),
  'slow body beyond the timeout': async (signal) =>
    new Response(
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"name":'));
          signal.addEventListener('abort', () => controller.error(signal.reason), {
            once: true,
          });
        },
      }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    ),
  'body stream that errors': async () =>
    new Response(
      new ReadableStream({
        pull(controller) {
          controller.error(new Error('connection reset'));
        },
      }),
      { status: 200 },
    ),
  'network error': async () => {
    throw new TypeError('fetch failed');
  },
  'thrown synchronously': () => {
    throw new Error('boom');
  },
  'thrown null': async () => {
    throw null;
  },
  'thrown with a reason code': async () => {
    throw Object.assign(new Error('blocked'), { code: 'CALLBACK_URL_BLOCKED' });
  },
  'thrown with a made-up code': async () => {
    throw Object.assign(new Error('odd'), { code: 'NOT_A_REASON_CODE' });
  },
  '302 redirect': async () =>
    new Response(null, { status: 302, headers: { location: 'http://127.0.0.1/' } }),
  '304 not modified': async () => new Response(null, { status: 304 }),
  '404 with JSON': json(fields('not found', CALLER), 404),
  '500 with JSON': json(fields('error', CALLER), 500),
  '503 with HTML': json('<html>down</html>', 503, 'text/html'),
  '204 no content': async () => new Response(null, { status: 204 }),
  'Content-Type says HTML, body is JSON': json(fields('html?', CALLER), 200, 'text/html'),
  'Content-Type says JSON, body is HTML': json('<html><body>{"name":"x"}</body></html>'),
};

/** A seeded generator (mulberry32), so the generated cases are the same on every run. */
function generator(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! };
}

const ATOMS = [
  '',
  ' ',
  '0',
  CALLER,
  '+',
  '9'.repeat(40),
  '\u0000',
  '\ud800',
  '\udfff',
  '😀',
  '\u202e',
  '\u200b',
  'ü',
  '{',
  '}',
  '{Digits}',
  '"',
  '\\',
  '__proto__',
  'null',
  'x'.repeat(3000),
] as const;
const KEYS = ['name', 'phone', '__proto__', 'constructor', 'a.b', '', 'toString', 'k-1', 'k_1'];

/** A random JSON value built from hostile atoms, as text (so it may also be cut short). */
function hostileValue(g: ReturnType<typeof generator>, depth: number): unknown {
  const r = g.next();
  if (depth > 3 || r < 0.45) {
    let s = '';
    const n = 1 + Math.floor(g.next() * 4);
    for (let i = 0; i < n; i++) s += g.pick(ATOMS);
    return s;
  }
  if (r < 0.55) return g.pick([0, -0, 1e308, -1e-308, 3.5, Number.MAX_SAFE_INTEGER + 2]);
  if (r < 0.6) return g.pick([true, false, null]);
  if (r < 0.75) return [hostileValue(g, depth + 1), hostileValue(g, depth + 1)];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < 3; i++) o[g.pick(KEYS)] = hostileValue(g, depth + 1);
  return o;
}

function generatedAnswers(count: number): Record<string, Answer> {
  const g = generator(20240115);
  const out: Record<string, Answer> = {};
  for (let i = 0; i < count; i++) {
    const doc: Record<string, unknown> = {
      name: hostileValue(g, 1),
      phone: hostileValue(g, 1),
      [g.pick(KEYS)]: hostileValue(g, 1),
    };
    let text = JSON.stringify(doc);
    // Some answers are cut short, as a dropped connection leaves them.
    if (g.next() < 0.2) text = text.slice(0, Math.floor(text.length * g.next()));
    const status = g.pick([200, 200, 200, 201, 299, 300, 400, 502]);
    out[`generated #${i} (${status})`] = json(text, status, g.pick(['application/json', 'text/x']));
  }
  return out;
}

const ANSWERS: Record<string, Answer> = { ...HOSTILE, ...generatedAnswers(60) };

/** The customer's URL answers with `answer`; the audit URL after the SMS always answers 204. */
function fakeFetch(answer: Answer): FetchGuarded {
  return (url, init) => {
    if (url.startsWith(AUDIT)) return Promise.resolve(new Response(null, { status: 204 }));
    assert.ok(url.startsWith(HOOK), `unexpected URL ${url}`);
    return answer(init.signal!);
  };
}

type Recipient = { kind: 'caller' } | { kind: 'dynamic'; from: string };

interface Variant {
  name: string;
  mode: 'sync' | 'async';
  to: Recipient;
}

const VARIANTS: Variant[] = [
  { name: 'sync, to the caller', mode: 'sync', to: { kind: 'caller' } },
  { name: 'sync, to a Passthru field', mode: 'sync', to: { kind: 'dynamic', from: 'p.phone' } },
  { name: 'async, to the caller', mode: 'async', to: { kind: 'caller' } },
];

/** IVR(gather) → Passthru → SMS → another Passthru (needs no caller) → Hangup. */
function flowFor(variant: Variant): FlowDocument {
  const passthruNext: Record<string, string> =
    variant.mode === 'sync' ? { success: 'sms', failure: 'sms' } : { default: 'sms' };
  return {
    start: 'menu',
    applets: {
      menu: {
        type: 'ivr',
        config: {
          mode: 'gather',
          prompt: { text: 'Enter your order number, then hash.' },
          maxDigits: 32,
          finishOnKey: '#',
          timeoutSeconds: 3,
          retries: 1,
        },
        next: { default: 'p', timeout: 'p' },
      },
      p: {
        type: 'passthru',
        config: { url: HOOK, mode: variant.mode, timeoutSeconds: 0.1 },
        next: passthruNext,
      },
      sms: {
        type: 'sms',
        config: {
          to: variant.to,
          senderId: 'ACMECO',
          body:
            'Order {Digits} for {p.name} ({p.name.a}, {p.phone}) from {CallFrom} at {DateTime}; ' +
            'ref {CallSid}.',
          dltTemplateId: TEST_TEMPLATE_ID,
          dltEntityId: TEST_ENTITY_ID,
        },
        next: { default: 'after' },
      },
      after: {
        type: 'passthru',
        config: { url: AUDIT, timeoutSeconds: 1 },
        next: { success: 'bye', failure: 'bye' },
      },
      bye: { type: 'hangup', config: {} },
    },
  };
}

interface Outbox {
  name: string;
  sendSms: SendSms;
  sent: FlowSmsRequest[];
  /** Checks an SMS log entry's SmsSid against what was stored. */
  verify(sid: string): Promise<void>;
}

function recordingOutbox(): Outbox {
  const sent: FlowSmsRequest[] = [];
  return {
    name: 'recording SendSms',
    sent,
    sendSms: (request) => {
      sent.push(request);
      const sid = `sms${sent.length}`;
      return { ok: true, sid, stored: Promise.resolve({ ok: true, message: { sid } }) };
    },
    async verify(sid) {
      assert.match(sid, /^sms[0-9]+$/);
    },
  };
}

function realOutbox(t: TestStore, accountSid: string): Outbox {
  const sender = createSender({ store: t.store, clock: t.clock });
  const sent: FlowSmsRequest[] = [];
  return {
    name: 'real sender on SQLite',
    sent,
    sendSms: (request, origin) => {
      sent.push(request);
      return sender.handOver(accountSid, request, origin);
    },
    async verify(sid) {
      const stored = await t.store.messages.getBySid(sid);
      assert.ok(stored, `message ${sid} is in the log but not in the store`);
      assert.equal(stored.accountSid, accountSid);
    },
  };
}

interface Case {
  script?: Partial<CallerScript>;
  /** The caller hangs up during the flow. */
  callerHangsUp?: boolean;
}

async function runCase(answer: Answer, variant: Variant, outbox: Outbox, c: Case = {}) {
  const before = outbox.sent.length;
  const { done } = simulateCall({
    flow: flowFor(variant),
    script: { from: CALLER, to: EXOPHONE, startAt: START, digits: '1234#', ...c.script },
    sendSms: outbox.sendSms,
    fetchGuarded: fakeFetch(answer),
    flowId: 'flow1',
  });
  const log = await done;
  await assertSurvived(log, outbox, c.callerHangsUp ?? false);
  return { log, sent: outbox.sent.slice(before) };
}

async function assertSurvived(log: CallLog, outbox: Outbox, callerHangsUp: boolean) {
  const detail = JSON.stringify({ endCode: log.endCode, endMessage: log.endMessage });
  assert.equal(log.endReason, callerHangsUp ? 'caller-hangup' : 'hangup-applet', detail);
  const ids = log.steps.map((s) => s.appletId);
  assert.deepEqual(ids.slice(-3), callerHangsUp ? ['p', 'sms', 'after'] : ['sms', 'after', 'bye']);
  assert.equal(log.steps.find((s) => s.appletId === 'sms')!.exit, 'default');
  assert.equal(log.sms.length, 1);
  for (const entry of log.sms) {
    assert.equal(entry.pending, undefined);
    assert.ok((entry.sid === undefined) !== (entry.code === undefined), JSON.stringify(entry));
    if (entry.sid !== undefined) await outbox.verify(entry.sid);
    else assert.match(entry.code!, /^[A-Z][A-Z0-9_]+$/);
  }
}

describe('a call survives hostile Passthru answers', () => {
  let t: TestStore;
  let outboxes: Outbox[];

  before(async () => {
    t = await openTestStore('sqlite');
    const account = await createTestAccount(t.store);
    outboxes = [recordingOutbox(), realOutbox(t, account.sid)];
  });
  after(async () => t.cleanup());

  for (const variant of VARIANTS) {
    test(variant.name, async () => {
      for (const outbox of outboxes) {
        for (const [name, answer] of Object.entries(ANSWERS)) {
          try {
            await runCase(answer, variant, outbox);
          } catch (error) {
            (error as Error).message = `${outbox.name}, ${name}: ${(error as Error).message}`;
            throw error;
          }
        }
      }
    });
  }

  test('the caller hangs up while the Passthru waits: the SMS and the step after it still run', async () => {
    for (const outbox of outboxes) {
      for (const name of ['slow answer beyond the timeout', 'NUL characters', 'emoji']) {
        await runCase(HOSTILE[name]!, VARIANTS[1]!, outbox, {
          script: { hangupAfterApplet: 'p' },
          callerHangsUp: true,
        });
      }
    }
  });

  test('hostile digit scripts', async () => {
    const scripts: Record<string, CallerScript['digits']> = {
      none: undefined,
      empty: '',
      '1,000 digits': '7'.repeat(1000),
      '*# only': '*#',
      '# only': '#',
      'stars only': '*'.repeat(100),
      'timed presses in the past and far future': [
        { at: 0, keys: '1' },
        { at: 1e9, keys: '2#' },
      ],
    };
    for (const outbox of outboxes) {
      for (const [name, digits] of Object.entries(scripts)) {
        const { log } = await runCase(HOSTILE.emoji!, VARIANTS[0]!, outbox, {
          script: digits === undefined ? { digits: '' } : { digits },
        }).catch((error: Error) => {
          error.message = `${outbox.name}, ${name}: ${error.message}`;
          throw error;
        });
        const digitsVar = log.steps.find((s) => s.appletId === 'menu')!.detail?.digits as string;
        assert.ok(digitsVar.length <= 32, name);
      }
    }
  });

  test('hostile caller numbers reach the recipient and the body', async () => {
    const callers = ['anonymous', '', ' ', `${CALLER}\u0000`, '+'.repeat(5000), '😀', '\ud800'];
    for (const outbox of outboxes) {
      for (const from of callers) {
        const { log } = await runCase(HOSTILE['fields are numbers']!, VARIANTS[0]!, outbox, {
          script: { from },
        }).catch((error: Error) => {
          error.message = `${outbox.name}, from ${JSON.stringify(from)}: ${error.message}`;
          throw error;
        });
        if (from.trim() === '') {
          assert.deepEqual(log.sms[0], {
            appletId: 'sms',
            code: 'INVALID_NUMBER',
            message: "no number in the call's caller",
          });
        }
      }
    }
  });

  test('what reaches the real sender is stored or refused with a reason code', async () => {
    const real = outboxes[1]!;
    const expectations: [string, Variant, string | undefined][] = [
      ['NUL characters', VARIANTS[0]!, 'INVALID_TEXT'],
      ['NUL characters', VARIANTS[1]!, 'INVALID_NUMBER'],
      ['lone surrogates', VARIANTS[0]!, 'INVALID_TEXT'],
      ['long field under the read limit', VARIANTS[0]!, 'TEXT_TOO_LONG'],
      ['long field under the read limit', VARIANTS[1]!, 'INVALID_NUMBER'],
      ['fields are objects', VARIANTS[1]!, 'INVALID_NUMBER'],
      ['top-level array', VARIANTS[1]!, 'INVALID_NUMBER'],
      ['emoji', VARIANTS[0]!, undefined],
      ['RTL text', VARIANTS[0]!, undefined],
      ['fields are numbers', VARIANTS[1]!, undefined],
    ];
    for (const [name, variant, code] of expectations) {
      const { log } = await runCase(HOSTILE[name]!, variant, real);
      assert.equal(log.sms[0]!.code, code, `${name}, ${variant.name}`);
    }
  });

  test('answer fields become variables as documented, and hostile keys do not', async () => {
    const box = recordingOutbox();
    const { log, sent } = await runCase(
      HOSTILE['__proto__ and constructor keys']!,
      VARIANTS[1]!,
      box,
    );
    assert.equal(sent[0]!.to, CALLER);
    assert.match(sent[0]!.body, /^Order 1234 for ok \(, \+919876543210\) from \+919876543210 at /);
    const step = log.steps.find((s) => s.appletId === 'p')!;
    assert.equal(step.exit, 'success');
    // A value is text: braces in it are not rendered again.
    const braces = await runCase(HOSTILE['braces that look like variables']!, VARIANTS[0]!, box);
    assert.match(
      braces.sent[0]!.body,
      /^Order 1234 for \{CallSid\}\{p\.phone\}\{#var#\} \(, \{CallFrom\}\)/,
    );
    const numbers = await runCase(HOSTILE['numbers beyond double (1e400)']!, VARIANTS[0]!, box);
    assert.match(numbers.sent[0]!.body, /^Order 1234 for Infinity \(, -Infinity\)/);
  });

  test('a slow answer ends at the timeout, not later, even when the fetch ignores the abort', async () => {
    for (const name of ['slow answer beyond the timeout', 'slow answer that ignores the abort']) {
      const started = performance.now();
      const { log } = await runCase(HOSTILE[name]!, VARIANTS[0]!, outboxes[0]!);
      const step = log.steps.find((s) => s.appletId === 'p')!;
      assert.equal(step.exit, 'failure', name);
      assert.equal(step.detail?.error, 'timeout', name);
      assert.ok(performance.now() - started < 1000, `${name}: the call waited past the timeout`);
    }
  });
});
