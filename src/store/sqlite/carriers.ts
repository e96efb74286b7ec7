/** Carriers and routes changed while running, and admin keys, on SQLite (see carrier-types.ts). */

import type { Route } from '../../carriers/routing.ts';
import type { SmppCarrierConfig } from '../../carriers/smpp/config.ts';
import type { AdminKey, AdminsRepo, CarrierRecord, CarriersRepo } from '../carrier-types.ts';
import { assembleCarrierUsage, carrierUsageQueries } from '../carrier-usage.ts';
import type { Row } from '../rows.ts';
import type { SqliteDb } from './db.ts';

function carrierFromRow(r: Row): CarrierRecord {
  return {
    name: r.name as string,
    config: JSON.parse(r.config as string) as SmppCarrierConfig,
    enabled: Number(r.enabled) === 1,
    removed: Number(r.removed) === 1,
    createdAt: new Date(Number(r.created_at)),
    updatedAt: new Date(Number(r.updated_at)),
  };
}

function adminFromRow(r: Row): AdminKey {
  return {
    id: r.id as string,
    key: r.key as string,
    tokenHash: r.token_hash as string,
    label: r.label as string,
    createdAt: new Date(Number(r.created_at)),
    revokedAt: r.revoked_at === null ? null : new Date(Number(r.revoked_at)),
  };
}

export function sqliteCarriers(db: SqliteDb): CarriersRepo {
  const bump = () => db.run('UPDATE routing_state SET version = version + 1 WHERE id = 1');
  return {
    async list() {
      return db.all('SELECT * FROM carriers ORDER BY position').map(carrierFromRow);
    },
    async get(name) {
      const row = db.get('SELECT * FROM carriers WHERE name = ?', name);
      return row && carrierFromRow(row);
    },
    async put(record) {
      return db.tx(() => {
        const now = db.now();
        const row = db.get(
          `INSERT INTO carriers (name, position, config, enabled, removed, created_at, updated_at)
           VALUES (?, (SELECT coalesce(max(position), 0) + 1 FROM carriers), ?, ?, ?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET config = excluded.config, enabled = excluded.enabled,
             removed = excluded.removed, updated_at = excluded.updated_at
           RETURNING *`,
          record.config.name,
          JSON.stringify(record.config),
          record.enabled ? 1 : 0,
          record.removed ? 1 : 0,
          now,
          now,
        )!;
        bump();
        return carrierFromRow(row);
      });
    },
    async listRoutes() {
      const state = db.get('SELECT routes_set_at FROM routing_state WHERE id = 1')!;
      if (state.routes_set_at === null) return null;
      return db
        .all('SELECT definition FROM routes ORDER BY position')
        .map((r) => JSON.parse(r.definition as string) as Route);
    },
    async replaceRoutes(list) {
      db.tx(() => {
        db.run('DELETE FROM routes');
        list.forEach((route, i) => {
          db.run(
            'INSERT INTO routes (position, name, definition) VALUES (?, ?, ?)',
            i + 1,
            route.name,
            JSON.stringify(route),
          );
        });
        db.run('UPDATE routing_state SET routes_set_at = ? WHERE id = 1', db.now());
        bump();
      });
    },
    async version() {
      return Number(db.get('SELECT version FROM routing_state WHERE id = 1')!.version);
    },
    async usage(since, until) {
      const q = carrierUsageQueries('sqlite', since, until);
      const totals = db.all(q.totals.sql, ...(q.totals.params as number[]));
      const latency = db.all(q.latency.sql, ...(q.latency.params as number[]));
      return assembleCarrierUsage(totals, latency);
    },
  };
}

export function sqliteAdmins(db: SqliteDb): AdminsRepo {
  return {
    async create(input) {
      const row = db.get(
        `INSERT INTO admin_keys (id, key, token_hash, label, created_at) VALUES (?, ?, ?, ?, ?)
         RETURNING *`,
        input.id,
        input.key,
        input.tokenHash,
        input.label,
        db.now(),
      )!;
      return adminFromRow(row);
    },
    async find(key) {
      const row = db.get('SELECT * FROM admin_keys WHERE key = ? AND revoked_at IS NULL', key);
      return row && adminFromRow(row);
    },
    async list() {
      return db.all('SELECT * FROM admin_keys ORDER BY created_at, id').map(adminFromRow);
    },
    async revoke(id) {
      return (
        db.run(
          'UPDATE admin_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
          db.now(),
          id,
        ) > 0
      );
    },
  };
}
