/** Flows and their versions, ExoPhones and calls on PostgreSQL. */

import { CallflowError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { callFromRow, flowFromRow, flowVersionFromRow, numberFromRow } from '../flow-rows.ts';
import type { CallsRepo, FlowsRepo, NumbersRepo } from '../flow-types.ts';
import { pgCodec as c } from '../rows.ts';
import { isUniqueViolation, type PgDb } from './db.ts';

export function pgFlows(db: PgDb): FlowsRepo {
  return {
    async create(input) {
      const now = db.now();
      try {
        return await db.tx(async (q) => {
          const row = await q.get(
            `INSERT INTO flows (id, account_sid, name, latest_version, live_version, created_at, updated_at)
             VALUES ($1, $2, $3, 1, NULL, $4, $4) RETURNING *`,
            [input.id, input.accountSid, input.name, now],
          );
          await q.run(
            'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES ($1, 1, $2, $3)',
            [input.id, JSON.stringify(input.document), now],
          );
          return flowFromRow(row!, c);
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new CallflowError('CONFLICT', `Flow ${input.id} already exists.`);
        throw error;
      }
    },

    async get(accountSid, id) {
      const row = await db.get('SELECT * FROM flows WHERE account_sid = $1 AND id = $2', [
        accountSid,
        id,
      ]);
      return row && flowFromRow(row, c);
    },

    async list(accountSid) {
      const rows = await db.all(
        'SELECT * FROM flows WHERE account_sid = $1 ORDER BY created_at, id',
        [accountSid],
      );
      return rows.map((r) => flowFromRow(r, c));
    },

    async addVersion(accountSid, id, input) {
      const now = db.now();
      // The UPDATE locks the flow row, so concurrent saves get consecutive version numbers.
      return db.tx(async (q) => {
        const flow = await q.get(
          `UPDATE flows SET latest_version = latest_version + 1, name = coalesce($1, name), updated_at = $2
           WHERE account_sid = $3 AND id = $4 RETURNING latest_version`,
          [input.name ?? null, now, accountSid, id],
        );
        if (!flow) return undefined;
        const row = await q.get(
          'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
          [id, Number(flow.latest_version), JSON.stringify(input.document), now],
        );
        return flowVersionFromRow(row!, c);
      });
    },

    async getVersion(accountSid, id, version) {
      const row = await db.get(
        `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
         WHERE f.account_sid = $1 AND v.flow_id = $2 AND v.version = $3`,
        [accountSid, id, version],
      );
      return row && flowVersionFromRow(row, c);
    },

    async listVersions(accountSid, id) {
      const rows = await db.all(
        `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
         WHERE f.account_sid = $1 AND v.flow_id = $2 ORDER BY v.version DESC`,
        [accountSid, id],
      );
      return rows.map((r) => flowVersionFromRow(r, c));
    },

    async publish(accountSid, id, version) {
      const now = db.now();
      const row = await db.get(
        `UPDATE flows SET live_version = $1, published_at = $2, updated_at = $2
         WHERE account_sid = $3 AND id = $4 AND $1 BETWEEN 1 AND latest_version RETURNING *`,
        [version, now, accountSid, id],
      );
      return row && flowFromRow(row, c);
    },

    async remove(accountSid, id) {
      return (
        (await db.run('DELETE FROM flows WHERE account_sid = $1 AND id = $2', [accountSid, id])) > 0
      );
    },
  };
}

export function pgNumbers(db: PgDb): NumbersRepo {
  return {
    async upsert(input) {
      const now = db.now();
      return db.tx(async (q) => {
        if (input.flowId !== null) {
          // FOR SHARE: the flow cannot be deleted between this check and the write.
          const flow = await q.get(
            'SELECT 1 FROM flows WHERE account_sid = $1 AND id = $2 FOR SHARE',
            [input.accountSid, input.flowId],
          );
          if (!flow)
            throw new CallflowError('NOT_FOUND', `No flow ${input.flowId} in this account.`);
        }
        const row = await q.get(
          `INSERT INTO numbers (e164, account_sid, flow_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (e164) DO UPDATE SET flow_id = excluded.flow_id, updated_at = excluded.updated_at
           WHERE numbers.account_sid = excluded.account_sid
           RETURNING *`,
          [input.e164, input.accountSid, input.flowId, now],
        );
        if (!row) throw new CallflowError('CONFLICT', `${input.e164} belongs to another account.`);
        return numberFromRow(row, c);
      });
    },

    async get(accountSid, e164) {
      const row = await db.get('SELECT * FROM numbers WHERE account_sid = $1 AND e164 = $2', [
        accountSid,
        e164,
      ]);
      return row && numberFromRow(row, c);
    },

    async find(e164) {
      const row = await db.get('SELECT * FROM numbers WHERE e164 = $1', [e164]);
      return row && numberFromRow(row, c);
    },

    async list(accountSid) {
      const rows = await db.all('SELECT * FROM numbers WHERE account_sid = $1 ORDER BY e164', [
        accountSid,
      ]);
      return rows.map((r) => numberFromRow(r, c));
    },

    async remove(accountSid, e164) {
      return (
        (await db.run('DELETE FROM numbers WHERE account_sid = $1 AND e164 = $2', [
          accountSid,
          e164,
        ])) > 0
      );
    },

    async route(accountSid, e164) {
      const row = await db.get(
        `SELECT n.*, f.live_version, v.document FROM numbers n
         JOIN flows f ON f.id = n.flow_id
         JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.live_version
         WHERE n.account_sid = $1 AND n.e164 = $2`,
        [accountSid, e164],
      );
      if (!row) return undefined;
      return {
        number: numberFromRow(row, c),
        flowId: row.flow_id as string,
        flowVersion: Number(row.live_version),
        document: row.document,
      };
    },
  };
}

export function pgCalls(db: PgDb): CallsRepo {
  return {
    async insert(call) {
      const row = await db.get(
        `INSERT INTO calls (sid, account_sid, flow_id, flow_version, from_number, to_number, status, log, started_at, origin)
         VALUES ($1, $2, $3, $4, $5, $6, 'in-progress', $7, $8, $9) ON CONFLICT DO NOTHING RETURNING *`,
        [
          call.sid,
          call.accountSid,
          call.flowId,
          call.flowVersion,
          call.from,
          call.to,
          JSON.stringify(call.log),
          call.startedAt,
          call.origin === undefined ? null : JSON.stringify(call.origin),
        ],
      );
      if (!row) throw new CallflowError('CONFLICT', `Call ${call.sid} already exists.`);
      return callFromRow(row, c);
    },

    async finish(sid, end) {
      const row = await db.get(
        `UPDATE calls SET status = 'completed', end_reason = $1, ended_at = $2, log = $3,
           origin = coalesce($4::jsonb, origin) WHERE sid = $5 RETURNING *`,
        [
          end.endReason,
          end.endedAt,
          JSON.stringify(end.log),
          end.origin === undefined ? null : JSON.stringify(end.origin),
          sid,
        ],
      );
      return row && callFromRow(row, c);
    },

    async get(accountSid, sid) {
      const row = await db.get('SELECT * FROM calls WHERE account_sid = $1 AND sid = $2', [
        accountSid,
        sid,
      ]);
      return row && callFromRow(row, c);
    },

    async list(accountSid, filter, cursor, limit) {
      const params: unknown[] = [accountSid];
      const where = ['account_sid = $1'];
      const add = (sql: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(sql(`$${params.length}`));
      };
      if (filter.flowId !== undefined) add((p) => `flow_id = ${p}`, filter.flowId);
      if (filter.status !== undefined) add((p) => `status = ${p}`, filter.status);
      if (filter.since !== undefined) add((p) => `started_at >= ${p}`, filter.since);
      if (filter.until !== undefined) add((p) => `started_at < ${p}`, filter.until);
      if (cursor !== null) {
        const after = decodeCursor(cursor);
        params.push(new Date(after.createdAtMs), after.sid);
        where.push(`(started_at, sid) < ($${params.length - 1}, $${params.length})`);
      }
      params.push(limit + 1);
      const rows = await db.all(
        `SELECT * FROM calls WHERE ${where.join(' AND ')} ORDER BY started_at DESC, sid DESC LIMIT $${params.length}`,
        params,
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
