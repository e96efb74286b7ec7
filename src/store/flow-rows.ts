/** Row ↔ record mapping for flows, numbers and calls, shared by both adapters (see rows.ts). */

import type {
  CallOrigin,
  CallRecord,
  CallStatus,
  FlowRecord,
  FlowVersionRecord,
  NumberRecord,
} from './flow-types.ts';
import type { Codec, Row } from './rows.ts';

const dateOrNull = (c: Codec, v: unknown): Date | null =>
  v === null || v === undefined ? null : c.date(v);

export function flowFromRow(r: Row, c: Codec): FlowRecord {
  return {
    id: r.id as string,
    accountSid: r.account_sid as string,
    name: r.name as string,
    latestVersion: Number(r.latest_version),
    liveVersion:
      r.live_version === null || r.live_version === undefined ? null : Number(r.live_version),
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
    publishedAt: dateOrNull(c, r.published_at),
  };
}

export function flowVersionFromRow(r: Row, c: Codec): FlowVersionRecord {
  return {
    flowId: r.flow_id as string,
    version: Number(r.version),
    document: c.json<unknown>(r.document),
    createdAt: c.date(r.created_at),
  };
}

export function numberFromRow(r: Row, c: Codec): NumberRecord {
  return {
    accountSid: r.account_sid as string,
    e164: r.e164 as string,
    flowId: (r.flow_id as string | null) ?? null,
    createdAt: c.date(r.created_at),
    updatedAt: c.date(r.updated_at),
  };
}

export function callFromRow(r: Row, c: Codec): CallRecord {
  return {
    sid: r.sid as string,
    accountSid: r.account_sid as string,
    flowId: r.flow_id as string,
    flowVersion: Number(r.flow_version),
    from: r.from_number as string,
    to: r.to_number as string,
    status: r.status as CallStatus,
    endReason: (r.end_reason as string | null) ?? null,
    log: c.json<unknown>(r.log),
    startedAt: c.date(r.started_at),
    endedAt: dateOrNull(c, r.ended_at),
    origin: r.origin === null || r.origin === undefined ? null : c.json<CallOrigin>(r.origin),
  };
}
