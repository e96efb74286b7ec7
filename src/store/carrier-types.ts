/**
 * What the store keeps of the carrier side, managed while running: the carriers (their SMPP
 * settings and whether they take messages), the routing table, and the admin credentials that
 * may change them. One module per dialect (`carriers.ts`) implements it.
 *
 * Glossary:
 * - routing version: a counter raised by every change to carriers or routes, so a running worker
 *   notices a change made by another process with one cheap read.
 * - seeded: the config file's carriers and routes were written once, on the first start; from
 *   then on the store is the truth (docs/operations.md).
 * - usage: per carrier, what became of the messages it took in a time range (by submit time).
 */

import type { Route } from '../carriers/routing.ts';
import type { SmppCarrierConfig } from '../carriers/smpp/config.ts';

export interface CarrierRecord {
  name: string;
  /** The carrier's settings, as in the config file's `carriers[]` (name included). */
  config: SmppCarrierConfig;
  /** A disabled carrier takes no new messages and is unbound once its window has drained. */
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface CarrierUsage {
  carrier: string;
  /** Messages the carrier took in the range. */
  messages: number;
  segments: number;
  delivered: number;
  undelivered: number;
  /** Still waiting for their final receipt. */
  pending: number;
  /** What the accounts were charged for them (net of refunds). */
  chargedPaise: number;
  /** Segments by SMS type: times the carrier's pricePaise gives its cost. */
  segmentsByType: { transactional: number; service: number; promotional: number };
  /** Median of doneAt − submittedAt over delivered messages, ms (nearest rank). */
  deliveryMedianMs: number | null;
}

export interface AdminKey {
  id: string;
  /** The public half, sent as the Basic auth user name. */
  key: string;
  tokenHash: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface CarriersRepo {
  /** In the order they were added (the failover order when there are no routes). */
  list(): Promise<CarrierRecord[]>;
  get(name: string): Promise<CarrierRecord | undefined>;
  /** Throws CONFLICT when a carrier has that name. */
  create(config: SmppCarrierConfig, enabled: boolean): Promise<CarrierRecord>;
  /** Undefined when there is no such carrier. The name cannot change. */
  update(
    name: string,
    patch: { config?: SmppCarrierConfig; enabled?: boolean },
  ): Promise<CarrierRecord | undefined>;
  /** Throws CONFLICT while a route names it; false when there is no such carrier. */
  remove(name: string): Promise<boolean>;
  listRoutes(): Promise<Route[]>;
  /** Replaces the whole routing table at once; throws VALIDATION_FAILED when a route names an unknown carrier. */
  replaceRoutes(routes: readonly Route[]): Promise<void>;
  /** The routing version (see the glossary). */
  version(): Promise<number>;
  /**
   * On the first start only: writes these carriers and routes and marks the store seeded.
   * Returns false, writing nothing, when it was seeded before.
   */
  seed(carriers: readonly SmppCarrierConfig[], routes: readonly Route[]): Promise<boolean>;
  /** Per carrier, the messages submitted in since ≤ submittedAt < until. */
  usage(since: Date, until: Date): Promise<CarrierUsage[]>;
}

export interface AdminsRepo {
  create(input: Omit<AdminKey, 'createdAt' | 'revokedAt'>): Promise<AdminKey>;
  /** The key unless it is revoked. */
  find(key: string): Promise<AdminKey | undefined>;
  list(): Promise<AdminKey[]>;
  revoke(id: string): Promise<boolean>;
}
