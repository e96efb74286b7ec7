/** Carriers and routes changed while running, and admin keys, on PostgreSQL (see carrier-types.ts). */

import type { Route } from '../../carriers/routing.ts';
import type { SmppCarrierConfig } from '../../carriers/smpp/config.ts';
import type { AdminKey, AdminsRepo, CarrierRecord, CarriersRepo } from '../carrier-types.ts';
import { assembleCarrierUsage, carrierUsageQueries } from '../carrier-usage.ts';
import type { Row } from '../rows.ts';
import type { PgDb } from './db.ts';

function carrierFromRow(r: Row): CarrierRecord {
  return {
    name: r.name as string,
    config: r.config as SmppCarrierConfig,
    enabled: r.enabled === true,
    removed: r.removed === true,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

function adminFromRow(r: Row): AdminKey {
  return {
    id: r.id as string,
    key: r.key as string,
    tokenHash: r.token_hash as string,
    label: r.label as string,
    createdAt: r.created_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

const BUMP = 'UPDATE routing_state SET version = version + 1 WHERE id = 1';

export function pgCarriers(db: PgDb): CarriersRepo {
  return {
    async list() {
      return (await db.all('SELECT * FROM carriers ORDER BY position')).map(carrierFromRow);
    },
    async get(name) {
      const row = await db.get('SELECT * FROM carriers WHERE name = $1', [name]);
      return row && carrierFromRow(row);
    },
    async put(record) {
      return db.tx(async (q) => {
        // The version row is the lock: changes apply one after the other, positions stay unique.
        await q.run('SELECT version FROM routing_state WHERE id = 1 FOR UPDATE');
        const row = (await q.get(
          `INSERT INTO carriers (name, position, config, enabled, removed, created_at, updated_at)
           VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM carriers), $2, $3, $4, $5, $5)
           ON CONFLICT (name) DO UPDATE SET config = excluded.config, enabled = excluded.enabled,
             removed = excluded.removed, updated_at = excluded.updated_at
           RETURNING *`,
          [
            record.config.name,
            JSON.stringify(record.config),
            record.enabled,
            record.removed,
            db.now(),
          ],
        ))!;
        await q.run(BUMP);
        return carrierFromRow(row);
      });
    },
    async listRoutes() {
      const state = (await db.get('SELECT routes_set_at FROM routing_state WHERE id = 1'))!;
      if (state.routes_set_at === null) return null;
      return (await db.all('SELECT definition FROM routes ORDER BY position')).map(
        (r) => r.definition as Route,
      );
    },
    async replaceRoutes(list) {
      await db.tx(async (q) => {
        await q.run('SELECT version FROM routing_state WHERE id = 1 FOR UPDATE');
        await q.run('DELETE FROM routes');
        for (const [i, route] of list.entries()) {
          await q.run('INSERT INTO routes (position, name, definition) VALUES ($1, $2, $3)', [
            i + 1,
            route.name,
            JSON.stringify(route),
          ]);
        }
        await q.run('UPDATE routing_state SET routes_set_at = $1 WHERE id = 1', [db.now()]);
        await q.run(BUMP);
      });
    },
    async version() {
      return Number((await db.get('SELECT version FROM routing_state WHERE id = 1'))!.version);
    },
    async usage(since, until) {
      const q = carrierUsageQueries('postgres', since, until);
      const [totals, latency] = await Promise.all([
        db.all(q.totals.sql, q.totals.params),
        db.all(q.latency.sql, q.latency.params),
      ]);
      return assembleCarrierUsage(totals, latency);
    },
  };
}

export function pgAdmins(db: PgDb): AdminsRepo {
  return {
    async create(input) {
      const row = (await db.get(
        `INSERT INTO admin_keys (id, key, token_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)
         RETURNING *`,
        [input.id, input.key, input.tokenHash, input.label, db.now()],
      ))!;
      return adminFromRow(row);
    },
    async find(key) {
      const row = await db.get('SELECT * FROM admin_keys WHERE key = $1 AND revoked_at IS NULL', [
        key,
      ]);
      return row && adminFromRow(row);
    },
    async list() {
      return (await db.all('SELECT * FROM admin_keys ORDER BY created_at, id')).map(adminFromRow);
    },
    async revoke(id) {
      return (
        (await db.run(
          'UPDATE admin_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
          [db.now(), id],
        )) > 0
      );
    },
  };
}
