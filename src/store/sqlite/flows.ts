/** Flows and their versions, ExoPhones and calls on SQLite. */

import type { SQLInputValue } from 'node:sqlite';
import { CallflowError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { callFromRow, flowFromRow, flowVersionFromRow, numberFromRow } from '../flow-rows.ts';
import type { CallsRepo, FlowsRepo, NumbersRepo } from '../flow-types.ts';
import { sqliteCodec as c } from '../rows.ts';
import type { SqliteDb } from './db.ts';

export function sqliteFlows(db: SqliteDb): FlowsRepo {
  const getFlow = (accountSid: string, id: string) =>
    db.get('SELECT * FROM flows WHERE account_sid = ? AND id = ?', accountSid, id);
  return {
    async create(input) {
      const now = db.now();
      return db.tx(() => {
        if (db.get('SELECT 1 FROM flows WHERE id = ?', input.id)) {
          throw new CallflowError('CONFLICT', `Flow ${input.id} already exists.`);
        }
        const row = db.get(
          `INSERT INTO flows (id, account_sid, name, latest_version, live_version, created_at, updated_at)
           VALUES (?, ?, ?, 1, NULL, ?, ?) RETURNING *`,
          input.id,
          input.accountSid,
          input.name,
          now,
          now,
        )!;
        db.run(
          'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES (?, 1, ?, ?)',
          input.id,
          JSON.stringify(input.document),
          now,
        );
        return flowFromRow(row, c);
      });
    },

    async get(accountSid, id) {
      const row = getFlow(accountSid, id);
      return row && flowFromRow(row, c);
    },

    async list(accountSid) {
      return db
        .all('SELECT * FROM flows WHERE account_sid = ? ORDER BY created_at, id', accountSid)
        .map((r) => flowFromRow(r, c));
    },

    async addVersion(accountSid, id, input) {
      const now = db.now();
      return db.tx(() => {
        const flow = db.get(
          `UPDATE flows SET latest_version = latest_version + 1, name = coalesce(?, name), updated_at = ?
           WHERE account_sid = ? AND id = ? RETURNING latest_version`,
          input.name ?? null,
          now,
          accountSid,
          id,
        );
        if (!flow) return undefined;
        const row = db.get(
          'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES (?, ?, ?, ?) RETURNING *',
          id,
          Number(flow.latest_version),
          JSON.stringify(input.document),
          now,
        )!;
        return flowVersionFromRow(row, c);
      });
    },

    async getVersion(accountSid, id, version) {
      const row = db.get(
        `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
         WHERE f.account_sid = ? AND v.flow_id = ? AND v.version = ?`,
        accountSid,
        id,
        version,
      );
      return row && flowVersionFromRow(row, c);
    },

    async listVersions(accountSid, id) {
      return db
        .all(
          `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
           WHERE f.account_sid = ? AND v.flow_id = ? ORDER BY v.version DESC`,
          accountSid,
          id,
        )
        .map((r) => flowVersionFromRow(r, c));
    },

    async publish(accountSid, id, version) {
      const now = db.now();
      const row = db.get(
        `UPDATE flows SET live_version = ?, published_at = ?, updated_at = ?
         WHERE account_sid = ? AND id = ? AND ? BETWEEN 1 AND latest_version RETURNING *`,
        version,
        now,
        now,
        accountSid,
        id,
        version,
      );
      return row && flowFromRow(row, c);
    },

    async remove(accountSid, id) {
      return db.run('DELETE FROM flows WHERE account_sid = ? AND id = ?', accountSid, id) > 0;
    },
  };
}

export function sqliteNumbers(db: SqliteDb): NumbersRepo {
  return {
    async upsert(input) {
      const now = db.now();
      return db.tx(() => {
        if (
          input.flowId !== null &&
          !db.get(
            'SELECT 1 FROM flows WHERE account_sid = ? AND id = ?',
            input.accountSid,
            input.flowId,
          )
        ) {
          throw new CallflowError('NOT_FOUND', `No flow ${input.flowId} in this account.`);
        }
        const row = db.get(
          `INSERT INTO numbers (e164, account_sid, flow_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (e164) DO UPDATE SET flow_id = excluded.flow_id, updated_at = excluded.updated_at
           WHERE numbers.account_sid = excluded.account_sid
           RETURNING *`,
          input.e164,
          input.accountSid,
          input.flowId,
          now,
          now,
        );
        if (!row) throw new CallflowError('CONFLICT', `${input.e164} belongs to another account.`);
        return numberFromRow(row, c);
      });
    },

    async get(accountSid, e164) {
      const row = db.get(
        'SELECT * FROM numbers WHERE account_sid = ? AND e164 = ?',
        accountSid,
        e164,
      );
      return row && numberFromRow(row, c);
    },

    async find(e164) {
      const row = db.get('SELECT * FROM numbers WHERE e164 = ?', e164);
      return row && numberFromRow(row, c);
    },

    async list(accountSid) {
      return db
        .all('SELECT * FROM numbers WHERE account_sid = ? ORDER BY e164', accountSid)
        .map((r) => numberFromRow(r, c));
    },

    async remove(accountSid, e164) {
      return db.run('DELETE FROM numbers WHERE account_sid = ? AND e164 = ?', accountSid, e164) > 0;
    },

    async route(accountSid, e164) {
      const row = db.get(
        `SELECT n.*, f.live_version, v.document FROM numbers n
         JOIN flows f ON f.id = n.flow_id
         JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.live_version
         WHERE n.account_sid = ? AND n.e164 = ?`,
        accountSid,
        e164,
      );
      if (!row) return undefined;
      return {
        number: numberFromRow(row, c),
        flowId: row.flow_id as string,
        flowVersion: Number(row.live_version),
        document: c.json<unknown>(row.document),
      };
    },
  };
}

export function sqliteCalls(db: SqliteDb): CallsRepo {
  return {
    async insert(call) {
      const row = db.get(
        `INSERT INTO calls (sid, account_sid, flow_id, flow_version, from_number, to_number, status, log, started_at, origin)
         VALUES (?, ?, ?, ?, ?, ?, 'in-progress', ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
        call.sid,
        call.accountSid,
        call.flowId,
        call.flowVersion,
        call.from,
        call.to,
        JSON.stringify(call.log),
        call.startedAt.getTime(),
        call.origin === undefined ? null : JSON.stringify(call.origin),
      );
      if (!row) throw new CallflowError('CONFLICT', `Call ${call.sid} already exists.`);
      return callFromRow(row, c);
    },

    async finish(sid, end) {
      const row = db.get(
        `UPDATE calls SET status = 'completed', end_reason = ?, ended_at = ?, log = ?,
           origin = coalesce(?, origin) WHERE sid = ? RETURNING *`,
        end.endReason,
        end.endedAt.getTime(),
        JSON.stringify(end.log),
        end.origin === undefined ? null : JSON.stringify(end.origin),
        sid,
      );
      return row && callFromRow(row, c);
    },

    async get(accountSid, sid) {
      const row = db.get('SELECT * FROM calls WHERE account_sid = ? AND sid = ?', accountSid, sid);
      return row && callFromRow(row, c);
    },

    async list(accountSid, filter, cursor, limit) {
      const where = ['account_sid = ?'];
      const params: SQLInputValue[] = [accountSid];
      if (filter.flowId !== undefined) {
        where.push('flow_id = ?');
        params.push(filter.flowId);
      }
      if (filter.status !== undefined) {
        where.push('status = ?');
        params.push(filter.status);
      }
      if (filter.since !== undefined) {
        where.push('started_at >= ?');
        params.push(filter.since.getTime());
      }
      if (filter.until !== undefined) {
        where.push('started_at < ?');
        params.push(filter.until.getTime());
      }
      if (cursor !== null) {
        const after = decodeCursor(cursor);
        where.push('(started_at < ? OR (started_at = ? AND sid < ?))');
        params.push(after.createdAtMs, after.createdAtMs, after.sid);
      }
      const rows = db.all(
        `SELECT * FROM calls WHERE ${where.join(' AND ')} ORDER BY started_at DESC, sid DESC LIMIT ?`,
        ...params,
        limit + 1,
      );
      const items = rows.slice(0, limit).map((r) => callFromRow(r, c));
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor(last.startedAt, last.sid) : null,
      };
    },
  };
}
