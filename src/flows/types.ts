/**
 * Flows: the flow document, the applet definition every applet module exports, and what an applet
 * sees of the call while it runs.
 *
 * Glossary:
 * - flow: a JSON document of applets keyed by ID, a `start` applet, and a layout for the Builder.
 * - applet: one step of a flow (greeting, ivr, connect, passthru, sms, hangup), with its `config`
 *   and `next`, which maps each of its exits to the ID of the applet that follows.
 * - exit: a named way out of an applet (`default`, `success`, `no-answer`, an IVR digit, ...).
 *   `exits(config)` lists them; an IVR menu's exits come from its options.
 * - variable: a `{Name}` in a body. Call variables (CallFrom, CallTo, CallSid, DateTime) always
 *   exist; `Digits` exists after an IVR; `{<appletId>.<field>}` after a sync Passthru that answered
 *   JSON. `produces(appletId, config)` says what an applet makes available.
 * - step: one applet run during a call: entered, left by an exit, with its timing and details.
 */

import type { Static, TSchema } from 'typebox';
import type { SmsType } from '../store/types.ts';
import type { Telephony } from '../telephony/types.ts';

export type AppletId = string;

export interface FlowApplet {
  type: string;
  /** The applet definition's version this config was written for; default the current one. */
  version?: number;
  /** Checked against the applet type's configSchema; missing means `{}`. */
  config?: unknown;
  /** Exit name → the ID of the next applet. */
  next?: Record<string, AppletId>;
  /** Shown on the Builder's canvas. */
  label?: string;
}

export interface FlowDocument {
  name?: string;
  description?: string;
  start: AppletId;
  applets: Record<AppletId, FlowApplet>;
  /** Builder canvas positions; ignored by the engine. */
  layout?: Record<AppletId, { x: number; y: number }>;
}

/** What the SMS applet hands to `sendSms`: final text, nothing left to render. */
export interface FlowSmsRequest {
  to: string;
  senderId: string;
  body: string;
  dltTemplateId: string;
  dltEntityId: string;
  smsType?: SmsType;
  statusCallback?: string;
  customField?: string;
}

export interface FlowSmsOrigin {
  kind: 'flow';
  callSid: string;
  flowId: string;
  appletId: string;
}

export type SendSmsResult =
  | { ok: true; message: { sid: string } }
  | { ok: false; code: string; message: string };

/**
 * What the one way in for an SMS answers a call at once (src/delivery, Sender.handOver): refused,
 * or the new message's SmsSid while its outbox row is written; `stored` settles when it is
 * committed, or with why it could not be.
 */
export type SmsHandover =
  | { ok: true; sid: string; stored: Promise<SendSmsResult> }
  | { ok: false; code: string; message: string };

/**
 * Hands an SMS to the outbox (src/delivery, Sender.handOver), bound to the call's account by the
 * caller. It answers synchronously: a call does not wait for the disk.
 */
export type SendSms = (request: FlowSmsRequest, origin: FlowSmsOrigin) => SmsHandover;

/**
 * fetch behind the SSRF guard: refuses (throws) URLs that resolve to private, loopback or
 * link-local addresses unless the deployment allows them.
 */
export type FetchGuarded = (url: string, init: RequestInit) => Promise<Response>;

/** What the call knows of itself. */
export interface CallInfo {
  callSid: string;
  accountSid: string;
  flowId: string;
  flowVersion: number;
  /** The caller. */
  from: string;
  /** The ExoPhone called. */
  to: string;
  direction: 'incoming';
  startedAt: Date;
}

/** Facts from earlier applets that later ones (Passthru) report. */
export interface CallFacts {
  /** Digits from the last IVR. */
  digits?: string;
  /** The last Connect; `callerHungUp` when the caller's hang-up ended it. */
  dial?: {
    outcome: string;
    answeredBy?: string;
    talkSeconds?: number;
    callerHungUp?: boolean;
    /** Where the conversation's recording is fetched (Connect with `record`, real calls). */
    recordingUrl?: string;
  };
}

export interface SmsLogEntry {
  appletId: string;
  to?: string;
  body?: string;
  /** The SmsSid, when the message was queued. */
  sid?: string;
  /** Why it could not be queued (a reason code). */
  code?: string;
  message?: string;
  /**
   * The message has its SmsSid and the call has moved on, but its outbox row is not yet
   * committed. Cleared when it is (or replaced by the reason it could not be); a finished call's
   * log never has it.
   */
  pending?: boolean;
}

export interface AppletContext {
  readonly appletId: AppletId;
  readonly call: CallInfo;
  readonly telephony: Telephony;
  /**
   * Aborts when the caller hangs up. Applets that need no caller (`needsCaller: false`) must not
   * stop on it: they also run after the hang-up.
   */
  readonly signal: AbortSignal;
  /** IANA zone for {DateTime} and Passthru times. */
  readonly timeZone: string;
  /** Passthru request timeout when its config sets none, milliseconds. */
  readonly passthruTimeoutMs: number;
  readonly facts: CallFacts;
  readonly sendSms: SendSms;
  readonly fetchGuarded: FetchGuarded;
  now(): Date;
  /** The variables known so far: call variables, Digits, `<appletId>.<field>`. */
  variables(): Record<string, string | undefined>;
  setVariable(name: string, value: string): void;
  /** Adds details to this step's log entry. */
  detail(values: Record<string, unknown>): void;
  /** Records the SMS this applet produced (or why it could not). */
  recordSms(entry: Omit<SmsLogEntry, 'appletId'>): SmsLogEntry;
  /**
   * Work that continues after the applet returns (an async Passthru). The call's log is final
   * only once it settles; it must not reject.
   */
  background(work: Promise<void>): void;
}

/** The variables an SMS applet checks against its DLT template. */
export interface DltUse {
  body: string;
  dltTemplateId: string;
  dltEntityId: string;
}

/**
 * One applet type. The engine, the validator, the API and the Builder all read these.
 * `run` returns the exit to take, or null when the applet ended the call.
 */
export interface AppletDefinition<S extends TSchema = TSchema> {
  type: string;
  version: number;
  title: string;
  description: string;
  configSchema: S;
  /** What the Builder puts in a new applet of this type (it may still need filling in). */
  defaultConfig: Static<S>;
  exits(config: Static<S>): string[];
  /**
   * Whether the applet needs the caller on the line (it speaks, listens, dials or hangs up).
   * After the caller has hung up, the call ends on reaching such an applet; applets that need no
   * caller (sms, passthru) still run, so a Connect's `completed` or `no-answer` branch can send
   * its SMS or report to a URL after the caller is gone.
   */
  needsCaller: boolean;
  /**
   * The exit taken when the caller hangs up while this applet runs, for applets whose exit does
   * not depend on the caller (a greeting's `default`): the flow then goes on through applets that
   * need no caller. Without it, a hang-up during the applet ends the call there.
   */
  exitOnCallerHangup?: string;
  /** Variables this applet makes available to the applets after it; `<id>.*` for any field. */
  produces?(appletId: AppletId, config: Static<S>): string[];
  /** Variables this applet's config refers to. */
  consumes?(config: Static<S>): string[];
  /** The body and DLT template this applet sends, for the template check. */
  dlt?(config: Static<S>): DltUse | undefined;
  run(ctx: AppletContext, config: Static<S>): Promise<string | null>;
}
