/** Carriers, routes and admin keys on PostgreSQL (see carrier-types.ts). */

import type { Route } from '../../carriers/routing.ts';
import type { SmppCarrierConfig } from '../../carriers/smpp/config.ts';
import { CallflowError } from '../../errors.ts';
import type { AdminKey, AdminsRepo, CarrierRecord, CarriersRepo } from '../carrier-types.ts';
import { assembleCarrierUsage, carrierUsageQueries } from '../carrier-usage.ts';
import type { Row } from '../rows.ts';
import { isUniqueViolation, type PgDb, type Queryable } from './db.ts';

function carrierFromRow(r: Row): CarrierRecord {
  return {
    name: r.name as string,
    config: r.config as SmppCarrierConfig,
    enabled: r.enabled === true,
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

/** Changes to carriers and routes take this lock first, so they apply one after the other. */
const LOCK = 'SELECT version FROM routing_state WHERE id = 1 FOR UPDATE';
const BUMP = 'UPDATE routing_state SET version = version + 1 WHERE id = 1';

async function routesIn(q: Queryable): Promise<Route[]> {
  return (await q.all('SELECT definition FROM routes ORDER BY position')).map(
    (r) => r.definition as Route,
  );
}

export function pgCarriers(db: PgDb): CarriersRepo {
  async function insertCarrier(q: Queryable, config: SmppCarrierConfig, enabled: boolean) {
    const now = db.now();
    try {
      const row = (await q.get(
        `INSERT INTO carriers (name, position, config, enabled, created_at, updated_at)
         VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM carriers), $2, $3, $4, $4)
         RETURNING *`,
        [config.name, JSON.stringify(config), enabled, now],
      ))!;
      await q.run(BUMP);
      return carrierFromRow(row);
    } catch (error) {
      if (isUniqueViolation(error))
        throw new CallflowError('CONFLICT', `A carrier named ${config.name} exists.`);
      throw error;
    }
  }

  async function writeRoutes(q: Queryable, list: readonly Route[]) {
    const known = new Set((await q.all('SELECT name FROM carriers')).map((r) => r.name as string));
    for (const route of list) {
      const unknown = route.carriers.filter((c) => !known.has(c));
      if (unknown.length > 0) {
        throw new CallflowError(
          'VALIDATION_FAILED',
          `Route ${route.name} names no carrier ${unknown.join(', ')}.`,
        );
      }
    }
    await q.run('DELETE FROM routes');
    for (const [i, route] of list.entries()) {
      await q.run('INSERT INTO routes (position, name, definition) VALUES ($1, $2, $3)', [
        i + 1,
        route.name,
        JSON.stringify(route),
      ]);
    }
    await q.run(BUMP);
  }

  return {
    async list() {
      return (await db.all('SELECT * FROM carriers ORDER BY position')).map(carrierFromRow);
    },
    async get(name) {
      const row = await db.get('SELECT * FROM carriers WHERE name = $1', [name]);
      return row && carrierFromRow(row);
    },
    async create(config, enabled) {
      return db.tx(async (q) => {
        await q.run(LOCK);
        return insertCarrier(q, config, enabled);
      });
    },
    async update(name, patch) {
      return db.tx(async (q) => {
        await q.run(LOCK);
        const row = await q.get('SELECT * FROM carriers WHERE name = $1', [name]);
        if (!row) return undefined;
        const current = carrierFromRow(row);
        const config = patch.config ? { ...patch.config, name } : current.config;
        const updated = (await q.get(
          `UPDATE carriers SET config = $1, enabled = $2, updated_at = $3 WHERE name = $4
           RETURNING *`,
          [JSON.stringify(config), patch.enabled ?? current.enabled, db.now(), name],
        ))!;
        await q.run(BUMP);
        return carrierFromRow(updated);
      });
    },
    async remove(name) {
      return db.tx(async (q) => {
        await q.run(LOCK);
        const using = (await routesIn(q)).filter((r) => r.carriers.includes(name));
        if (using.length > 0) {
          throw new CallflowError(
            'CONFLICT',
            `Carrier ${name} is in route ${using.map((r) => r.name).join(', ')}; take it out of the routes first.`,
          );
        }
        const removed = (await q.run('DELETE FROM carriers WHERE name = $1', [name])) > 0;
        if (removed) await q.run(BUMP);
        return removed;
      });
    },
    async listRoutes() {
      return routesIn(db);
    },
    async replaceRoutes(list) {
      await db.tx(async (q) => {
        await q.run(LOCK);
        await writeRoutes(q, list);
      });
    },
    async version() {
      return Number((await db.get('SELECT version FROM routing_state WHERE id = 1'))!.version);
    },
    async seed(carriers, list) {
      return db.tx(async (q) => {
        const state = (await q.get('SELECT seeded_at FROM routing_state WHERE id = 1 FOR UPDATE'))!;
        if (state.seeded_at !== null) return false;
        for (const c of carriers) await insertCarrier(q, c, true);
        if (list.length > 0) await writeRoutes(q, list);
        await q.run('UPDATE routing_state SET seeded_at = $1 WHERE id = 1', [db.now()]);
        return true;
      });
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
