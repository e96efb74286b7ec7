/**
 * `callflow carriers list|add|disable|enable|remove`, `callflow routes list|set FILE` and
 * `callflow admin create|list|revoke`: the operator's commands for carriers and routes managed
 * while running. They write to the store named by the configuration (DATA_DIR or DATABASE_URL, or
 * --config FILE); running processes apply a change within `delivery.carrierSyncMs`.
 */

import { readFileSync } from 'node:fs';
import { issueAdminKey } from '../api/plugins/admin.ts';
import type { Route } from '../carriers/routing.ts';
import type { SmppCarrierConfig } from '../carriers/smpp/config.ts';
import { type Config, loadConfig } from '../config.ts';
import { addCarrier, changeCarrier, removeCarrier, saveRoutes } from '../delivery/carrier-admin.ts';
import { loadInForce } from '../delivery/carrier-state.ts';
import { coerceError } from '../errors.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { parse, UsageError } from './usage.ts';

async function withStore<T>(
  configFile: string | undefined,
  work: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig({ file: configFile });
  const store = await openStore(
    config.databaseUrl !== undefined
      ? {
          databaseUrl: config.databaseUrl,
          ...(config.databaseSchema !== undefined && { schema: config.databaseSchema }),
        }
      : { dataDir: config.dataDir },
  );
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${coerceError(error).message}`);
  }
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number`);
  return n;
}

const common = {
  config: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function carriersCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    allowPositionals: true,
    options: {
      ...common,
      name: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'system-id': { type: 'string' },
      password: { type: 'string' },
      window: { type: 'string' },
      tps: { type: 'string' },
      settings: { type: 'string' },
      disabled: { type: 'boolean', default: false },
    },
  });
  const out = (human: string, data: unknown) =>
    process.stdout.write(values.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  const nameArg = () => {
    const name = positionals[0] ?? values.name;
    if (!name) throw new UsageError(`give the carrier's name: carriers ${sub} NAME`);
    return name;
  };

  switch (sub) {
    case 'list': {
      const carriers = await withStore(
        values.config,
        async (store, config) => (await loadInForce(store, config)).carriers,
      );
      out(
        carriers
          .map(
            (c) =>
              `${c.config.name.padEnd(20)} ${(c.enabled ? 'enabled' : 'disabled').padEnd(9)} ${c.source.padEnd(5)} ${c.config.host}:${c.config.port}  window ${c.config.window ?? 10}  ${c.config.segmentsPerSecond ?? 100}/s`,
          )
          .join('\n'),
        carriers.map(({ config: { password: _password, ...settings }, enabled, source }) => ({
          ...settings,
          enabled,
          source,
        })),
      );
      return 0;
    }
    case 'add': {
      let config: SmppCarrierConfig;
      if (values.settings) {
        config = readJson(values.settings) as SmppCarrierConfig;
      } else {
        for (const flag of ['name', 'host', 'port', 'system-id', 'password'] as const)
          if (values[flag] === undefined)
            throw new UsageError(`give --${flag} (or --settings FILE)`);
        const window = integer('--window', values.window);
        const tps = integer('--tps', values.tps);
        config = {
          name: values.name!,
          host: values.host!,
          port: integer('--port', values.port)!,
          systemId: values['system-id']!,
          password: values.password!,
          ...(window !== undefined && { window }),
          ...(tps !== undefined && { segmentsPerSecond: tps }),
        };
      }
      await withStore(values.config, (store, file) =>
        addCarrier(store, file, config, !values.disabled),
      );
      out(`added ${config.name}${values.disabled ? ' (disabled)' : ''}`, { name: config.name });
      return 0;
    }
    case 'disable':
    case 'enable': {
      const name = nameArg();
      await withStore(values.config, (store, file) =>
        changeCarrier(store, file, name, { enabled: sub === 'enable' }),
      );
      out(`${name} ${sub}d`, { name, enabled: sub === 'enable' });
      return 0;
    }
    case 'remove': {
      const name = nameArg();
      await withStore(values.config, (store, file) => removeCarrier(store, file, name));
      out(`${name} removed`, { name, removed: true });
      return 0;
    }
    default:
      throw new UsageError(
        `unknown subcommand '${sub ?? ''}' (expected list, add, disable, enable or remove)`,
      );
  }
}

export async function routesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { allowPositionals: true, options: common });
  switch (sub) {
    case 'list': {
      const routes = await withStore(
        values.config,
        async (store, config) => (await loadInForce(store, config)).routes,
      );
      const human = routes.length
        ? routes
            .map(
              (r, i) =>
                `${String(i + 1).padStart(2)}. ${r.name.padEnd(16)} ${JSON.stringify(r.match ?? {})} -> ${r.carriers.join(', ')} (${r.strategy ?? 'failover'}${r.weights ? ` ${r.weights.join(':')}` : ''})`,
            )
            .join('\n')
        : 'no routes: every carrier, failover in order';
      process.stdout.write(values.json ? `${JSON.stringify(routes)}\n` : `${human}\n`);
      return 0;
    }
    case 'set': {
      const path = positionals[0];
      if (!path) throw new UsageError('give the file: routes set FILE (a JSON list of routes)');
      const routes = readJson(path);
      if (!Array.isArray(routes)) throw new UsageError(`${path} must hold a JSON list of routes`);
      await withStore(values.config, (store, file) => saveRoutes(store, file, routes as Route[]));
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ routes: routes.length })}\n`
          : `${routes.length} route(s) in force\n`,
      );
      return 0;
    }
    default:
      throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected list or set)`);
  }
}

export async function adminCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parse(rest, {
    options: { ...common, label: { type: 'string' }, id: { type: 'string' } },
  });
  switch (sub) {
    case 'create': {
      const { adminKey, token } = await withStore(values.config, (store) =>
        issueAdminKey(store, values.label ?? 'admin'),
      );
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ id: adminKey.id, key: adminKey.key, token, label: adminKey.label })}\n`
          : `admin key  ${adminKey.key}\ntoken      ${token}   (shown once; keep it safe)\nid         ${adminKey.id}\n`,
      );
      return 0;
    }
    case 'list': {
      const keys = await withStore(values.config, (store) => store.admins.list());
      process.stdout.write(
        values.json
          ? `${JSON.stringify(keys.map(({ tokenHash: _h, ...k }) => k))}\n`
          : `${keys.map((k) => `${k.id}  ${k.key}  ${k.label}${k.revokedAt ? '  (revoked)' : ''}`).join('\n')}\n`,
      );
      return 0;
    }
    case 'revoke': {
      if (!values.id) throw new UsageError('give --id ID (see admin list)');
      const revoked = await withStore(values.config, (store) => store.admins.revoke(values.id!));
      if (!revoked) {
        process.stderr.write(`callflow admin: no active admin key ${values.id}\n`);
        return 1;
      }
      process.stdout.write(`revoked ${values.id}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown subcommand '${sub ?? ''}' (expected create, list or revoke)`);
  }
}
