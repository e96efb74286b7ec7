/**
 * One validated configuration for `callflow serve`: defaults (with their units), then the JSON
 * config file (`--config` or CALLFLOW_CONFIG), then environment variables. A bad setting stops
 * start-up with a message that names the key and says what it must be.
 *
 * docs/configuration.md documents every key; a test fails when they disagree.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Static, Type } from 'typebox';
import Value from 'typebox/value';
import { RouteSchema, routingProblems } from './carriers/routing.ts';
import { SmppCarrierConfigSchema } from './carriers/smpp/config.ts';
import { SipConfigSchema } from './telephony/sip/config.ts';

const Role = Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')]);

const Time = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' });

export const ConfigSchema = Type.Object({
  /** Which parts run in this process. */
  role: Type.Optional(Role),
  /** HTTP port; 0 picks a free one. */
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  host: Type.String({ default: '127.0.0.1' }),
  /** Where the embedded SQLite store lives. */
  dataDir: Type.String({ default: './data' }),
  /** PostgreSQL connection string; when set, PostgreSQL replaces the embedded store. */
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  /** PostgreSQL schema (search_path) of callflow's tables, created when missing; default public. */
  databaseSchema: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,50}$' })),
  /** SMPP carriers; none configured means the built-in carrier simulator is used. */
  carriers: Type.Array(SmppCarrierConfigSchema, { default: [] }),
  /**
   * Carrier routing, ordered: the first route whose match fits a message decides. Absent: every
   * carrier, failover in list order. The starting state only (see docs/operations.md).
   */
  routes: Type.Optional(Type.Array(RouteSchema)),
  simulator: Type.Object(
    {
      /** SMPP port of the built-in simulator; 0 picks a free one. */
      port: Type.Integer({ minimum: 0, maximum: 65535, default: 0 }),
      systemId: Type.String({ default: 'callflow' }),
      password: Type.String({ default: 'simulator' }),
      /** Delay before a delivery receipt, milliseconds. */
      receiptDelayMs: Type.Integer({ minimum: 0, default: 1500 }),
      /** Share of messages delivered; the rest are undelivered. */
      deliveredRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.95 }),
    },
    { default: {} },
  ),
  delivery: Type.Object(
    {
      /** Messages claimed per batch. */
      batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
      /** How long a claim lasts before another worker may take the message, milliseconds. */
      leaseMs: Type.Integer({ minimum: 1000, default: 30_000 }),
      /** Poll interval when no notification arrives, milliseconds. */
      pollMs: Type.Integer({ minimum: 10, default: 1000 }),
      /** Exponential backoff for transient carrier trouble, milliseconds. */
      retryBaseMs: Type.Integer({ minimum: 1, default: 1000 }),
      retryMaxMs: Type.Integer({ minimum: 1, default: 300_000 }),
      /** Random spread of a retry delay, as a fraction (0.2 = ±20 %). */
      retryJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
      /** How long a stopping worker waits for submits in flight, milliseconds. */
      drainMs: Type.Integer({ minimum: 0, default: 10_000 }),
      /** How long DLT registry and account look-ups are cached by workers, milliseconds. */
      registryCacheMs: Type.Integer({ minimum: 0, default: 2000 }),
      /** How long a message waits for a free carrier window before it is retried, milliseconds. */
      windowWaitMs: Type.Integer({ minimum: 1, default: 5000 }),
      /** Messages claimed beyond the carriers' free window, checked and debited ahead of it. */
      claimAhead: Type.Integer({ minimum: 0, maximum: 5000, default: 100 }),
      /** Hours a receipt that matched no submitted part is kept; 0 keeps them. */
      unmatchedReceiptHours: Type.Number({ minimum: 0, default: 24 }),
      /** How long a submitted message waits for its final receipt, seconds (72 h). */
      receiptTimeoutSeconds: Type.Integer({ minimum: 1, default: 259_200 }),
      /** Validity of a message whose request gives none, seconds. */
      validitySeconds: Type.Integer({ minimum: 1, default: 86_400 }),
      /** Longest validity a request may ask for, seconds. */
      maxValiditySeconds: Type.Integer({ minimum: 1, default: 259_200 }),
      /** How often a worker reads carriers and routes changed by another process, milliseconds. */
      carrierSyncMs: Type.Integer({ minimum: 100, default: 2000 }),
      /** Region of numbers written without a country code. */
      defaultRegion: Type.String({ minLength: 2, maxLength: 2, default: 'IN' }),
    },
    { default: {} },
  ),
  promotional: Type.Object(
    {
      windowStart: { ...Time, default: '10:00' },
      windowEnd: { ...Time, default: '21:00' },
      timeZone: Type.String({ default: 'Asia/Kolkata' }),
      /** Outside the window: wait for it, or fail OUTSIDE_PROMO_WINDOW. */
      outsideWindow: Type.Union([Type.Literal('wait'), Type.Literal('fail')], { default: 'wait' }),
    },
    { default: {} },
  ),
  callbacks: Type.Object(
    {
      maxAttempts: Type.Integer({ minimum: 1, default: 8 }),
      /** Per attempt, milliseconds. */
      timeoutMs: Type.Integer({ minimum: 100, default: 10_000 }),
      retryBaseMs: Type.Integer({ minimum: 1, default: 5000 }),
      retryMaxMs: Type.Integer({ minimum: 1, default: 3_600_000 }),
      retryJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
      /** Callbacks POSTed at once at most. */
      concurrency: Type.Integer({ minimum: 1, default: 32 }),
      /** Allow callbacks and Passthru URLs to private, loopback and link-local addresses. */
      allowPrivateAddresses: Type.Boolean({ default: false }),
      /** Hosts, IPs or CIDRs allowed even when internal, e.g. ["hooks.internal", "10.1.0.0/16"]. */
      allowList: Type.Array(Type.String(), { default: [] }),
    },
    { default: {} },
  ),
  api: Type.Object(
    {
      /** Largest request body, bytes. */
      bodyLimitBytes: Type.Integer({ minimum: 1024, default: 1_048_576 }),
      /** Requests per minute per account; 0 turns the limit off. */
      rateLimitPerMinute: Type.Integer({ minimum: 0, default: 12_000 }),
    },
    { default: {} },
  ),
  authThrottle: Type.Object(
    {
      /** Failed authentications an address may make in a burst before further ones get 429. */
      maxFailures: Type.Integer({ minimum: 1, default: 20 }),
      /** Seconds in which an address's failures are forgotten (maxFailures per windowSeconds). */
      windowSeconds: Type.Integer({ minimum: 1, default: 60 }),
      /** How long a refused failure is held before its 429, milliseconds. */
      penaltyDelayMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 1000 }),
      /** Addresses tracked at most (memory bound); the least recently failing is forgotten first. */
      maxAddresses: Type.Integer({ minimum: 1, default: 100_000 }),
    },
    { default: {} },
  ),
  flows: Type.Object(
    {
      /** A call ends after this many applets (loops cannot run forever). */
      maxSteps: Type.Integer({ minimum: 1, default: 100 }),
      /** Passthru request timeout, milliseconds. */
      passthruTimeoutMs: Type.Integer({ minimum: 100, default: 5000 }),
    },
    { default: {} },
  ),
  sms: Type.Object(
    {
      /** Keep grapheme clusters whole across parts; costs a part more on some texts. */
      splitGraphemes: Type.Boolean({ default: false }),
    },
    { default: {} },
  ),
  /** Real calls: the SIP endpoint and its media engine (docs/configuration.md, "sip"). */
  sip: SipConfigSchema,
  /** Conversations recorded by Connect (`record: true`) on real calls. */
  recordings: Type.Object(
    {
      /** Recordings older than this are deleted, days. */
      retentionDays: Type.Integer({ minimum: 1, default: 90 }),
      /** Base of the RecordingUrl given to Passthru, e.g. https://callflow.example.com; none: a path. */
      publicUrl: Type.Optional(Type.String({ pattern: '^https?://[^\\s]+[^/]$' })),
    },
    { default: {} },
  ),
  /** Log level for pino. */
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
});

export type Config = Static<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables and the keys they set. */
const ENV: Record<string, (v: string) => [string[], unknown]> = {
  PORT: (v) => [['port'], Number(v)],
  HOST: (v) => [['host'], v],
  DATA_DIR: (v) => [['dataDir'], v],
  DATABASE_URL: (v) => [['databaseUrl'], v],
  DATABASE_SCHEMA: (v) => [['databaseSchema'], v],
  LOG_LEVEL: (v) => [['logLevel'], v],
  SIP_PORT: (v) => [['sip', 'port'], Number(v)],
  SIP_ENABLED: (v) => [['sip', 'enabled'], v === 'true' ? true : v === 'false' ? false : v],
};

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * Builds the configuration: defaults, then the file, then the environment, then `overrides`
 * (command-line flags). Throws ConfigError with every problem found.
 */
export function loadConfig(options: {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.CALLFLOW_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    const path = resolve(file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError(`config file ${path} must hold a JSON object`);
    }
  }
  for (const [name, apply] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      const [path, parsed] = apply(value);
      setPath(raw, path, parsed);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, key.split('.'), value);
  }
  const withDefaults = Value.Default(ConfigSchema, raw) as unknown;
  const problems = [...Value.Errors(ConfigSchema, withDefaults)].map(
    (e) => `  ${e.instancePath.slice(1).replaceAll('/', '.') || '(root)'}: ${e.message}`,
  );
  const unknown = Object.keys(raw).filter((k) => !(k in ConfigSchema.properties));
  for (const key of unknown) problems.push(`  ${key}: is not a setting callflow knows`);
  if (problems.length === 0) {
    const config = withDefaults as Config;
    const names = config.carriers.map((c) => c.name);
    if (new Set(names).size !== names.length)
      problems.push('  carriers: two carriers share a name');
    for (const p of routingProblems(config.routes ?? [], names)) problems.push(`  routes: ${p}`);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration${file ? ` (file ${file})` : ''}:\n${problems.join('\n')}\nSee docs/configuration.md for every setting, its default and unit.`,
    );
  }
  return withDefaults as Config;
}
