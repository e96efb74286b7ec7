/**
 * The changes an operator makes to carriers and routes while running, one function each, shared
 * by the admin API and the `callflow carriers` / `callflow routes` commands: each checks the change
 * against the carriers and routes in force (carrier-state.ts) and writes it to the store, where
 * every running process picks it up.
 */

import { type Route, routingProblems } from '../carriers/routing.ts';
import { resolveSmppCarrierConfig, type SmppCarrierConfig } from '../carriers/smpp/config.ts';
import { CallflowError, coerceError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { type CarrierInForce, type FileCarriers, loadInForce } from './carrier-state.ts';

/** A carrier's settings as one VALIDATION_FAILED that says what to fix. */
export function checkCarrierSettings(config: SmppCarrierConfig): void {
  try {
    resolveSmppCarrierConfig(config);
  } catch (error) {
    throw new CallflowError('VALIDATION_FAILED', coerceError(error).message);
  }
}

async function find(store: Store, file: FileCarriers, name: string): Promise<CarrierInForce> {
  const found = (await loadInForce(store, file)).carriers.find((c) => c.config.name === name);
  if (!found) throw new CallflowError('NOT_FOUND', `No carrier ${name}.`);
  return found;
}

export async function addCarrier(
  store: Store,
  file: FileCarriers,
  config: SmppCarrierConfig,
  enabled = true,
): Promise<void> {
  checkCarrierSettings(config);
  const state = await loadInForce(store, file);
  if (state.carriers.some((c) => c.config.name === config.name))
    throw new CallflowError('CONFLICT', `A carrier named ${config.name} exists.`);
  await store.carriers.put({ config, enabled, removed: false });
}

/** New settings (merged over the current ones; the name cannot change) and/or enabled. */
export async function changeCarrier(
  store: Store,
  file: FileCarriers,
  name: string,
  change: { settings?: Partial<SmppCarrierConfig>; enabled?: boolean },
): Promise<void> {
  const current = await find(store, file, name);
  if (change.settings?.name !== undefined && change.settings.name !== name)
    throw new CallflowError('VALIDATION_FAILED', 'A carrier cannot be renamed.');
  const config = { ...current.config, ...change.settings, name } as SmppCarrierConfig;
  checkCarrierSettings(config);
  await store.carriers.put({ config, enabled: change.enabled ?? current.enabled, removed: false });
}

/** Refused (CONFLICT) while a route in force names it. */
export async function removeCarrier(store: Store, file: FileCarriers, name: string): Promise<void> {
  const state = await loadInForce(store, file);
  const current = state.carriers.find((c) => c.config.name === name);
  if (!current) throw new CallflowError('NOT_FOUND', `No carrier ${name}.`);
  const using = state.routes.filter((r) => r.carriers.includes(name)).map((r) => r.name);
  if (using.length > 0) {
    throw new CallflowError(
      'CONFLICT',
      `Carrier ${name} is in route ${using.join(', ')}; take it out of the routes first.`,
    );
  }
  // A record, not a deletion: the file's carrier of this name stays out after a restart.
  await store.carriers.put({ config: current.config, enabled: false, removed: true });
}

/** Checks a whole routing table against the carriers in force and writes it at once. */
export async function saveRoutes(
  store: Store,
  file: FileCarriers,
  routes: readonly Route[],
): Promise<void> {
  const names = (await loadInForce(store, file)).carriers.map((c) => c.config.name);
  const problems = routingProblems(routes, names);
  if (problems.length > 0)
    throw new CallflowError('VALIDATION_FAILED', problems.join('; '), { problems });
  await store.carriers.replaceRoutes(routes);
}
