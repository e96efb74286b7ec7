/** Flows and their versions, ExoPhones and calls, written once for both dialects (port.ts). */

import { CallflowError } from '../../errors.ts';
import { callFromRow, flowFromRow, flowVersionFromRow, numberFromRow } from '../flow-rows.ts';
import type {
  CallsRepo,
  FlowRecord,
  FlowsRepo,
  FlowVersionRecord,
  NumberRecord,
  NumbersRepo,
} from '../flow-types.ts';
import { newestFirstPage } from './page.ts';
import { get, run, type SqlPort, type Steps } from './port.ts';

export function sqlFlows(port: SqlPort): FlowsRepo {
  const c = port.codec;

  function* createSteps(
    input: Parameters<FlowsRepo['create']>[0],
    now: unknown,
  ): Steps<FlowRecord> {
    const row = yield* get(
      `INSERT INTO flows (id, account_sid, name, latest_version, live_version, created_at, updated_at)
       VALUES ($1, $2, $3, 1, NULL, $4, $4) RETURNING *`,
      [input.id, input.accountSid, input.name, now],
    );
    yield* run(
      'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES ($1, 1, $2, $3)',
      [input.id, port.json(input.document), now],
    );
    return flowFromRow(row!, c);
  }

  // The UPDATE takes the flow row (PostgreSQL) or the database (SQLite) for the transaction, so
  // concurrent saves get consecutive version numbers.
  function* addVersionSteps(
    accountSid: string,
    id: string,
    input: Parameters<FlowsRepo['addVersion']>[2],
    now: unknown,
  ): Steps<FlowVersionRecord | undefined> {
    const flow = yield* get(
      `UPDATE flows SET latest_version = latest_version + 1, name = coalesce($1, name), updated_at = $2
       WHERE account_sid = $3 AND id = $4 RETURNING latest_version`,
      [input.name ?? null, now, accountSid, id],
    );
    if (!flow) return undefined;
    const row = yield* get(
      'INSERT INTO flow_versions (flow_id, version, document, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
      [id, Number(flow.latest_version), port.json(input.document), now],
    );
    return flowVersionFromRow(row!, c);
  }

  return {
    async create(input) {
      try {
        return await port.tx(() => createSteps(input, port.now()));
      } catch (error) {
        if (port.isUniqueViolation(error)) {
          throw new CallflowError('CONFLICT', `Flow ${input.id} already exists.`);
        }
        throw error;
      }
    },

    async get(accountSid, id) {
      const row = await port.get('SELECT * FROM flows WHERE account_sid = $1 AND id = $2', [
        accountSid,
        id,
      ]);
      return row && flowFromRow(row, c);
    },

    async list(accountSid) {
      const rows = await port.all(
        'SELECT * FROM flows WHERE account_sid = $1 ORDER BY created_at, id',
        [accountSid],
      );
      return rows.map((r) => flowFromRow(r, c));
    },

    async addVersion(accountSid, id, input) {
      return port.tx(() => addVersionSteps(accountSid, id, input, port.now()));
    },

    async getVersion(accountSid, id, version) {
      const row = await port.get(
        `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
         WHERE f.account_sid = $1 AND v.flow_id = $2 AND v.version = $3`,
        [accountSid, id, version],
      );
      return row && flowVersionFromRow(row, c);
    },

    async listVersions(accountSid, id) {
      const rows = await port.all(
        `SELECT v.* FROM flow_versions v JOIN flows f ON f.id = v.flow_id
         WHERE f.account_sid = $1 AND v.flow_id = $2 ORDER BY v.version DESC`,
        [accountSid, id],
      );
      return rows.map((r) => flowVersionFromRow(r, c));
    },

    async publish(accountSid, id, version) {
      const row = await port.get(
        `UPDATE flows SET live_version = $1, published_at = $2, updated_at = $2
         WHERE account_sid = $3 AND id = $4 AND $1 BETWEEN 1 AND latest_version RETURNING *`,
        [version, port.now(), accountSid, id],
      );
      return row && flowFromRow(row, c);
    },

    async remove(accountSid, id) {
      const changed = await port.run('DELETE FROM flows WHERE account_sid = $1 AND id = $2', [
        accountSid,
        id,
      ]);
      return changed > 0;
    },
  };
}

export function sqlNumbers(port: SqlPort): NumbersRepo {
  const c = port.codec;

  function* upsertSteps(
    input: Parameters<NumbersRepo['upsert']>[0],
    now: unknown,
  ): Steps<NumberRecord> {
    if (input.flowId !== null) {
      // Shared: the flow cannot be deleted between this check and the write.
      const flow = yield* get(
        `SELECT 1 FROM flows WHERE account_sid = $1 AND id = $2${port.forShare}`,
        [input.accountSid, input.flowId],
      );
      if (!flow) throw new CallflowError('NOT_FOUND', `No flow ${input.flowId} in this account.`);
    }
    const row = yield* get(
      `INSERT INTO numbers (e164, account_sid, flow_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (e164) DO UPDATE SET flow_id = excluded.flow_id, updated_at = excluded.updated_at
       WHERE numbers.account_sid = excluded.account_sid
       RETURNING *`,
      [input.e164, input.accountSid, input.flowId, now],
    );
    if (!row) throw new CallflowError('CONFLICT', `${input.e164} belongs to another account.`);
    return numberFromRow(row, c);
  }

  return {
    async upsert(input) {
      return port.tx(() => upsertSteps(input, port.now()));
    },

    async get(accountSid, e164) {
      const row = await port.get('SELECT * FROM numbers WHERE account_sid = $1 AND e164 = $2', [
        accountSid,
        e164,
      ]);
      return row && numberFromRow(row, c);
    },

    async find(e164) {
      const row = await port.get('SELECT * FROM numbers WHERE e164 = $1', [e164]);
      return row && numberFromRow(row, c);
    },

    async list(accountSid) {
      const rows = await port.all('SELECT * FROM numbers WHERE account_sid = $1 ORDER BY e164', [
        accountSid,
      ]);
      return rows.map((r) => numberFromRow(r, c));
    },

    async remove(accountSid, e164) {
      const changed = await port.run('DELETE FROM numbers WHERE account_sid = $1 AND e164 = $2', [
        accountSid,
        e164,
      ]);
      return changed > 0;
    },

    async route(accountSid, e164) {
      const row = await port.get(
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
        document: c.json<unknown>(row.document),
      };
    },
  };
}

export function sqlCalls(port: SqlPort): CallsRepo {
  const c = port.codec;
  return {
    async insert(call) {
      const row = await port.get(
        `INSERT INTO calls (sid, account_sid, flow_id, flow_version, from_number, to_number, status, log, started_at, origin)
         VALUES ($1, $2, $3, $4, $5, $6, 'in-progress', $7, $8, $9) ON CONFLICT DO NOTHING RETURNING *`,
        [
          call.sid,
          call.accountSid,
          call.flowId,
          call.flowVersion,
          call.from,
          call.to,
          port.json(call.log),
          port.time(call.startedAt),
          call.origin === undefined ? null : port.json(call.origin),
        ],
      );
      if (!row) throw new CallflowError('CONFLICT', `Call ${call.sid} already exists.`);
      return callFromRow(row, c);
    },

    async finish(sid, end) {
      const row = await port.get(
        `UPDATE calls SET status = 'completed', end_reason = $1, ended_at = $2, log = $3,
           origin = coalesce(${port.jsonParam('$4')}, origin) WHERE sid = $5 RETURNING *`,
        [
          end.endReason,
          port.time(end.endedAt),
          port.json(end.log),
          end.origin === undefined ? null : port.json(end.origin),
          sid,
        ],
      );
      return row && callFromRow(row, c);
    },

    async get(accountSid, sid) {
      const row = await port.get('SELECT * FROM calls WHERE account_sid = $1 AND sid = $2', [
        accountSid,
        sid,
      ]);
      return row && callFromRow(row, c);
    },

    list: (accountSid, filter, cursor, limit) =>
      newestFirstPage(port, {
        table: 'calls',
        timeColumn: 'started_at',
        conditions: (p) => {
          const where = [`account_sid = ${p(accountSid)}`];
          if (filter.flowId !== undefined) where.push(`flow_id = ${p(filter.flowId)}`);
          if (filter.status !== undefined) where.push(`status = ${p(filter.status)}`);
          if (filter.since !== undefined) where.push(`started_at >= ${p(port.time(filter.since))}`);
          if (filter.until !== undefined) where.push(`started_at < ${p(port.time(filter.until))}`);
          return where;
        },
        cursor,
        limit,
        fromRow: (r) => callFromRow(r, c),
        timeOf: (call) => call.startedAt,
      }),
  };
}
