/**
 * What the HTTP API needs from the rest of callflow, and what it adds to Fastify's types.
 *
 * Glossary:
 * - principal: who a request acts for, set on `request.account` by whichever authenticator
 *   accepted it (API key and token today; a web session later).
 * - pre-check: a cheap refusal of a send request that is certain to fail (unknown entity,
 *   template or header; an invalid recipient), answered at once with 400 and its reason code.
 */

import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthThrottle } from '../auth-throttle.ts';
import type { Sender } from '../delivery/send.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/types.ts';

export interface AuthenticatedAccount {
  sid: string;
  /** How the request proved who it is. */
  method: 'api-key' | 'session';
  /** The ApiKey.id used, when method is `api-key`. */
  keyId: string | null;
}

/**
 * Recognises one kind of credential. Returns the principal, `null` when the request carries no
 * credential of this kind (the next authenticator is tried), or throws CallflowError UNAUTHORIZED
 * when it carries one that is wrong.
 */
export type Authenticator = (request: FastifyRequest) => Promise<AuthenticatedAccount | null>;

export interface CarrierReadiness {
  name: string;
  /** e.g. bound, connecting, closed. */
  state: string;
  ready: boolean;
}

/** Carrier bind states for /readyz; the process is ready when the store answers and this says so. */
/** Real calls as /readyz reports them: SIP listening, and whether calls can carry audio. */
export interface SipReadiness {
  /** `sip:HOST:PORT` SIP listens on. */
  listening: string;
  realCalls: boolean;
  /** Why real calls are off, with the command that turns them on. */
  reason?: string;
}

export type ReadinessProbe = () => Promise<{
  ready: boolean;
  carriers: CarrierReadiness[];
  sip?: SipReadiness;
}>;

export interface ApiConfig {
  /** Largest accepted request body, bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Largest body of POST /api/v1/sms/bulk, bytes. Default 8 MiB (1,000 messages of up to 2,000 characters). */
  bulkBodyLimitBytes?: number;
  /** How long a verified API key is trusted without asking the store, ms. Default 5,000. */
  authCacheTtlMs?: number;
  /** How long DLT registry lookups for pre-checks are cached, ms. Default 5,000. */
  registryCacheTtlMs?: number;
  /** Serve Swagger UI at /api/docs. Default true. */
  swaggerUi?: boolean;
  /** Requests per minute per account (429 RATE_LIMITED beyond); 0, the default, turns it off. */
  rateLimitPerMinute?: number;
}

export interface ApiDeps {
  store: Store;
  /** The one way in for an SMS: `createSender({ store, clock })` from src/delivery/send.ts. */
  sender: Sender;
  /** Time source for caches and timestamps. Default `() => new Date()`. */
  clock?: () => Date;
  config?: ApiConfig;
  /** Carrier bind states for /readyz; omitted in processes that run no carrier (role api). */
  readiness?: ReadinessProbe;
  /**
   * What /metrics reports: `createMetrics({ store, carriers })` from src/metrics.ts, shared with the
   * delivery worker and the flow runtime that feed its counters. Default: store gauges only.
   */
  metrics?: Metrics;
  /**
   * Throttles failed authentications per address (src/auth-throttle.ts); share one with the web
   * sign-in and SIP. Default: one with the default limits, counting refusals in `metrics`.
   */
  authThrottle?: AuthThrottle;
  /** Tried after the API-key authenticator, e.g. the web app's session cookie. */
  authenticators?: Authenticator[];
  /**
   * More routes registered on the same instance (after auth and error handling are set up, so they
   * share both), e.g. the Exotel-compatible API, /metrics and the web app.
   */
  extraRoutes?: FastifyPluginAsync[];
  /** Fastify logger option: false (default), true, or pino options. */
  logger?: boolean | Record<string, unknown>;
  /** A ready pino logger to use instead (wins over `logger`). */
  loggerInstance?: FastifyBaseLogger;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticator that accepted the request; null on public routes. */
    account: AuthenticatedAccount | null;
  }
  interface FastifyInstance {
    /** onRequest hook that requires a principal (401 UNAUTHORIZED otherwise). */
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}
