/**
 * The carriers and routes in force: the config file's, with the changes made while running laid
 * over them. This is the rule between the file and live changes (docs/operations.md):
 *
 * - a carrier changed while running (settings, enabled, removed) is what the store says, whatever
 *   the file says about it: a restart with the same file keeps the change;
 * - a carrier the store does not name runs as the file says, in the file's order; one added while
 *   running comes after the file's;
 * - once routes were set while running, the stored table replaces the file's `routes`.
 *
 * So the file is the starting state, and it never silently undoes a live change; to make the file
 * win again for a carrier, change that carrier live to the file's settings.
 */

import type { Route } from '../carriers/routing.ts';
import type { SmppCarrierConfig } from '../carriers/smpp/config.ts';
import type { CarrierRecord, Store } from '../store/types.ts';

export interface CarrierInForce {
  config: SmppCarrierConfig;
  enabled: boolean;
  /** Where its settings come from. */
  source: 'file' | 'live';
}

export interface FileCarriers {
  carriers: readonly SmppCarrierConfig[];
  routes?: readonly Route[] | undefined;
}

export function carriersInForce(
  file: readonly SmppCarrierConfig[],
  records: readonly CarrierRecord[],
): CarrierInForce[] {
  const byName = new Map(records.map((r) => [r.name, r]));
  const out: CarrierInForce[] = [];
  for (const config of file) {
    const record = byName.get(config.name);
    if (!record) out.push({ config, enabled: true, source: 'file' });
    else if (!record.removed)
      out.push({ config: record.config, enabled: record.enabled, source: 'live' });
  }
  const inFile = new Set(file.map((c) => c.name));
  for (const r of records) {
    if (!inFile.has(r.name) && !r.removed)
      out.push({ config: r.config, enabled: r.enabled, source: 'live' });
  }
  return out;
}

export async function loadInForce(
  store: Store,
  file: FileCarriers,
): Promise<{ version: number; carriers: CarrierInForce[]; routes: Route[] }> {
  // The version first: a change that lands while we read is seen again at the next sync.
  const version = await store.carriers.version();
  const [records, routes] = await Promise.all([store.carriers.list(), store.carriers.listRoutes()]);
  return {
    version,
    carriers: carriersInForce(file.carriers, records),
    routes: routes ?? [...(file.routes ?? [])],
  };
}
