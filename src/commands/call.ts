/**
 * `callflow call --to EXOPHONE --from NUMBER [--digits KEYS] [--agent answer|no-answer|busy]
 * [--talk-seconds N] [--hangup-after SECONDS] [--real-time] [--json] [--sms-timeout SECONDS]
 * [--url URL] [--key KEY --token TOKEN] [--config FILE]`
 *
 * Rings an ExoPhone of the running server with a simulated caller and prints the call's log
 * (each applet, its exit and timing, the SMS it produced), then follows each SMS until it is
 * final, printing its status changes.
 *
 * It talks to the running server over HTTP (`POST /api/v1/calls?wait=true`, then
 * `GET /api/v1/sms/:sid`) instead of opening the store itself: the server's delivery worker owns
 * the outbox, and a second process on the same SQLite file is not safe for it. By default it
 * finds the server and the demo credentials the way `callflow serve` was configured (PORT, HOST,
 * DATA_DIR, CALLFLOW_CONFIG): http://HOST:PORT and DATA_DIR/demo-credentials.json.
 *
 * Exit codes: 0 the call ran (whatever became of its SMS), 1 the call could not be placed (no
 * server, refused credentials, an ExoPhone without a live flow), 2 bad usage.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { coerceError } from '../errors.ts';
import { normalizeNumber } from '../sms/index.ts';
import { type CallView, formatCall, formatTransition, type SmsView } from './call-format.ts';
import { parse, UsageError } from './usage.ts';

const AGENTS = ['answer', 'no-answer', 'busy'] as const;
const FINAL = new Set(['delivered', 'undelivered', 'failed']);
const POLL_MS = 200;

/** The call could not be placed: one line on standard error, exit 1. */
/** The call could not be made; `code` is the API's reason code when it refused the call. */
class CallFailed extends Error {
  readonly code: string | null;
  constructor(message: string, code: string | null = null) {
    super(message);
    this.code = code;
  }
}

interface Target {
  url: string;
  auth: string;
}

function seconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${flag} must be a number of seconds (0 or more), not '${value}'`);
  }
  return n;
}

function number(flag: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  const e164 = normalizeNumber(value);
  if (e164 === undefined) throw new UsageError(`${flag} must be a phone number, not '${value}'`);
  return e164;
}

/** The server and credentials: flags first, else as `callflow serve` is configured here. */
function target(values: {
  url?: string | undefined;
  key?: string | undefined;
  token?: string | undefined;
  config?: string | undefined;
}): Target {
  if ((values.key === undefined) !== (values.token === undefined)) {
    throw new UsageError('--key and --token go together');
  }
  const needsConfig = values.url === undefined || values.key === undefined;
  const config = needsConfig ? loadConfig({ file: values.config }) : undefined;
  let url = values.url;
  if (url === undefined) {
    if (config!.port === 0) throw new UsageError('the server port is 0 (random): pass --url');
    // A server listening on every interface is reached on loopback.
    const host = ['0.0.0.0', '::', ''].includes(config!.host) ? '127.0.0.1' : config!.host;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${config!.port}`;
  }
  if (!/^https?:\/\/[^/]+/.test(url))
    throw new UsageError(`--url must be an http(s) URL, not '${url}'`);
  let key = values.key;
  let token = values.token;
  if (key === undefined || token === undefined) {
    const file = join(config!.dataDir, 'demo-credentials.json');
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as {
        apiKey?: unknown;
        apiToken?: unknown;
      };
      if (typeof saved.apiKey !== 'string' || typeof saved.apiToken !== 'string')
        throw new Error('no apiKey/apiToken');
      key = saved.apiKey;
      token = saved.apiToken;
    } catch (error) {
      throw new CallFailed(
        `no demo credentials in ${file} (${coerceError(error).message.split('\n')[0]}): start the server with 'npm start' (same DATA_DIR), or pass --key and --token`,
      );
    }
  }
  return {
    url: url.replace(/\/+$/, ''),
    auth: `Basic ${Buffer.from(`${key}:${token}`).toString('base64')}`,
  };
}

async function request<T>(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  let response: Response;
  try {
    response = await fetch(`${t.url}${path}`, {
      method,
      headers: {
        authorization: t.auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CallFailed(
      `cannot reach callflow at ${t.url} (${cause?.code ?? cause?.message ?? coerceError(error).message}): is it running ('npm start')?`,
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { message: text.slice(0, 200) };
  }
  return { status: response.status, json: json as T };
}

function refusal(status: number, json: unknown): string {
  const { code, message } = (json ?? {}) as { code?: string; message?: string };
  return `${code ?? `HTTP ${status}`}: ${message ?? 'no message'}`;
}

export async function callCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    options: {
      to: { type: 'string' },
      from: { type: 'string' },
      digits: { type: 'string' },
      agent: { type: 'string' },
      'talk-seconds': { type: 'string' },
      'hangup-after': { type: 'string' },
      'real-time': { type: 'boolean', default: false },
      'sms-timeout': { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string' },
      key: { type: 'string' },
      token: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const to = number('--to', values.to);
  const from = number('--from', values.from);
  if (values.digits !== undefined && !/^[0-9*#]+$/.test(values.digits)) {
    throw new UsageError(`--digits must be keys 0-9, * and #, not '${values.digits}'`);
  }
  const agent = values.agent ?? 'answer';
  if (!(AGENTS as readonly string[]).includes(agent)) {
    throw new UsageError(`--agent must be one of ${AGENTS.join(', ')}, not '${agent}'`);
  }
  const talkSeconds = seconds('--talk-seconds', values['talk-seconds']);
  if (talkSeconds !== undefined && agent !== 'answer') {
    throw new UsageError('--talk-seconds needs --agent answer');
  }
  const hangupAfter = seconds('--hangup-after', values['hangup-after']);
  const smsTimeoutMs = (seconds('--sms-timeout', values['sms-timeout']) ?? 30) * 1000;

  try {
    const t = target(values);
    const script = {
      from,
      to,
      ...(values.digits === undefined ? {} : { digits: values.digits }),
      defaultAgent: {
        behaviour: agent,
        ...(talkSeconds === undefined ? {} : { talkSeconds }),
      },
      ...(hangupAfter === undefined ? {} : { hangupAfterSeconds: hangupAfter }),
      ...(values['real-time'] ? { realTime: true } : {}),
    };
    const placed = await request<CallView>(t, 'POST', '/api/v1/calls?wait=true', script);
    if (placed.status !== 201) {
      throw new CallFailed(
        `the call to ${to} was refused: ${refusal(placed.status, placed.json)}`,
        (placed.json as { code?: unknown } | null)?.code?.toString() ?? null,
      );
    }
    const call = placed.json;
    const flow = await request<{ name?: string }>(
      t,
      'GET',
      `/api/v1/flows/${encodeURIComponent(call.flowId)}`,
    ).catch(() => undefined);
    const flowName = flow?.status === 200 ? flow.json.name : undefined;
    if (!values.json) process.stdout.write(formatCall(call, flowName));
    const sms = await followSms(t, call, smsTimeoutMs, !values.json);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ call, sms }, null, 2)}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof CallFailed) {
      process.stderr.write(`callflow call: ${error.message}\n`);
      if (values.json) {
        const body = { error: { code: error.code, message: error.message } };
        process.stdout.write(`${JSON.stringify(body)}\n`);
      }
      return 1;
    }
    throw error;
  }
}

/**
 * Polls each SMS the call produced until it is final (or `timeoutMs` passed), printing every
 * status change as it appears in the message's timeline. Returns the messages as last read.
 */
async function followSms(
  t: Target,
  call: CallView,
  timeoutMs: number,
  print: boolean,
): Promise<SmsView[]> {
  const sids = call.log.sms.flatMap((s) => (s.sid ? [s.sid] : []));
  const latest = new Map<string, SmsView>();
  const shown = new Map<string, number>();
  const deadline = Date.now() + timeoutMs;
  if (print && sids.length > 0) process.stdout.write('\n');
  for (;;) {
    const open = sids.filter((sid) => !FINAL.has(latest.get(sid)?.status ?? ''));
    for (const sid of open) {
      const r = await request<SmsView>(t, 'GET', `/api/v1/sms/${encodeURIComponent(sid)}`);
      if (r.status !== 200) continue;
      latest.set(sid, r.json);
      const transitions = r.json.transitions ?? [];
      if (print) {
        for (const transition of transitions.slice(shown.get(sid) ?? 0)) {
          process.stdout.write(formatTransition(r.json, transition));
        }
      }
      shown.set(sid, transitions.length);
    }
    if (sids.every((sid) => FINAL.has(latest.get(sid)?.status ?? ''))) break;
    if (Date.now() > deadline) {
      if (print) {
        for (const sid of sids.filter((s) => !FINAL.has(latest.get(s)?.status ?? ''))) {
          process.stdout.write(
            `SMS ${sid} is still ${latest.get(sid)?.status ?? 'unknown'} after ${timeoutMs / 1000} s; see GET /api/v1/sms/${sid}\n`,
          );
        }
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return sids.flatMap((sid) => (latest.has(sid) ? [latest.get(sid)!] : []));
}
