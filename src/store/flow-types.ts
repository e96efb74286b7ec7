/**
 * What the store keeps for voice flows: flows and their versions, the account's ExoPhones and the
 * flow each runs, and calls with their logs.
 *
 * Glossary:
 * - flow version: an immutable copy of the flow document, numbered 1, 2, ... per flow. Saving a
 *   flow adds a version; nothing rewrites one.
 * - live version: the version published last. Calls to the flow's ExoPhones run it; a call keeps
 *   the version that was live when it started, whatever is published during the call.
 * - ExoPhone (number): a virtual number of the account, in E.164, assigned to at most one flow.
 *   A number belongs to one account.
 * - route: what an inbound call to a number runs, read in one statement (number, flow, live
 *   version and its document), so a publish can never be seen half done.
 */

import type { Page } from './types.ts';

export interface FlowRecord {
  id: string;
  accountSid: string;
  name: string;
  /** The highest version number. */
  latestVersion: number;
  /** The published version; null until the first publish. */
  liveVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
}

export interface FlowVersionRecord {
  flowId: string;
  version: number;
  /** The flow document (JSON), as saved. */
  document: unknown;
  createdAt: Date;
}

export interface NumberRecord {
  accountSid: string;
  /** E.164, e.g. +914412345678. */
  e164: string;
  flowId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CallRoute {
  number: NumberRecord;
  flowId: string;
  flowVersion: number;
  document: unknown;
}

export type CallStatus = 'in-progress' | 'completed';

/** Where a real call came from (simulated calls have none). */
/** Where a real call came from: a SIP phone or trunk, or the Builder's browser test call. */
export type CallOrigin = SipCallOrigin | BrowserCallOrigin;

/** A test call from the Builder, through the browser's microphone (WebRTC). */
export interface BrowserCallOrigin {
  kind: 'browser';
  // A browser call has no SIP side; these stay absent, so code reading a SIP origin's fields off
  // any origin (`origin?.sipCallId`) needs no narrowing.
  via?: undefined;
  name?: undefined;
  sipCallId?: undefined;
  /** Audio codec between rtpengine and the browser, PCMA or PCMU. */
  codec: string;
  /** The browser's media address as its offer gave it, `address:port`. */
  remoteAddress: string;
  /** ISO 8601. */
  answeredAt: string;
  /** Seconds from the answer to the end; set when the call ends. */
  durationSeconds?: number;
}

export interface SipCallOrigin {
  kind: 'sip';
  /** Through a configured trunk (by source address) or a softphone user (by digest). */
  via: 'trunk' | 'user';
  /** The trunk's or user's name. */
  name: string;
  sipCallId: string;
  /** Audio codec of the call, PCMA or PCMU. */
  codec: string;
  /** Where the caller's RTP comes from, `address:port`. */
  remoteAddress: string;
  /** ISO 8601. */
  answeredAt: string;
  /** Seconds from the answer to the end; set when the call ends. */
  durationSeconds?: number;
}

export interface CallRecord {
  sid: string;
  accountSid: string;
  flowId: string;
  flowVersion: number;
  from: string;
  to: string;
  status: CallStatus;
  /** How the call ended (the log's endReason); null while in progress. */
  endReason: string | null;
  /** The call log (JSON). */
  log: unknown;
  startedAt: Date;
  endedAt: Date | null;
  /** Null for simulated calls. */
  origin: CallOrigin | null;
}

export interface CallFilter {
  flowId?: string;
  status?: CallStatus;
  since?: Date;
  until?: Date;
}

export interface FlowsRepo {
  /** Creates the flow with its version 1. */
  create(input: {
    id: string;
    accountSid: string;
    name: string;
    document: unknown;
  }): Promise<FlowRecord>;
  get(accountSid: string, id: string): Promise<FlowRecord | undefined>;
  list(accountSid: string): Promise<FlowRecord[]>;
  /** Adds the next version (and renames, when `name` is given); undefined when there is no such flow. */
  addVersion(
    accountSid: string,
    id: string,
    input: { name?: string; document: unknown },
  ): Promise<FlowVersionRecord | undefined>;
  getVersion(
    accountSid: string,
    id: string,
    version: number,
  ): Promise<FlowVersionRecord | undefined>;
  /** Newest first. */
  listVersions(accountSid: string, id: string): Promise<FlowVersionRecord[]>;
  /** Makes `version` live; undefined when the flow or the version does not exist. */
  publish(accountSid: string, id: string, version: number): Promise<FlowRecord | undefined>;
  /** Deletes the flow and its versions; its numbers are left without a flow; its calls stay. */
  remove(accountSid: string, id: string): Promise<boolean>;
}

export interface NumbersRepo {
  /** Adds the number, or changes its flow; CONFLICT when it belongs to another account. */
  upsert(input: { accountSid: string; e164: string; flowId: string | null }): Promise<NumberRecord>;
  get(accountSid: string, e164: string): Promise<NumberRecord | undefined>;
  /** The number whichever account holds it (a real call names only the number it dialled). */
  find(e164: string): Promise<NumberRecord | undefined>;
  list(accountSid: string): Promise<NumberRecord[]>;
  remove(accountSid: string, e164: string): Promise<boolean>;
  /** The live flow version an inbound call to this number runs; undefined when it runs none. */
  route(accountSid: string, e164: string): Promise<CallRoute | undefined>;
}

export interface CallsRepo {
  /** Records a call as it starts (`in-progress`). */
  insert(call: {
    sid: string;
    accountSid: string;
    flowId: string;
    flowVersion: number;
    from: string;
    to: string;
    startedAt: Date;
    log: unknown;
    origin?: CallOrigin;
  }): Promise<CallRecord>;
  /** Records how the call ended, with its final log. */
  finish(
    sid: string,
    end: { endReason: string; endedAt: Date; log: unknown; origin?: CallOrigin },
  ): Promise<CallRecord | undefined>;
  get(accountSid: string, sid: string): Promise<CallRecord | undefined>;
  /** Newest first (startedAt, then sid). */
  list(
    accountSid: string,
    filter: CallFilter,
    cursor: string | null,
    limit: number,
  ): Promise<Page<CallRecord>>;
}
