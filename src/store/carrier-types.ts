/**
 * What the store keeps of carriers and routes changed while running, and the admin credentials
 * that change them. One module per dialect (`carriers.ts`) implements it.
 *
 * Glossary:
 * - carrier record: a carrier changed while running. It overrides the config file's carrier of
 *   the same name (settings, enabled), adds one the file does not have, or (removed) takes one
 *   out. A carrier no record names runs as the file says (src/delivery/carrier-state.ts).
 * - routes set: once routes were set while running, the stored table replaces the file's.
 * - routing version: a counter raised by every change, so a running worker notices a change made
 *   by another process with one cheap read.
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
  /** Taken out while running (the file's carrier of this name no longer runs). */
  removed: boolean;
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
  /** Every record, removed ones included, in the order they were first written. */
  list(): Promise<CarrierRecord[]>;
  get(name: string): Promise<CarrierRecord | undefined>;
  /** Writes the record of a carrier (created, or replaced keeping its place); raises the version. */
  put(record: Pick<CarrierRecord, 'config' | 'enabled' | 'removed'>): Promise<CarrierRecord>;
  /** The routes set while running, in order; null when none were ever set (the file's apply). */
  listRoutes(): Promise<Route[] | null>;
  /** Replaces the whole routing table in one transaction; raises the version. */
  replaceRoutes(routes: readonly Route[]): Promise<void>;
  /** The routing version (see the glossary). */
  version(): Promise<number>;
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
