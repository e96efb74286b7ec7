/**
 * The status-callback dispatcher: claims due jobs from the store's durable callback outbox, POSTs
 * each (JSON or Exotel form, signed; see callback-payload.ts) to its URL through the SSRF guard,
 * and records the outcome: 2xx delivered; anything else (including a redirect, which is not
 * followed, a timeout or a connection error) retried with exponential backoff until maxAttempts,
 * then given up. A URL the guard refuses is given up at once (CALLBACK_URL_BLOCKED). Jobs
 * survive restarts: a dispatcher that dies leaves them leased, and the lease expires.
 */

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { hostname } from 'node:os';
import { CallflowError, coerceError } from '../errors.ts';
import type { Metrics } from '../metrics.ts';
import type { Account, CallbackJob, Message, Store } from '../store/types.ts';
import { callbackBody, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './callback-payload.ts';
import {
  backoffMs,
  type CallbackConfig,
  DEFAULT_CALLBACK_CONFIG,
  type DeliveryLogger,
  silentLogger,
} from './config.ts';
import { createPump } from './pump.ts';
import { hostOf, type Lookup, parseOutboundUrl, pinnedLookup, resolveOutbound } from './ssrf.ts';

export interface CallbackDispatcher {
  readonly id: string;
  start(): Promise<void>;
  /** Stops claiming and waits (up to drainMs) for POSTs in flight; the rest are retried later. */
  stop(): Promise<void>;
  /** One claim and its POSTs, to the end (tests). Returns how many jobs were claimed. */
  runOnce(): Promise<number>;
}

const USER_AGENT = 'callflow-callbacks/1';
const ACCOUNT_CACHE_MS = 10_000;

export function createCallbackDispatcher(deps: {
  store: Store;
  clock?: () => Date;
  config?: Partial<CallbackConfig>;
  logger?: DeliveryLogger;
  /** DNS for the SSRF guard (tests); default dns.lookup. */
  lookup?: Lookup;
  random?: () => number;
  /** Told of every failed attempt (Prometheus metrics). */
  metrics?: Pick<Metrics, 'callbackFailed'>;
}): CallbackDispatcher {
  const config: CallbackConfig = { ...DEFAULT_CALLBACK_CONFIG, ...deps.config };
  if (config.leaseMs <= config.timeoutMs) {
    throw new RangeError('callbacks leaseMs must be longer than timeoutMs');
  }
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;
  const id = `${hostname()}:${process.pid}:cb:${randomBytes(3).toString('hex')}`;
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: config.concurrency }),
    https: new https.Agent({ keepAlive: true, maxSockets: config.concurrency }),
  };
  const stopped = new AbortController();
  const accounts = new Map<string, { account: Promise<Account | undefined>; until: number }>();
  let unsubscribe: (() => void) | null = null;

  function account(sid: string): Promise<Account | undefined> {
    const now = Date.now();
    const hit = accounts.get(sid);
    if (hit && hit.until > now) return hit.account;
    const loaded = store.accounts.get(sid);
    accounts.set(sid, { account: loaded, until: now + ACCOUNT_CACHE_MS });
    loaded.catch(() => accounts.delete(sid));
    return loaded;
  }

  const pump = createPump({
    room: () => config.concurrency - pump.inFlight,
    async claim(limit) {
      const jobs = await store.callbacks.claimDue(id, limit, config.leaseMs);
      for (const job of jobs) pump.track(dispatch(job));
      return jobs.length;
    },
    pollMs: config.pollMs,
    onError: (error) => logger.error({ err: error }, 'callback dispatcher error'),
  });

  /** POSTs to the checked address; resolves with the HTTP status. */
  async function post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    const address = await resolveOutbound(url, config, deps.lookup);
    const secure = url.protocol === 'https:';
    const timeout = AbortSignal.timeout(config.timeoutMs);
    const signal = AbortSignal.any([timeout, stopped.signal]);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        {
          protocol: url.protocol,
          host: hostOf(url),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: secure ? agents.https : agents.http,
          lookup: pinnedLookup(address) as never,
          signal,
        },
        (res) => {
          // Only the status matters; drain the body so the socket can be reused.
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        },
      );
      req.on('error', (error) =>
        reject(timeout.aborted ? new Error(`timed out after ${config.timeoutMs} ms`) : error),
      );
      req.end(body);
    });
  }

  async function dispatch(job: CallbackJob & { message: Message }): Promise<void> {
    const owner = await account(job.accountSid);
    if (!owner) {
      await store.callbacks.giveUp(job.id, `No account ${job.accountSid}.`);
      return;
    }
    const sentAt = clock();
    const { contentType, body } = callbackBody(job.message, owner, job.format, sentAt);
    let outcome: string;
    try {
      const url = parseOutboundUrl(job.url);
      const status = await post(
        url,
        {
          'content-type': contentType,
          'user-agent': USER_AGENT,
          [SIGNATURE_HEADER]: signBody(owner.webhookSecret, body),
          [TIMESTAMP_HEADER]: String(Math.floor(sentAt.getTime() / 1000)),
          'x-callflow-event-id': job.id,
          'x-callflow-attempt': String(job.attempts),
        },
        body,
      );
      if (status >= 200 && status < 300) {
        await store.callbacks.markDelivered(job.id);
        return;
      }
      outcome = `HTTP ${status}`;
    } catch (error) {
      if (error instanceof CallflowError && error.code === 'CALLBACK_URL_BLOCKED') {
        deps.metrics?.callbackFailed();
        await store.callbacks.giveUp(job.id, `CALLBACK_URL_BLOCKED: ${error.message}`);
        return;
      }
      const e = coerceError(error);
      const code = (e as { code?: unknown }).code;
      outcome = typeof code === 'string' && code ? `${code}: ${e.message}` : e.message;
    }
    deps.metrics?.callbackFailed();
    if (stopped.signal.aborted) {
      // Cut short by our own shutdown: the next dispatcher tries again at once.
      await store.callbacks.retry(job.id, clock(), `${outcome} (dispatcher stopped)`);
      return;
    }
    if (job.attempts >= config.maxAttempts) {
      await store.callbacks.giveUp(job.id, `${outcome} (gave up after ${job.attempts} attempts)`);
      return;
    }
    const delay = backoffMs(
      job.attempts,
      { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs, jitter: config.retryJitter },
      deps.random,
    );
    await store.callbacks.retry(job.id, new Date(clock().getTime() + delay), outcome);
  }

  return {
    id,
    async start() {
      unsubscribe = store.onNotify('callbacks', pump.wake);
      pump.start();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      const drained = await pump.stop(config.drainMs);
      if (!drained) {
        // Abort what is left: those jobs are retried (their attempt already counted).
        stopped.abort();
        await pump.stop(1000);
      }
      agents.http.destroy();
      agents.https.destroy();
    },
    runOnce: () => pump.runOnce(),
  };
}
