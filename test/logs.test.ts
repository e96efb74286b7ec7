/**
 * Every JSON log line `callflow serve` writes is strict JSON: no object repeats a key (a log
 * pipeline that rejects duplicate keys would drop the line). The server starts with the demo
 * account and the carrier simulator at debug level, answers a request, and rings the demo
 * missed-call flow, whose SMS goes through the carrier; then every line it logged is checked.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnServer, waitFor } from './helpers/pipeline.ts';

/**
 * Parses one JSON text and returns the keys that some object in it repeats. JSON.parse keeps the
 * last of duplicate keys silently, so this walks the text itself.
 */
export function repeatedKeys(text: string): string[] {
  let i = 0;
  const repeated: string[] = [];
  const space = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const string = (): string => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const keys = new Set<string>();
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        const key = string();
        if (keys.has(key)) repeated.push(key);
        keys.add(key);
        space();
        assert.equal(text[i], ':', `expected ':' at ${i}`);
        i++;
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else throw new SyntaxError(`expected ',' or '}' at ${i}`);
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else throw new SyntaxError(`expected ',' or ']' at ${i}`);
      }
    }
    if (c === '"') {
      string();
      return;
    }
    const literal = /^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i));
    if (!literal) throw new SyntaxError(`unexpected '${c}' at ${i}`);
    i += literal[0].length;
  };
  JSON.parse(text); // valid JSON first, with the usual error messages
  value();
  return repeated;
}

test('repeatedKeys finds a key an object repeats, at any depth', () => {
  assert.deepEqual(repeatedKeys('{"a":1,"b":{"c":[1,{"d":2}]}}'), []);
  assert.deepEqual(repeatedKeys('{"carrier":"simulator","carrier":"simulator"}'), ['carrier']);
  assert.deepEqual(repeatedKeys('{"a":{"x":"\\"","x":1},"b":[{"y":1,"y":2}]}'), ['x', 'y']);
  assert.deepEqual(repeatedKeys('{"a":1,"b":{"a":2}}'), [], 'the same key in two objects');
});

test('no start-up, request, flow or delivery log line repeats a key', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callflow-logs-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = await spawnServer(['--port', '0', '--demo'], {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    DATABASE_URL: '',
    CALLFLOW_CONFIG: '',
  });
  t.after(() => server.kill());
  await waitFor('the simulator bind', async () =>
    server.output().includes('SMPP bound') ? true : undefined,
  );
  const key = /API key\s+(\S+)/.exec(server.output())![1]!;
  const token = /API token\s+(\S+)/.exec(server.output())![1]!;
  const auth = `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`;
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const call = await fetch(`${server.url}/api/v1/calls?wait=true`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      from: '+919876543210',
      to: '+918045678900',
      defaultAgent: { behaviour: 'no-answer' },
    }),
  });
  assert.equal(call.status, 201, await call.clone().text());
  const sid = ((await call.json()) as { log: { sms: { sid: string }[] } }).log.sms[0]!.sid;
  await waitFor('the SMS to be submitted', async () => {
    const res = await fetch(`${server.url}/api/v1/sms/${sid}`, {
      headers: { authorization: auth },
    });
    const m = (await res.json()) as { status: string };
    return ['submitted', 'delivered', 'undelivered'].includes(m.status) ? true : undefined;
  });
  assert.equal(await server.stop(), 0);

  const lines = server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'));
  assert.ok(lines.length >= 10, `only ${lines.length} log lines:\n${server.output()}`);
  const offending = lines
    .map((line) => ({ line, repeated: repeatedKeys(line) }))
    .filter((l) => l.repeated.length > 0);
  assert.deepEqual(offending, []);
  assert.ok(
    lines.some((line) => JSON.parse(line).msg?.startsWith('SMPP bound')),
    'the bind is logged',
  );
});
