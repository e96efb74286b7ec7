/**
 * Robustness of every documented operation against hostile input: each operation of the OpenAPI
 * document (the app as `callflow serve` builds it, with the flow and web routes) gets hostile path
 * parameters, malformed and mistyped bodies, wrong content types, malformed forms and CSV files,
 * bad query strings and bad credentials. Every answer must be below 500; every refusal a JSON (or,
 * on the Exotel routes, XML) error whose code is in the catalogue; and a refused request must
 * leave both tenants' data exactly as it was.
 *
 * The inputs are enumerated, not drawn at random, so every run sends the same requests.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { flowRoutes } from '../src/api/routes/flows.ts';
import { webAppDeps } from '../src/api/routes/web.ts';
import { createAuthThrottle } from '../src/auth-throttle.ts';
import { createSender } from '../src/delivery/send.ts';
import { isReasonCode, REASON_CODES, REASONS } from '../src/errors.ts';
import { createFlowService, type FlowService } from '../src/flows/service.ts';
import { describeForStore, openTestStore, storeKinds } from '../src/store/testing.ts';
import type { Store } from '../src/store/types.ts';
import {
  type ApiFixture,
  apiFixture,
  basicAuth,
  json,
  smsBody,
  type Tenant,
} from './api-helpers.ts';

/** The parts of a JSON Schema the test reads. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  enum?: unknown[];
  format?: string;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: JsonSchema;
}
interface OpenApiOperation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
}
type ExotelError = { RestException: { Status: number; ReasonCode: string } };
interface Operation {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  pathParams: string[];
  query: Parameter[];
  /** Content types of the request body; empty when the operation takes none. */
  bodyTypes: string[];
  bodySchema: JsonSchema;
  secured: boolean;
}

const KB100 = 'x'.repeat(100_000);
const DEPTH = 10_000;
const A_EXOPHONE = '+914400000101';
const B_EXOPHONE = '+914400000102';
const B_DND_NUMBER = '+919800000102';
const MISSING_SID = '0'.repeat(32);

const enc = encodeURIComponent;
const hasType = (s: JsonSchema, type: string) =>
  Array.isArray(s.type) ? s.type.includes(type) : s.type === type;

/** Raw path segments, already URL-encoded (some of them badly on purpose). */
const HOSTILE_SEGMENTS: [string, string][] = [
  ['empty', ''],
  ['a space', '%20'],
  ['a dash', '-'],
  ['zero', '0'],
  ['5,000 characters', 'a'.repeat(5000)],
  ['dot-dot-slash', '..%2F..'],
  ['dot-dot-slash to /etc/passwd', '..%2F..%2F..%2F..%2Fetc%2Fpasswd'],
  ['NUL', '%00'],
  ['NUL inside', 'a%00b'],
  ['unicode', enc('नमस्ते😀‮')],
  ['an encoded lone surrogate', '%ED%A0%80'],
  ['invalid UTF-8', '%FF%FE'],
  ['a lone percent', '%'],
  ['a truncated escape', '%E0%A4%A'],
];

/** Values of query parameters, raw (already URL-encoded). */
const HOSTILE_QUERY_VALUES: [string, string][] = [
  ['empty', ''],
  ['NUL', '%00'],
  ['NUL inside', 'a%00b'],
  ['100 kB', KB100],
  ['unicode', enc('नमस्ते😀')],
  ['a lone surrogate', '%ED%A0%80'],
  ['a lone percent', '%'],
];
const BAD_INTEGERS = [
  'abc',
  '1.5',
  '-1',
  '0',
  '1e400',
  '-1e400',
  'Infinity',
  '99999999999999999999',
  '0x10',
  'NaN',
];
const BAD_DATES = [
  'yesterday',
  '2025-02-30T00:00:00Z',
  '2025-06-30T23:59:60Z',
  '2025-06-02',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00Z',
  '2025-06-02T06:30:00+99:99',
];
const b64url = (text: string) => Buffer.from(text).toString('base64url');
const BAD_CURSORS = [
  'garbage!',
  b64url('1.x'),
  b64url(`999999999999999.${'z'.repeat(64)}`),
  b64url('-1.abc'),
  b64url(`1.${'a'.repeat(65)}`),
];

/** A value of the wrong type that Fastify's ajv (coerceTypes: 'array') does not coerce. */
function wrongType(s: JsonSchema): unknown {
  if (hasType(s, 'string')) return { not: 'a string' };
  if (hasType(s, 'integer') || hasType(s, 'number')) return 'not a number';
  if (hasType(s, 'boolean')) return 'maybe';
  if (hasType(s, 'array')) return { not: 'an array' };
  if (hasType(s, 'object')) return 'not an object';
  return { unexpected: [1, { deep: true }] };
}

/** Nested `{"a":{"a":...}}`, as JSON text (built as text: no recursion to build or send it). */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('API robustness', () => {
  const distDir = mkdtempSync(join(tmpdir(), 'callflow-robustness-dist-'));
  writeFileSync(join(distDir, 'index.html'), '<!doctype html><title>callflow</title>');
  after(() => rmSync(distDir, { recursive: true, force: true }));

  for (const kind of storeKinds()) {
    describeForStore(kind, `[${kind}]`, () => {
      let fx: ApiFixture;
      let service: FlowService;
      let operations: Operation[];
      /** How many Store methods that may write were called so far. */
      let storeWrites: () => number;
      /** IDs of tenant b's resources: what a's requests must never reach. */
      const foreign: Record<string, string> = {};

      before(async () => {
        const opened = await openTestStore(kind);
        const watched = watchWrites(opened.store);
        storeWrites = watched.writes;
        const ts = { ...opened, store: watched.store };
        const sender = createSender({ store: ts.store, clock: ts.clock });
        service = createFlowService({
          store: ts.store,
          sendSms: (sid, request, origin) => sender.handOver(sid, request, origin),
          clock: ts.clock,
        });
        const web = webAppDeps({
          store: ts.store,
          sessionSecret: Buffer.alloc(32, 3),
          now: () => ts.clock().getTime(),
          distDir,
        });
        fx = await apiFixture(ts, {
          // Hundreds of probes send wrong credentials on purpose and must each get 401; the
          // throttle that would refuse them from one address has its own test.
          authThrottle: createAuthThrottle({ config: { maxFailures: 1_000_000 } }),
          authenticators: web.authenticators,
          extraRoutes: [flowRoutes({ service, store: ts.store }), ...web.extraRoutes],
        });
        operations = await documentedOperations(fx);
        Object.assign(foreign, await seedForeign(fx));
      });
      after(async () => {
        await service.drain();
        await fx.close();
      });

      /**
       * Sends requests and records every answer that breaks the rules, to report them all at once.
       * Both tenants' data is compared before and after each request that called a Store method
       * that may write: a refused request must leave it as it was.
       */
      function probe() {
        const problems: string[] = [];
        let sent = 0;
        let baseline: string | null = null;
        return {
          problems,
          count: () => sent,
          async send(
            label: string,
            opts: InjectOptions & { as?: Tenant | null },
            expect: Expectation = {},
          ): Promise<LightMyRequestResponse> {
            baseline ??= await snapshot(fx.store, [fx.a, fx.b]);
            // Every write stamps a new time, so that even rewriting a value shows in the data.
            fx.clock.advance(1);
            const writesBefore = storeWrites();
            const res = await fx.call(opts);
            sent++;
            const where = `${label}: ${opts.method} ${String(opts.url).slice(0, 120)}`;
            const problem = responseProblem(res, expect);
            if (problem !== null) problems.push(`${where} → ${problem}`);
            if (storeWrites() !== writesBefore) {
              const now = await snapshot(fx.store, [fx.a, fx.b]);
              if (res.statusCode >= 400 && now !== baseline) {
                problems.push(`${where} → refused (${res.statusCode}) but changed stored data`);
              }
              baseline = now;
            }
            return res;
          },
        };
      }

      function report(t: { diagnostic(message: string): void }, p: ReturnType<typeof probe>) {
        t.diagnostic(`${p.count()} requests`);
        assert.deepEqual(
          p.problems,
          [],
          `${p.problems.length} problems:\n${p.problems.join('\n')}`,
        );
        assert.equal(
          (Object.prototype as Record<string, unknown>).polluted,
          undefined,
          'a request polluted Object.prototype',
        );
      }

      /** A plausible value for a path parameter of tenant a, already URL-encoded. */
      function ownSegment(op: Operation, name: string): string {
        const { a } = fx;
        switch (name) {
          case 'entityId':
            return a.entityId;
          case 'senderId':
            return a.senderId;
          case 'templateId':
            return a.templateId;
          case 'number':
            return enc(op.path.startsWith('/api/v1/numbers') ? A_EXOPHONE : '+919812345678');
          case 'sid':
            return op.path.startsWith('/v1/Accounts') ? a.sid : MISSING_SID;
          case 'type':
            return 'sms';
          default:
            return MISSING_SID;
        }
      }

      /**
       * Tenant b's value for a path parameter, and whether b owns what it names (a may keep a DND
       * record for the same number; an ExoPhone, like an ID, belongs to one account).
       */
      function foreignSegment(op: Operation, name: string): [string, boolean] | null {
        const owned = (value: string): [string, boolean] => [value, true];
        if (name === 'number') {
          return op.path.startsWith('/api/v1/numbers')
            ? owned(enc(B_EXOPHONE))
            : [enc(B_DND_NUMBER), false];
        }
        if (name === 'sid') {
          if (op.path.startsWith('/v1/Accounts')) return owned(fx.b.sid);
          return owned(
            op.path.startsWith('/api/v1/calls') ? foreign.callSid! : foreign.messageSid!,
          );
        }
        if (name === 'id') {
          return owned(op.path.startsWith('/api/v1/account') ? fx.b.keyId : foreign.flowId!);
        }
        if (name === 'smsSid') return owned(foreign.messageSid!);
        if (name === 'entityId') return owned(fx.b.entityId);
        if (name === 'templateId') return owned(fx.b.templateId);
        return null;
      }

      function urlOf(op: Operation, segments: Record<string, string> = {}, query = ''): string {
        const path = op.path.replace(
          /\{(\w+)\}/g,
          (_m, name: string) => segments[name] ?? ownSegment(op, name),
        );
        return query === '' ? path : `${path}?${query}`;
      }

      let serial = 0;
      /** A plausible value for a body field or query parameter of tenant a. */
      function plausible(name: string, s: JsonSchema): unknown {
        const { a } = fx;
        const byName: Record<string, unknown> = {
          entityId: a.entityId,
          dltEntityId: a.entityId,
          DltEntityId: a.entityId,
          templateId: a.templateId,
          dltTemplateId: a.templateId,
          DltTemplateId: a.templateId,
          senderId: a.senderId,
          from: a.senderId,
          From: a.senderId,
          to: '+919812345678',
          To: '+919812345678',
          number: '+919812345678',
          Body: 'Your OTP is 482913. Do not share it.',
          body: 'Your OTP is 482913. Do not share it.',
          // Free text differs from one request to the next, so that a write shows in the data.
          name: `Robustness ${++serial}`,
          label: `key ${serial}`,
          content: `Your code is {#var#}. Ref ${serial}.`,
          value: `https://acme.example/offer/${serial}`,
          customField: `order-${serial}`,
          CustomField: `order-${serial}`,
          timeZone: 'Asia/Kolkata',
          preferences: [1, 2],
          senderIds: [a.senderId],
          expiresAt: '2030-01-01T00:00:00Z',
          messages: [smsBody(a)],
          Messages: [{ To: '+919812345678', Body: 'Your OTP is 482913. Do not share it.' }],
          key: a.key,
          token: 'not-the-token',
          validitySeconds: 60,
        };
        if (name in byName) return byName[name];
        if (s.enum !== undefined) return s.enum[0];
        if (hasType(s, 'string')) return s.format === 'date-time' ? '2025-06-01T00:00:00Z' : 'x';
        if (hasType(s, 'integer') || hasType(s, 'number')) return 1;
        if (hasType(s, 'boolean')) return true;
        if (hasType(s, 'array')) return [];
        if (hasType(s, 'null')) return null;
        return {};
      }

      function plausibleBody(op: Operation): Record<string, unknown> {
        const props = op.bodySchema.properties ?? {};
        const body: Record<string, unknown> = {};
        for (const [name, s] of Object.entries(props)) body[name] = plausible(name, s);
        if (op.path === '/api/v1/calls') return { from: '+919876543210', to: '+914400000999' };
        return body;
      }

      test('the document lists the whole API', () => {
        const listed = new Set(operations.map((op) => `${op.method} ${op.path}`));
        for (const op of [
          'POST /api/v1/sms',
          'POST /v1/Accounts/{sid}/Sms/send',
          'POST /api/v1/flows',
          'POST /api/v1/calls',
          'POST /api/v1/session',
          'GET /api/v1/events',
          'POST /api/v1/dnd/import',
        ]) {
          assert.ok(listed.has(op), `${op} is documented`);
        }
        assert.ok(operations.length >= 60, `${operations.length} operations`);
      });

      test('every secured operation answers 401 UNAUTHORIZED without valid credentials', async (t) => {
        const p = probe();
        const { a } = fx;
        const b64 = (text: string) => Buffer.from(text).toString('base64');
        const credentials: [string, Record<string, string>][] = [
          ['none', {}],
          ['Basic without a value', { authorization: 'Basic' }],
          ['Basic with invalid base64', { authorization: 'Basic !!!***' }],
          ['Basic without a colon', { authorization: `Basic ${b64('nocolon')}` }],
          ['Basic with an empty key', { authorization: `Basic ${b64(':token')}` }],
          ['a wrong token', { authorization: basicAuth(a.key, 'wrong') }],
          ['a NUL in the key', { authorization: `Basic ${b64(`${a.key}\u0000:x`)}` }],
          ['a 5,000-character key', { authorization: basicAuth('k'.repeat(5000), 't') }],
          ['a unicode key', { authorization: basicAuth('ключ😀', 'токен') }],
          ['a Bearer token', { authorization: 'Bearer abc.def.ghi' }],
          ['a forged session cookie', { cookie: 'callflow_session=e30.AAAA' }],
          ['a garbage session cookie', { cookie: `callflow_session=${'%00'.repeat(100)}` }],
        ];
        for (const op of operations.filter((o) => o.secured)) {
          for (const [label, headers] of credentials) {
            await p.send(
              `credentials: ${label}`,
              { method: op.method, url: urlOf(op), headers, as: null },
              { unauthorized: true },
            );
          }
        }
        report(t, p);
      });

      test('hostile path parameters are refused with a catalogued code, never 5xx', async (t) => {
        const p = probe();
        for (const op of operations.filter((o) => o.pathParams.length > 0)) {
          const payload = op.bodyTypes.includes('application/json') ? plausibleBody(op) : undefined;
          for (const name of op.pathParams) {
            const values: [string, string, boolean][] = HOSTILE_SEGMENTS.map(([l, v]) => [
              l,
              v,
              false,
            ]);
            const other = foreignSegment(op, name);
            if (other !== null) values.push(["another tenant's", ...other]);
            for (const [label, value, isForeign] of values) {
              await p.send(
                `path ${name}: ${label}`,
                {
                  method: op.method,
                  url: urlOf(op, { [name]: value }),
                  ...(payload !== undefined && { payload }),
                },
                { refused: isForeign },
              );
            }
          }
        }
        report(t, p);
      });

      test('malformed, mistyped and oversized bodies are refused, never 5xx', async (t) => {
        const p = probe();
        for (const op of operations.filter((o) => o.bodyTypes.includes('application/json'))) {
          const base = plausibleBody(op);
          const fresh = () => plausibleBody(op);
          const props = Object.entries(op.bodySchema.properties ?? {});
          const variants: [string, string, string][] = [];
          const asJson = (label: string, value: unknown) =>
            variants.push([label, 'application/json', JSON.stringify(value)]);
          for (const [label, text] of [
            ['invalid JSON', '{"to": '],
            ['truncated JSON', JSON.stringify(base).slice(0, -1)],
            ['an empty body', ''],
            ['only whitespace', ' \n '],
            ['an array', '[]'],
            ['an array of the body', JSON.stringify([base])],
            ['a string', '"text"'],
            ['a number', '42'],
            ['null', 'null'],
            ['true', 'true'],
            ['a __proto__ key', '{"__proto__": {"polluted": true}}'],
            ['a constructor.prototype key', '{"constructor": {"prototype": {"polluted": true}}}'],
            ['a deeply nested object', deepObject(DEPTH)],
            ['a deeply nested array', deepArray(DEPTH)],
            [
              'a deeply nested property',
              `${JSON.stringify(base).slice(0, -1)}${props.length > 0 ? ',' : ''}"nested":${deepObject(DEPTH)}}`,
            ],
          ] as const) {
            variants.push([label, 'application/json', text]);
          }
          asJson(
            'every property of the wrong type',
            Object.fromEntries(props.map(([name, s]) => [name, wrongType(s)])),
          );
          asJson('unknown properties', {
            ...fresh(),
            unknownProperty: 'x',
            other: { nested: [1] },
          });
          asJson('a 100 kB unknown property', { ...fresh(), padding: KB100 });
          asJson('a NUL in an unknown property', { ...fresh(), note: { text: 'a\u0000b' } });
          asJson('a NUL in a property name', { ...fresh(), 'a\u0000b': 1 });
          for (const [name, s] of props) {
            asJson(`${name} of the wrong type`, { ...fresh(), [name]: wrongType(s) });
            asJson(
              `${name} missing`,
              Object.fromEntries(Object.entries(fresh()).filter(([k]) => k !== name)),
            );
            asJson(`${name} null`, { ...fresh(), [name]: null });
            if (hasType(s, 'string')) {
              asJson(`${name} of 100 kB`, { ...fresh(), [name]: KB100 });
              asJson(`${name} with a lone surrogate`, { ...fresh(), [name]: 'a\ud800b' });
              asJson(`${name} in unicode`, { ...fresh(), [name]: 'नमस्ते 😀 ‮' });
            }
            if (hasType(s, 'integer') || hasType(s, 'number')) {
              for (const n of [-1, 0, 1.5, 1e300, Number.MAX_SAFE_INTEGER + 2]) {
                asJson(`${name} ${n}`, { ...fresh(), [name]: n });
              }
              // Strings that ajv coerces to a number.
              for (const n of ['1e400', '-1e400', 'Infinity', '12']) {
                asJson(`${name} "${n}"`, { ...fresh(), [name]: n });
              }
            }
            if (hasType(s, 'array')) {
              asJson(`${name} with 10,000 items`, {
                ...fresh(),
                [name]: Array.from({ length: 10_000 }, (_, i) => i),
              });
            }
          }
          // A NUL in each string, however deep (the items of a bulk send too).
          for (const path of stringLeaves(base)) {
            asJson(`${path.join('/')} with a NUL`, replaced(fresh(), path, 'a\u0000b'));
          }
          // The tenant API speaks JSON and forms: other types are a 415, not a crash.
          for (const [type, text] of [
            ['text/plain', JSON.stringify(base)],
            ['application/xml', '<sms><to>+919812345678</to></sms>'],
            ['application/json; charset=utf-16', JSON.stringify(base)],
            ['multipart/form-data', 'no boundary'],
            ['multipart/form-data; boundary=x', '--x\r\ngarbage'],
            ['application/octet-stream', '\u0000\u0001\u0002'],
          ] as const) {
            variants.push([`content type ${type}`, type, text]);
          }
          for (const [label, form] of formVariants(base)) {
            variants.push([`form: ${label}`, 'application/x-www-form-urlencoded', form]);
          }
          for (const [label, contentType, payload] of variants) {
            await p.send(label, {
              method: op.method,
              url: urlOf(op),
              // As the web app sends it, so that sign-in reads its body.
              headers: { 'content-type': contentType, 'x-requested-with': 'callflow-web' },
              payload,
            });
          }
        }
        report(t, p);
      });

      test('a value that is not a string where the schema says string is refused, never coerced', async (t) => {
        const p = probe();
        const onlyString = (s: JsonSchema) =>
          hasType(s, 'string') &&
          !['number', 'integer', 'boolean', 'array', 'object'].some((type) => hasType(s, type));
        let checked = 0;
        for (const op of operations.filter((o) => o.bodyTypes.includes('application/json'))) {
          for (const [name, s] of Object.entries(op.bodySchema.properties ?? {})) {
            if (!onlyString(s)) continue;
            checked++;
            for (const value of [true, 1e308, 42, ['x'], { x: 'y' }]) {
              await p.send(
                `${name} ${JSON.stringify(value)}`,
                {
                  method: op.method,
                  url: urlOf(op),
                  headers: {
                    'content-type': 'application/json',
                    'x-requested-with': 'callflow-web',
                  },
                  payload: JSON.stringify({ ...plausibleBody(op), [name]: value }),
                },
                { code: 'VALIDATION_FAILED' },
              );
            }
          }
        }
        t.diagnostic(`${checked} string properties`);
        assert.ok(checked >= 20, `only ${checked} string properties found`);
        report(t, p);
      });

      test('malformed CSV uploads are refused and import nothing, never 5xx', async (t) => {
        const p = probe();
        const boundary = 'robustness';
        const multipart = (parts: string) =>
          `${parts}--${boundary}--\r\n`.replaceAll('\n', '\r\n').replaceAll('\r\r', '\r');
        const file = (name: string, content: string) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="x.csv"\r\nContent-Type: text/csv\r\n\r\n${content}\r\n`;
        const field = (name: string, value: string) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
        const csv: [string, string, string | Buffer][] = [
          ['invalid UTF-8', 'text/csv', Buffer.from([0xff, 0xfe, 0x00, 0x2c, 0xc3, 0x28, 0x0a])],
          ['a NUL in every cell', 'text/csv', 'number,preferences\n\u0000,\u0000\n'],
          ['an unterminated quote', 'text/csv', 'number,preferences\n"+919812345678,0\n'],
          ['a 100 kB cell', 'text/csv', `number,preferences\n${KB100},0\n`],
          ['1,000 columns', 'text/csv', `${'c,'.repeat(1000)}\n${'1,'.repeat(1000)}\n`],
          ['only a header', 'text/csv', 'Template ID,Template Content\n'],
          [
            'bad rows',
            'text/csv',
            'Template ID,Entity ID,Template Content,Template Type,Status\nx,y,,nope,maybe\n',
          ],
          ['JSON', 'application/json', '{"number": "+919812345678"}'],
          ['XML', 'application/xml', '<csv/>'],
          ['multipart without a boundary', 'multipart/form-data', 'garbage'],
          ['multipart of garbage', `multipart/form-data; boundary=${boundary}`, 'garbage'],
          [
            'multipart without a file',
            `multipart/form-data; boundary=${boundary}`,
            multipart(field('note', 'no file here')),
          ],
          [
            'multipart with two files',
            `multipart/form-data; boundary=${boundary}`,
            multipart(file('file', 'x,y\n1,2\n') + file('file', 'x,y\n1,2\n')),
          ],
          [
            'multipart with an invalid file',
            `multipart/form-data; boundary=${boundary}`,
            multipart(file('file', '\u0000,\u0000\n"unterminated\n')),
          ],
          [
            'truncated multipart',
            `multipart/form-data; boundary=${boundary}`,
            file('file', 'number\n+919812345678\n').slice(0, -10),
          ],
        ];
        for (const op of operations.filter((o) => o.bodyTypes.includes('text/csv'))) {
          for (const [label, contentType, payload] of csv) {
            await p.send(label, {
              method: op.method,
              url: urlOf(op),
              headers: { 'content-type': contentType },
              payload,
            });
          }
        }
        report(t, p);
      });

      test('malformed Exotel forms are refused with a catalogued code, never 5xx', async (t) => {
        const p = probe();
        const { a } = fx;
        const forms: [string, string][] = [
          ['a lone percent', 'To=%&Body=%'],
          ['a truncated escape', 'To=%E0%A4%A&From=ACMECO'],
          ['stray separators', 'a=b=c&&=&&&=='],
          ['a __proto__ key', '__proto__[polluted]=yes&To=+919812345678'],
          ['a nested __proto__ key', 'Messages[0][__proto__][polluted]=yes'],
          ['a constructor key', 'constructor[prototype][polluted]=yes'],
          ['To[] mixed with To[x]', 'To[]=1&To[x]=2&To=3'],
          ['Messages as a string', 'Messages=x&From=ACMECO'],
          ['a Messages item that is a string', 'Messages[0]=x'],
          ['a sparse Messages index', `Messages[${'9'.repeat(20)}][To]=1&Messages[0][Body]=b`],
          ['a named Messages index', 'Messages[x][To]=1&Messages[0][To]=2'],
          ['1,000 brackets', `To${'[a]'.repeat(1000)}=1`],
          ['an unclosed bracket', 'To[=1&Body]=2&[=3'],
          ['10,000 commas in To', `To=${','.repeat(10_000)}&Body=x&From=ACMECO`],
          ['101 recipients', `To=${Array(101).fill('+919812345678').join(',')}&Body=x&From=ACMECO`],
          ['a 100 kB Body', `To=+919812345678&From=ACMECO&Body=${KB100}`],
          ['repeated keys', 'Body=a&Body=b&From=A&From=B&To=1&To=2'],
          ['NUL everywhere', 'From=%00&To=%00&Body=%00&DltEntityId=%00&DltTemplateId=%00'],
          [
            'a NUL in CustomField',
            new URLSearchParams({
              From: a.senderId,
              To: '+919812345678',
              Body: 'Your OTP is 482913. Do not share it.',
              DltEntityId: a.entityId,
              DltTemplateId: a.templateId,
              CustomField: 'a\u0000b',
            }).toString(),
          ],
          [
            'a NUL in a bulk CustomField',
            new URLSearchParams({
              From: a.senderId,
              DltEntityId: a.entityId,
              'Messages[0][To]': '+919812345678',
              'Messages[0][Body]': 'Your OTP is 482913. Do not share it.',
              'Messages[0][DltTemplateId]': a.templateId,
              'Messages[0][CustomField]': 'a\u0000b',
            }).toString(),
          ],
          [
            'a NUL DltEntityId and no template to match',
            `From=ACMECO&DltEntityId=%00&To=%2B919812345678&Body=x&Messages[0][To]=%2B919812345678&Messages[0][Body]=x`,
          ],
          ['an unknown SmsType', `SmsType=${enc('{}')}&To=1&Body=x&From=ACMECO`],
          ['an empty body', ''],
        ];
        const exotel = operations.filter((o) =>
          o.bodyTypes.includes('application/x-www-form-urlencoded'),
        );
        assert.equal(exotel.length, 4, 'the four Exotel send routes take forms');
        for (const op of exotel) {
          for (const [label, form] of forms) {
            await p.send(label, {
              method: op.method,
              url: urlOf(op),
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              payload: form,
            });
          }
          for (const accept of ['application/json', 'application/xml', '*/*', '']) {
            await p.send(`Accept ${accept}`, {
              method: op.method,
              url: urlOf(op),
              headers: { 'content-type': 'application/json', accept },
              payload: '{"To": ',
            });
          }
        }
        report(t, p);
      });

      test('bad query strings are refused with a catalogued code, never 5xx', async (t) => {
        const p = probe();
        for (const op of operations) {
          const required = op.query.filter((q) => q.required);
          const defaults = (except: string) =>
            required
              .filter((q) => q.name !== except)
              .map((q) => `${q.name}=${enc(String(plausible(q.name, q.schema)))}`);
          const payload = op.bodyTypes.includes('text/csv')
            ? { headers: { 'content-type': 'text/csv' }, payload: '' }
            : op.bodyTypes.includes('application/json')
              ? { payload: plausibleBody(op) }
              : {};
          const send = (label: string, parts: string[]) =>
            p.send(label, {
              method: op.method,
              url: urlOf(op, {}, parts.join('&')),
              ...payload,
            });

          await send('an unknown parameter', [...defaults(''), 'unknown=1', 'unknown=2']);
          await send('stray separators', [...defaults(''), '&&=&==', '%']);
          for (const q of op.query) {
            const rest = defaults(q.name);
            const values: [string, string][] = [...HOSTILE_QUERY_VALUES];
            if (q.schema.enum !== undefined) values.push(['not a value', 'not-a-value']);
            if (hasType(q.schema, 'integer') || hasType(q.schema, 'number')) {
              for (const n of BAD_INTEGERS) values.push([n, n]);
            }
            if (hasType(q.schema, 'boolean')) values.push(['maybe', 'maybe'], ['2', '2']);
            if (q.schema.format === 'date-time')
              for (const d of BAD_DATES) values.push([d, enc(d)]);
            if (q.name === 'cursor') for (const c of BAD_CURSORS) values.push([c, enc(c)]);
            for (const [label, value] of values) {
              await send(`${q.name}: ${label}`, [...rest, `${q.name}=${value}`]);
            }
            const sample = enc(String(plausible(q.name, q.schema)));
            await send(`${q.name} repeated`, [...rest, `${q.name}=${sample}`, `${q.name}=x`]);
            await send(`${q.name}[] `, [...rest, `${q.name}[]=${sample}`]);
            await send(`${q.name}[key]`, [...rest, `${q.name}[a]=${sample}`]);
          }
          if (
            op.query.some((q) => q.name === 'since') &&
            op.query.some((q) => q.name === 'until')
          ) {
            await send('since after until', [
              'since=2025-06-02T00:00:00Z',
              'until=2025-06-01T00:00:00Z',
            ]);
            await send('a century apart', [
              'since=1925-06-01T00:00:00Z',
              'until=2025-06-01T00:00:00Z',
            ]);
          }
        }
        report(t, p);
      });

      test('pages outside the API answer below 500 whatever the path', async (t) => {
        const p = probe();
        for (const path of [
          '/%00',
          '/..%2F..%2Fetc%2Fpasswd',
          '/assets/..%2F..%2Fpackage.json',
          '/assets/%00.js',
          `/${'a'.repeat(5000)}`,
          '/%ED%A0%80',
          '/%',
          '/metrics?x=%00',
          '/api/docs/%00',
          '/api/openapi.json?x[]=%00',
        ]) {
          const res = await p.send('page', { method: 'GET', url: path });
          if (res.statusCode >= 500) continue;
          if (res.statusCode === 200 && /passwd|"name": "callflow"/.test(res.body)) {
            p.problems.push(`GET ${path} → served a file outside web/dist`);
          }
        }
        report(t, p);
      });

      // One test per defect the probes above found, so each stays fixed on its own terms.

      test('a form key cannot reach Object.prototype through the Exotel parameters', async () => {
        const form = (url: string, payload: string) =>
          fx.call({
            method: 'POST',
            url: `/v1/Accounts/${fx.a.sid}/Sms/${url}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload,
          });
        const send = await form('send.json', '__proto__[polluted]=yes&To[__proto__][x]=1');
        assert.equal(send.statusCode, 400, send.body);
        assert.equal(json<ExotelError>(send).RestException.ReasonCode, 'VALIDATION_FAILED');
        const bulk = await form('bulksend.json', 'Messages[0][__proto__][polluted]=yes');
        assert.equal(bulk.statusCode, 200, bulk.body);
        assert.equal(json<ExotelError[]>(bulk)[0]!.RestException.ReasonCode, 'VALIDATION_FAILED');
        assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
      });

      test('a deeply nested Exotel body is refused, not a stack overflow', async () => {
        const url = `/v1/Accounts/${fx.a.sid}/Sms/send.json`;
        for (const [contentType, payload] of [
          ['application/json', deepObject(100_000)],
          ['application/x-www-form-urlencoded', `To${'[a]'.repeat(100_000)}=1&Body=x`],
        ]) {
          const res = await fx.call({
            method: 'POST',
            url,
            headers: { 'content-type': contentType! },
            payload: payload!,
          });
          assert.equal(res.statusCode, 400, res.body.slice(0, 300));
          assert.equal(json<ExotelError>(res).RestException.ReasonCode, 'VALIDATION_FAILED');
        }
      });

      test('a malformed multipart upload is refused with MALFORMED_REQUEST, importing nothing', async () => {
        const numbers = await fx.store.dnd.count(fx.a.sid);
        for (const [contentType, payload] of [
          ['multipart/form-data', 'no boundary'],
          ['multipart/form-data; boundary=x', 'garbage'],
          [
            'multipart/form-data; boundary=x',
            '--x\r\nContent-Disposition: form-data; name="file"; filename="dnd.csv"\r\n\r\n+919800000001,0\n+9198',
          ],
        ]) {
          const res = await fx.call({
            method: 'POST',
            url: '/api/v1/dnd/import',
            headers: { 'content-type': contentType! },
            payload: payload!,
          });
          assert.equal(res.statusCode, 400, res.body);
          assert.equal(json(res).code, 'MALFORMED_REQUEST');
        }
        assert.equal(await fx.store.dnd.count(fx.a.sid), numbers);
      });

      test('a number ajv coerces to Infinity is refused (ajv-validator/ajv#2212)', async () => {
        const { a } = fx;
        const list = await fx.call({ method: 'GET', url: '/api/v1/sms?limit=1e400' });
        assert.equal(list.statusCode, 400, list.body);
        assert.deepEqual(json(list).details, [
          { in: 'querystring', path: '/limit', message: 'must be a finite number' },
        ]);

        const rates = (await fx.store.accounts.get(a.sid))!.rates;
        const patch = await fx.call({
          method: 'PATCH',
          url: '/api/v1/account',
          payload: { rates: { transactional: 'Infinity' } },
        });
        assert.equal(patch.statusCode, 400, patch.body);
        assert.equal(json(patch).code, 'VALIDATION_FAILED');
        assert.deepEqual((await fx.store.accounts.get(a.sid))!.rates, rates);

        // A bulk item is refused on its own, as any other bad item.
        const bulk = await fx.call({
          method: 'POST',
          url: '/api/v1/sms/bulk',
          payload: { messages: [smsBody(a, { validitySeconds: '1e400' }), smsBody(a)] },
        });
        assert.equal(bulk.statusCode, 202, bulk.body);
        const { results } = json<{ results: { ok: boolean; code?: string; field?: string }[] }>(
          bulk,
        );
        assert.deepEqual(
          results.map((r) => [r.ok, r.code, r.field]),
          [
            [false, 'VALIDATION_FAILED', 'validitySeconds'],
            [true, undefined, undefined],
          ],
        );
      });

      test('a leap second is not a date-time the API accepts', async () => {
        for (const url of [
          '/api/v1/reports/sms/summary?since=2025-06-30T23:59:60Z',
          '/api/v1/sms?until=2025-06-30T23:59:60Z',
          '/api/v1/calls?since=2025-06-30T23:59:60Z',
        ]) {
          const res = await fx.call({ method: 'GET', url });
          assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
          assert.equal(json(res).code, 'VALIDATION_FAILED');
        }
      });

      test('a URL the router cannot read gets MALFORMED_REQUEST', async () => {
        for (const segment of ['%', '%ED%A0%80', 'a'.repeat(5000)]) {
          const res = await fx.call({
            method: 'PATCH',
            url: `/api/v1/dlt/entities/${segment}`,
            payload: { name: 'x' },
          });
          assert.equal(res.statusCode, 400, segment.slice(0, 20));
          assert.equal(json(res).code, 'MALFORMED_REQUEST');
        }
      });

      test('a NUL is refused with INVALID_TEXT wherever it is, and nothing is written', async () => {
        const { a } = fx;
        const name = (await fx.store.accounts.get(a.sid))!.name;
        const flows = (await fx.store.flows.list(a.sid)).length;
        for (const [request, where] of [
          [
            { method: 'GET', url: '/api/v1/sms/a%00b' },
            { in: 'params', field: 'sid' },
          ],
          [
            { method: 'GET', url: '/api/v1/sms?from=%00' },
            { in: 'querystring', field: 'from' },
          ],
          [
            { method: 'PATCH', url: '/api/v1/account', payload: { name: 'Acme\u0000' } },
            { in: 'body', field: 'name' },
          ],
          [
            {
              method: 'POST',
              url: '/api/v1/flows',
              payload: {
                start: 'bye',
                applets: { bye: { type: 'hangup', config: { 'no\u0000te': 'x' } } },
              },
            },
            { in: 'body', field: 'applets/bye/config/no\u0000te' },
          ],
        ] as const) {
          const res = await fx.call(request);
          assert.equal(res.statusCode, 400, res.body);
          assert.equal(json(res).code, 'INVALID_TEXT');
          assert.deepEqual(json(res).details, where);
        }
        assert.equal((await fx.store.accounts.get(a.sid))!.name, name);
        assert.equal((await fx.store.flows.list(a.sid)).length, flows);

        const key = Buffer.from(`${a.key}\u0000:${a.token}`).toString('base64');
        const res = await fx.call({
          method: 'GET',
          url: '/api/v1/account',
          headers: { authorization: `Basic ${key}` },
          as: null,
        });
        assert.equal(res.statusCode, 401);
        assert.equal(json(res).code, 'UNAUTHORIZED');
      });

      test('a bulk item with a NUL is refused alone; a single send as a whole', async () => {
        const { a } = fx;
        const bulk = await fx.call({
          method: 'POST',
          url: '/api/v1/sms/bulk',
          payload: { messages: [smsBody(a, { customField: 'a\u0000b' }), smsBody(a)] },
        });
        assert.equal(bulk.statusCode, 202, bulk.body);
        const { results } = json<{ results: { ok: boolean; code?: string; field?: string }[] }>(
          bulk,
        );
        assert.deepEqual(results[0], {
          index: 0,
          ok: false,
          code: 'INVALID_TEXT',
          error: 'customField contains a NUL character.',
          field: 'customField',
        });
        assert.equal(results[1]!.ok, true);

        const exotel = (path: string, fields: Record<string, string>) =>
          fx.call({
            method: 'POST',
            url: `/v1/Accounts/${a.sid}/Sms/${path}`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({
              From: a.senderId,
              DltEntityId: a.entityId,
              DltTemplateId: a.templateId,
              ...fields,
            }).toString(),
          });
        const send = await exotel('send.json', {
          To: '+919812345678',
          Body: 'Your OTP is 482913. Do not share it.',
          CustomField: 'a\u0000b',
        });
        assert.equal(send.statusCode, 400, send.body);
        assert.equal(json<ExotelError>(send).RestException.ReasonCode, 'INVALID_TEXT');
        const bulksend = await exotel('bulksend.json', {
          'Messages[0][To]': '+919812345678',
          'Messages[0][Body]': 'Your OTP is 482913. Do not share it.',
          'Messages[0][CustomField]': 'a\u0000b',
          'Messages[1][To]': '+919812345679',
          'Messages[1][Body]': 'Your OTP is 482914. Do not share it.',
        });
        assert.equal(bulksend.statusCode, 200, bulksend.body);
        const entries = json<Record<string, { ReasonCode?: string }>[]>(bulksend);
        assert.equal(entries[0]!.RestException!.ReasonCode, 'INVALID_TEXT');
        assert.ok(entries[1]!.SMSMessage, bulksend.body);
      });
    });
  }
});

/** Every operation of the OpenAPI document, with what the test needs to know about it. */
async function documentedOperations(fx: ApiFixture): Promise<Operation[]> {
  const res = await fx.app.inject({ method: 'GET', url: '/api/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = json<{ paths: Record<string, Record<string, OpenApiOperation>> }>(res);
  const operations: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (method === 'head') continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      operations.push({
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: params.filter((x) => x.in === 'path').map((x) => x.name),
        query: params.filter((x) => x.in === 'query'),
        bodyTypes: Object.keys(content),
        bodySchema: Object.values(content)[0]?.schema ?? {},
        secured: op.security === undefined || op.security.length > 0,
      });
    }
  }
  return operations;
}

/** Tenant b's message, flow, number, call and DND record, created through the API. */
async function seedForeign(fx: ApiFixture): Promise<Record<string, string>> {
  const { b } = fx;
  const ok = (res: LightMyRequestResponse) => {
    assert.ok(res.statusCode < 300, `${res.statusCode} ${res.body}`);
    return json(res);
  };
  const message = ok(
    await fx.call({ as: b, method: 'POST', url: '/api/v1/sms', payload: smsBody(b) }),
  );
  const flow = ok(
    await fx.call({
      as: b,
      method: 'POST',
      url: '/api/v1/flows',
      payload: { name: 'Hang up', start: 'bye', applets: { bye: { type: 'hangup' } } },
    }),
  );
  ok(await fx.call({ as: b, method: 'POST', url: `/api/v1/flows/${flow.id}/publish` }));
  ok(
    await fx.call({
      as: b,
      method: 'PUT',
      url: `/api/v1/numbers/${enc(B_EXOPHONE)}`,
      payload: { flowId: flow.id },
    }),
  );
  const call = ok(
    await fx.call({
      as: b,
      method: 'POST',
      url: '/api/v1/calls?wait=true',
      payload: { from: '+919876543210', to: B_EXOPHONE },
    }),
  );
  ok(
    await fx.call({
      as: b,
      method: 'PUT',
      url: `/api/v1/dnd/${enc(B_DND_NUMBER)}`,
      payload: { preferences: [0] },
    }),
  );
  return {
    messageSid: String(message.sid),
    flowId: String(flow.id),
    callSid: String(call.sid),
  };
}

type JsonPath = (string | number)[];

/** The path to every string inside a JSON value. */
function stringLeaves(value: unknown, path: JsonPath = []): JsonPath[] {
  if (typeof value === 'string') return [path];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    stringLeaves(child, [...path, Array.isArray(value) ? Number(key) : key]),
  );
}

/** A copy of a JSON value with the value at `path` replaced. */
function replaced(value: unknown, path: JsonPath, replacement: unknown): unknown {
  const copy = structuredClone(value);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = replacement;
  return copy;
}

/** Form bodies built from a plausible JSON body, and malformed ones. */
function formVariants(base: Record<string, unknown>): [string, string][] {
  const flat = new URLSearchParams();
  for (const [k, v] of Object.entries(base)) {
    flat.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return [
    ['the body as a form', flat.toString()],
    ['a lone percent', `${flat}&x=%`],
    ['a __proto__ key', '__proto__[polluted]=yes&__proto__=x'],
    ['bracket keys', 'a[b][c]=1&a[]=2&[=3'],
    ['a 100 kB value', `${flat}&padding=${KB100}`],
    [
      'a NUL in every value',
      Object.keys(base)
        .map((k) => `${k}=%00`)
        .join('&'),
    ],
    [
      '1e400 as every value',
      Object.keys(base)
        .map((k) => `${k}=1e400`)
        .join('&'),
    ],
  ];
}

/** A bulk result or Exotel entry that reports a server error (the request itself succeeded). */
const ITEM_SERVER_ERROR = new RegExp(
  `(?:"(?:code|ReasonCode)":"|<ReasonCode>)(${REASON_CODES.filter((c) => REASONS[c].kind === 'internal').join('|')})\\b`,
);

/**
 * What is wrong with a response, or null: a 5xx; a refusal without a catalogued code; a secured
 * operation that did not answer 401; another tenant's resource that was not refused.
 */
/** What a probe requires of an answer beyond "no 5xx, a catalogued code". */
interface Expectation {
  unauthorized?: boolean;
  refused?: boolean;
  /** Refused with 400 and this reason code. */
  code?: string;
}

function responseProblem(res: LightMyRequestResponse, expect: Expectation): string | null {
  const status = res.statusCode;
  if (status >= 500) return `${status} ${res.body.slice(0, 300)}`;
  if (expect.unauthorized && status !== 401) return `${status} instead of 401`;
  if (expect.refused && status < 400) return `${status}: another tenant's resource was not refused`;
  if (expect.code !== undefined && status < 400) return `${status} instead of 400 ${expect.code}`;
  if (status < 400) {
    const failed = ITEM_SERVER_ERROR.exec(res.body);
    return failed === null ? null : `${status} with an item that failed with ${failed[1]}`;
  }
  const code = errorCode(res);
  if (code === undefined) {
    return `${status} without an error code (${res.headers['content-type']}): ${res.body.slice(0, 200)}`;
  }
  if (!isReasonCode(code)) return `${status} with ${code}, which is not in the catalogue`;
  if (expect.unauthorized && code !== 'UNAUTHORIZED') return `401 with ${code}`;
  if (expect.code !== undefined && (status !== 400 || code !== expect.code)) {
    return `${status} ${code} instead of 400 ${expect.code}`;
  }
  return null;
}

/** The reason code of an error response: JSON `{ code }`, or Exotel's RestException (JSON or XML). */
function errorCode(res: LightMyRequestResponse): string | undefined {
  const type = String(res.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) {
    let body: { code?: unknown; RestException?: { ReasonCode?: unknown } };
    try {
      body = JSON.parse(res.body);
    } catch {
      return undefined;
    }
    const code = body?.code ?? body?.RestException?.ReasonCode;
    return typeof code === 'string' ? code : undefined;
  }
  if (type.startsWith('application/xml')) {
    return /<RestException>.*<ReasonCode>([A-Z_]+)<\/ReasonCode>/s.exec(res.body)?.[1];
  }
  return undefined;
}

/** Both tenants' stored data, as one string: equal before and after a request that wrote nothing. */
async function snapshot(store: Store, tenants: Tenant[]): Promise<string> {
  const parts = await Promise.all(
    tenants.map(async ({ sid }) => {
      const entities = await store.dlt.listEntities(sid);
      const [account, ledger, keys, headers, templates, dnd, messages, flows, numbers, calls] =
        await Promise.all([
          store.accounts.get(sid),
          store.accounts.ledger(sid, 1000),
          store.accounts.listApiKeys(sid),
          store.dlt.listHeaders(sid),
          store.dlt.listTemplates(sid),
          store.dnd.count(sid),
          store.messages.list(sid, {}, null, 1000),
          store.flows.list(sid),
          store.numbers.list(sid),
          store.calls.list(sid, {}, null, 1000),
        ]);
      const whitelists = await Promise.all(
        entities.map((e) => store.dlt.listWhitelist(sid, e.entityId)),
      );
      return {
        account,
        ledger,
        keys,
        entities,
        headers,
        templates,
        whitelists,
        dnd,
        messages: messages.items.map((m) => [m.sid, m.status, m.updatedAt]),
        flows,
        numbers,
        calls: calls.items.map((c) => c.sid),
      };
    }),
  );
  return JSON.stringify(parts);
}

/** Store methods that only read; every other one is counted as a write. */
const READS = /^(get|list|find|count|ledger|transitions|parts|stats|summarize|route|ping|onNotify)/;

/** The store, counting calls of its methods that may write (on it and on its repositories). */
function watchWrites(store: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const watch = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(object, property) {
        const value: unknown = Reflect.get(object, property);
        if (typeof value === 'function') {
          if (typeof property === 'string' && READS.test(property)) return value.bind(object);
          return (...args: unknown[]) => {
            writes++;
            return value.apply(object, args);
          };
        }
        return typeof value === 'object' && value !== null ? watch(value) : value;
      },
    });
  return { store: watch(store), writes: () => writes };
}
