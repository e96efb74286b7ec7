/**
 * passthru: calls the customer's URL with the call's parameters under Exotel's names, GET by
 * default. In sync mode (the default) the call waits for the answer: `success` on 2xx, `failure`
 * otherwise (a redirect, an error, a timeout or a URL the SSRF guard refuses), and the fields of a
 * JSON answer become `{<appletId>.<field>}` variables. In async mode the call goes on at once.
 *
 * Redirects are not followed: Exotel takes its second branch on a 302, and following one could
 * lead past the SSRF guard.
 *
 * It needs no caller: it also runs after the caller has hung up (in a Connect's branches), and a
 * hang-up while it waits for the answer does not cut the request short.
 */

import { Type } from 'typebox';
import { coerceError, isReasonCode } from '../../errors.ts';
import type { AppletContext, AppletDefinition } from '../types.ts';

/** Largest response body read for variables, characters. */
const MAX_BODY_CHARS = 64 * 1024;
/** At most this many variables from one response. */
const MAX_FIELDS = 200;
const MAX_DEPTH = 4;

const configSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', maxLength: 2000, title: 'URL' }),
    /** Default GET, parameters in the query string; POST sends them as a form. */
    method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
    /** `sync` (default): wait for the answer and branch on it; `async`: do not wait. */
    mode: Type.Optional(Type.Union([Type.Literal('sync'), Type.Literal('async')])),
    /** Request timeout, seconds. Default 5 (configurable per deployment). */
    timeoutSeconds: Type.Optional(Type.Number({ minimum: 0.1, maximum: 30 })),
    /** Sent as CustomField. */
    customField: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const passthru: AppletDefinition<typeof configSchema> = {
  type: 'passthru',
  version: 1,
  title: 'Passthru',
  description:
    "Sends the call's details to your URL; the answer chooses the exit and can set variables.",
  configSchema,
  defaultConfig: { url: '', method: 'GET', mode: 'sync' },
  exits: (config) => (config.mode === 'async' ? ['default'] : ['success', 'failure']),
  needsCaller: false,
  produces: (appletId, config) => (config.mode === 'async' ? [] : [`${appletId}.*`]),
  async run(ctx, config) {
    const timeoutMs =
      config.timeoutSeconds === undefined ? ctx.passthruTimeoutMs : config.timeoutSeconds * 1000;
    const request = buildRequest(ctx, config.url, config.method ?? 'GET', config.customField);
    if (config.mode === 'async') {
      ctx.detail({ method: request.method, mode: 'async' });
      ctx.background(
        send(ctx, request, AbortSignal.timeout(timeoutMs)).then((outcome) => {
          ctx.detail({ async: outcome });
        }),
      );
      return 'default';
    }
    const outcome = await send(ctx, request, AbortSignal.timeout(timeoutMs));
    const { fields, ...rest } = outcome;
    // Field names only: the values may be personal data, and later applets log what they use.
    ctx.detail({
      method: request.method,
      mode: 'sync',
      ...rest,
      ...(fields ? { fields: Object.keys(fields) } : {}),
    });
    for (const [field, value] of Object.entries(fields ?? {})) {
      ctx.setVariable(`${ctx.appletId}.${field}`, value);
    }
    return outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300
      ? 'success'
      : 'failure';
  },
};

interface PassthruRequest {
  url: string;
  method: 'GET' | 'POST';
  params: URLSearchParams;
}

interface PassthruOutcome {
  status?: number;
  durationMs: number;
  /** Why no answer came: `timeout`, a reason code (CALLBACK_URL_BLOCKED), or `network`. */
  error?: string;
  fields?: Record<string, string>;
}

/** The call's parameters, named as Exotel's Passthru names them. */
export function passthruParams(ctx: AppletContext, customField?: string): URLSearchParams {
  const { call, facts } = ctx;
  const dial = facts.dial;
  const params = new URLSearchParams({
    CallSid: call.callSid,
    CallFrom: call.from,
    CallTo: call.to,
    From: call.from,
    To: call.to,
    Direction: call.direction,
    StartTime: exotelTime(call.startedAt, ctx.timeZone),
    CurrentTime: exotelTime(ctx.now(), ctx.timeZone),
    DialCallDuration: String(Math.round(dial?.talkSeconds ?? 0)),
    DialCallStatus: dial?.outcome ?? '',
    DialWhomNumber: dial?.answeredBy ?? '',
    CallType: callType(dial),
    digits: facts.digits ?? '',
    RecordingUrl: dial?.recordingUrl ?? '',
    flow_id: call.flowId,
  });
  if (customField !== undefined) params.set('CustomField', customField);
  return params;
}

/**
 * Exotel's CallType: `call-attempt` (no Connect yet), `completed` (a conversation happened, even
 * when the caller ended it), `client-hangup` (the caller hung up during a Connect before anyone
 * answered), `incomplete` (a Connect where no agent picked up).
 */
function callType(dial: AppletContext['facts']['dial']): string {
  if (dial === undefined) return 'call-attempt';
  if (dial.outcome === 'completed') return 'completed';
  return dial.callerHungUp ? 'client-hangup' : 'incomplete';
}

function buildRequest(
  ctx: AppletContext,
  url: string,
  method: 'GET' | 'POST',
  customField: string | undefined,
): PassthruRequest {
  return { url, method, params: passthruParams(ctx, customField) };
}

async function send(
  ctx: AppletContext,
  request: PassthruRequest,
  signal: AbortSignal,
): Promise<PassthruOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url =
    request.method === 'GET'
      ? `${request.url}${request.url.includes('?') ? '&' : '?'}${request.params.toString()}`
      : request.url;
  const init: RequestInit = {
    method: request.method,
    redirect: 'manual',
    signal,
    headers: {
      accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
      'user-agent': 'callflow-passthru/1',
    },
  };
  if (request.method === 'POST') init.body = request.params;
  try {
    const { response, text } = await untilAborted(
      (async () => {
        const response = await ctx.fetchGuarded(url, init);
        return { response, text: await response.text() };
      })(),
      signal,
    );
    const fields = response.ok ? fieldsOf(text) : undefined;
    return { status: response.status, durationMs: elapsed(), ...(fields ? { fields } : {}) };
  } catch (error) {
    return { durationMs: elapsed(), error: describe(error, signal) };
  }
}

/**
 * `work`, or the signal's reason once it aborts: the timeout holds even when the fetch does not
 * stop on the signal (the DNS look-up of the customer's host, for one, cannot be cut short).
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function describe(error: unknown, signal: AbortSignal): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (isReasonCode(code)) return code;
  if (signal.aborted && coerceError(signal.reason).name === 'TimeoutError') return 'timeout';
  return 'network';
}

/** The fields of a JSON object answer, flattened with dots: `{"slot":{"time":"10:30"}}` → slot.time. */
export function fieldsOf(text: string): Record<string, string> | undefined {
  if (text.length > MAX_BODY_CHARS || !text.trimStart().startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const fields: Record<string, string> = {};
  flatten(value, '', fields, 0);
  return fields;
}

function flatten(value: unknown, prefix: string, out: Record<string, string>, depth: number): void {
  if (Object.keys(out).length >= MAX_FIELDS || value === null || value === undefined) return;
  if (typeof value === 'string') out[prefix] = value;
  else if (typeof value === 'number' || typeof value === 'boolean') out[prefix] = String(value);
  else if (typeof value === 'object' && depth < MAX_DEPTH) {
    for (const [key, child] of Object.entries(value)) {
      // Field names become variable names, so they keep to letters, digits and underscores.
      if (!/^[A-Za-z0-9_]+$/.test(key)) continue;
      flatten(child, prefix === '' ? key : `${prefix}.${key}`, out, depth + 1);
    }
  }
}

/** Exotel's time format, `2024-01-15 10:30:00`, in the account's zone (sv-SE formats so). */
export function exotelTime(date: Date, timeZone: string): string {
  return date.toLocaleString('sv-SE', { timeZone, hourCycle: 'h23' });
}
