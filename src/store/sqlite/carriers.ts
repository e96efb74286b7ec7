/** Carriers, routes and admin keys on SQLite (see carrier-types.ts). */

import type { Route } from '../../carriers/routing.ts';
import type { SmppCarrierConfig } from '../../carriers/smpp/config.ts';
import { CallflowError } from '../../errors.ts';
import type { AdminKey, AdminsRepo, CarrierRecord, CarriersRepo } from '../carrier-types.ts';
import { assembleCarrierUsage, carrierUsageQueries } from '../carrier-usage.ts';
import type { Row } from '../rows.ts';
import { conflictOr, type SqliteDb } from './db.ts';

function carrierFromRow(r: Row): CarrierRecord {
  return {
    name: r.name as string,
    config: JSON.parse(r.config as string) as SmppCarrierConfig,
    enabled: Number(r.enabled) === 1,
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
  const routes = (): Route[] =>
    db
      .all('SELECT definition FROM routes ORDER BY position')
      .map((r) => JSON.parse(r.definition as string) as Route);

  function insertCarrier(config: SmppCarrierConfig, enabled: boolean): CarrierRecord {
    const now = db.now();
    try {
      const row = db.get(
        `INSERT INTO carriers (name, position, config, enabled, created_at, updated_at)
         VALUES (?, (SELECT coalesce(max(position), 0) + 1 FROM carriers), ?, ?, ?, ?) RETURNING *`,
        config.name,
        JSON.stringify(config),
        enabled ? 1 : 0,
        now,
        now,
      )!;
      bump();
      return carrierFromRow(row);
    } catch (error) {
      throw conflictOr(error, `A carrier named ${config.name} exists.`);
    }
  }

  function writeRoutes(list: readonly Route[]) {
    const known = new Set(db.all('SELECT name FROM carriers').map((r) => r.name as string));
    for (const route of list) {
      const unknown = route.carriers.filter((c) => !known.has(c));
      if (unknown.length > 0) {
        throw new CallflowError(
          'VALIDATION_FAILED',
          `Route ${route.name} names no carrier ${unknown.join(', ')}.`,
        );
      }
    }
    db.run('DELETE FROM routes');
    list.forEach((route, i) => {
      db.run(
        'INSERT INTO routes (position, name, definition) VALUES (?, ?, ?)',
        i + 1,
        route.name,
        JSON.stringify(route),
      );
    });
    bump();
  }

  return {
    async list() {
      return db.all('SELECT * FROM carriers ORDER BY position').map(carrierFromRow);
    },
    async get(name) {
      const row = db.get('SELECT * FROM carriers WHERE name = ?', name);
      return row && carrierFromRow(row);
    },
    async create(config, enabled) {
      return db.tx(() => insertCarrier(config, enabled));
    },
    async update(name, patch) {
      return db.tx(() => {
        const row = db.get('SELECT * FROM carriers WHERE name = ?', name);
        if (!row) return undefined;
        const current = carrierFromRow(row);
        const config = patch.config ? { ...patch.config, name } : current.config;
        const enabled = patch.enabled ?? current.enabled;
        const updated = db.get(
          'UPDATE carriers SET config = ?, enabled = ?, updated_at = ? WHERE name = ? RETURNING *',
          JSON.stringify(config),
          enabled ? 1 : 0,
          db.now(),
          name,
        )!;
        bump();
        return carrierFromRow(updated);
      });
    },
    async remove(name) {
      return db.tx(() => {
        const using = routes().filter((r) => r.carriers.includes(name));
        if (using.length > 0) {
          throw new CallflowError(
            'CONFLICT',
            `Carrier ${name} is in route ${using.map((r) => r.name).join(', ')}; take it out of the routes first.`,
          );
        }
        const removed = db.run('DELETE FROM carriers WHERE name = ?', name) > 0;
        if (removed) bump();
        return removed;
      });
    },
    async listRoutes() {
      return routes();
    },
    async replaceRoutes(list) {
      db.tx(() => writeRoutes(list));
    },
    async version() {
      return Number(db.get('SELECT version FROM routing_state WHERE id = 1')!.version);
    },
    async seed(carriers, list) {
      return db.tx(() => {
        const state = db.get('SELECT seeded_at FROM routing_state WHERE id = 1')!;
        if (state.seeded_at !== null) return false;
        for (const c of carriers) insertCarrier(c, true);
        if (list.length > 0) writeRoutes(list);
        db.run('UPDATE routing_state SET seeded_at = ? WHERE id = 1', db.now());
        return true;
      });
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
