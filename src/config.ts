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
import { ApiSettingsSchema } from './api/config.ts';
import { AuthThrottleSettingsSchema } from './auth-throttle.ts';
import { RouteSchema, routingProblems } from './carriers/routing.ts';
import { SmppCarrierConfigSchema } from './carriers/smpp/config.ts';
import {
  CallbackSettingsSchema,
  DeliverySettingsSchema,
  PromotionalSettingsSchema,
  SmsSettingsSchema,
} from './delivery/config.ts';
import { coerceError } from './errors.ts';
import { FlowSettingsSchema } from './flows/config.ts';
import { SipConfigSchema } from './telephony/sip/config.ts';

const Role = Type.Union([Type.Literal('all'), Type.Literal('api'), Type.Literal('worker')]);

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
  delivery: DeliverySettingsSchema,
  promotional: PromotionalSettingsSchema,
  callbacks: CallbackSettingsSchema,
  api: ApiSettingsSchema,
  authThrottle: AuthThrottleSettingsSchema,
  flows: FlowSettingsSchema,
  sms: SmsSettingsSchema,
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
      throw new ConfigError(`cannot read config file ${path}: ${coerceError(error).message}`);
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${coerceError(error).message}`);
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
