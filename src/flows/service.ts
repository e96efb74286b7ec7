/**
 * The flow service: saving flows as versions, validating and publishing them, assigning ExoPhones,
 * and starting (simulated) inbound calls that run the version live on the number called and keep
 * their logs. The API's flow, number and call routes are thin layers over it.
 */

import { randomBytes } from 'node:crypto';
import type { OutboundPolicy } from '../delivery/ssrf.ts';
import { CallflowError } from '../errors.ts';
import type { CallFilter } from '../store/flow-types.ts';
import type {
  CallOrigin,
  CallRecord,
  CallRoute,
  FlowRecord,
  FlowVersionRecord,
  NumberRecord,
  Origin,
  Page,
  Store,
} from '../store/types.ts';
import type { CallerScript } from '../telephony/script.ts';
import type { Telephony } from '../telephony/types.ts';
import { DEFAULT_MAX_STEPS, DEFAULT_PASSTHRU_TIMEOUT_MS, type FlowSettings } from './config.ts';
import { createGuardedFetch } from './guarded-fetch.ts';
import { appletDefinition } from './registry.ts';
import {
  type CallLog,
  CallSession,
  type CallStep,
  DEFAULT_TIME_ZONE,
  newCallSid,
} from './runtime.ts';
import { type SimulateOptions, simulateCall } from './simulate.ts';
import type { FetchGuarded, FlowDocument, FlowSmsRequest, SmsHandover } from './types.ts';
import { type FlowValidation, type TemplateLookup, validateFlow } from './validate.ts';

/** Sender.handOver of src/delivery: the account, the final request, the origin. */
export type AccountSendSms = (
  accountSid: string,
  request: FlowSmsRequest,
  origin: Origin,
) => SmsHandover;

export interface FlowServiceDeps {
  store: Store;
  sendSms: AccountSendSms;
  /** Default: the SSRF-guarded fetch with the `outbound` policy. */
  fetchGuarded?: FetchGuarded;
  /**
   * Which internal addresses Passthru may reach: the `callbacks` section of the configuration
   * (allowPrivateAddresses, allowList), the same policy as status callbacks. Default: none.
   */
  outbound?: OutboundPolicy;
  /** Wall-clock time for records. Default `() => new Date()`. */
  clock?: () => Date;
  /** The `flows` section of the configuration; defaults in flows/config.ts. */
  config?: Partial<FlowSettings>;
  /** Told when a call's log could not be saved. */
  onError?: (error: unknown, context: { callSid: string }) => void;
  /** Told when a call has ended and its log is saved (metrics). */
  onCallEnded?: (call: { callSid: string; flowId: string; log: CallLog }) => void;
  /** Passed to every call's session: step timing and applet variants, for benchmarks. */
  session?: Pick<SimulateOptions, 'onStepEntered' | 'resolveApplet'>;
}

export interface FlowView extends FlowRecord {
  version: number;
  document: unknown;
  validation: FlowValidation;
}

export interface NumberView extends NumberRecord {
  flowName: string | null;
  liveVersion: number | null;
}

export interface StartedCall {
  callSid: string;
  flowId: string;
  flowVersion: number;
  /** Resolves with the final log once the call ended and its log was saved. */
  done: Promise<CallLog>;
}

export type InboundRoute =
  | { kind: 'unknown' }
  | { kind: 'no-flow'; accountSid: string }
  | {
      kind: 'live';
      accountSid: string;
      route: CallRoute;
      /** The account's text-to-speech voice; undefined: the configured default. */
      voice: string | undefined;
    };

export interface FlowService {
  createFlow(accountSid: string, input: { name?: string; document: unknown }): Promise<FlowView>;
  /** A version of the flow (the latest by default) with its validation. */
  getFlow(accountSid: string, id: string, version?: number): Promise<FlowView>;
  listFlows(accountSid: string): Promise<FlowRecord[]>;
  listVersions(accountSid: string, id: string): Promise<FlowVersionRecord[]>;
  /** Saves a new version; the live version does not change until it is published. */
  updateFlow(
    accountSid: string,
    id: string,
    input: { name?: string; document: unknown },
  ): Promise<FlowView>;
  deleteFlow(accountSid: string, id: string): Promise<void>;
  /** Validates against the account's DLT templates. */
  validate(accountSid: string, document: unknown): Promise<FlowValidation>;
  /** Makes a version (the latest by default) live; refused when it does not validate. */
  publish(accountSid: string, id: string, version?: number): Promise<FlowView>;
  listNumbers(accountSid: string): Promise<NumberView[]>;
  /** Adds the ExoPhone to the account if new, and assigns it to the flow (or to none). */
  assignNumber(accountSid: string, e164: string, flowId: string | null): Promise<NumberView>;
  removeNumber(accountSid: string, e164: string): Promise<void>;
  /** An inbound call from the script's caller to the ExoPhone `script.to`, simulated. */
  startCall(
    accountSid: string,
    script: CallerScript,
    options?: { realTime?: boolean },
  ): Promise<StartedCall>;
  /** Which account and live flow an inbound call to `e164` (E.164) reaches, across accounts. */
  findInboundRoute(e164: string): Promise<InboundRoute>;
  /**
   * A real inbound call (SIP): runs the route's flow on `telephony`, through the same runtime and
   * call log as simulated calls.
   */
  startInboundCall(input: {
    accountSid: string;
    route: CallRoute;
    /** The caller's number, normalised; '' when withheld. */
    from: string;
    telephony: Telephony;
    origin?: CallOrigin;
    /** Read when the call ends: the origin with its duration. */
    finalOrigin?: () => CallOrigin | undefined;
    /** Called with the log so far as each applet is entered and left (the Builder lights it). */
    onProgress?: (log: CallLog) => void;
  }): Promise<StartedCall>;
  getCall(accountSid: string, sid: string): Promise<CallRecord>;
  listCalls(
    accountSid: string,
    filter: CallFilter,
    cursor: string | null,
    limit: number,
  ): Promise<Page<CallRecord>>;
  /** Resolves when every call in progress has ended and its log is saved (shutdown). */
  drain(): Promise<void>;
}

const newFlowId = () => randomBytes(12).toString('hex');

export function createFlowService(deps: FlowServiceDeps): FlowService {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const config = deps.config ?? {};
  const fetchGuarded = deps.fetchGuarded ?? createGuardedFetch(deps.outbound ?? {});
  const running = new Set<Promise<unknown>>();

  /** The account's templates used by the document's SMS applets, for the validator's DLT check. */
  async function templatesFor(accountSid: string, document: unknown): Promise<TemplateLookup> {
    const ids = new Set<string>();
    const applets = (document as FlowDocument | null)?.applets;
    if (applets && typeof applets === 'object') {
      for (const applet of Object.values(applets)) {
        const def = typeof applet?.type === 'string' ? appletDefinition(applet.type) : undefined;
        const templateId = (applet?.config as { dltTemplateId?: unknown } | undefined)
          ?.dltTemplateId;
        if (def?.dlt && typeof templateId === 'string') ids.add(templateId);
      }
    }
    const found = new Map<string, { entityId: string; content: string }>();
    for (const id of ids) {
      const t = await store.dlt.getTemplate(accountSid, id);
      if (t) found.set(id, { entityId: t.entityId, content: t.content });
    }
    return (entityId, templateId) => {
      const t = found.get(templateId);
      return t && t.entityId === entityId ? t.content : undefined;
    };
  }

  async function validate(accountSid: string, document: unknown): Promise<FlowValidation> {
    return validateFlow(document, { templates: await templatesFor(accountSid, document) });
  }

  /** A document must at least be a flow document to be saved; drafts may still have errors. */
  async function checkSavable(accountSid: string, document: unknown): Promise<FlowValidation> {
    const validation = await validate(accountSid, document);
    const shape = validation.errors.filter((e) => e.code === 'FLOW_INVALID');
    if (shape.length > 0) {
      throw new CallflowError('FLOW_INVALID', shape[0]!.message, { errors: shape });
    }
    return validation;
  }

  async function requireFlow(accountSid: string, id: string): Promise<FlowRecord> {
    const flow = await store.flows.get(accountSid, id);
    if (!flow) throw new CallflowError('NOT_FOUND', `No flow ${id}.`);
    return flow;
  }

  async function view(accountSid: string, flow: FlowRecord, version: number): Promise<FlowView> {
    const saved = await store.flows.getVersion(accountSid, flow.id, version);
    if (!saved) throw new CallflowError('NOT_FOUND', `Flow ${flow.id} has no version ${version}.`);
    return {
      ...flow,
      version,
      document: saved.document,
      validation: await validate(accountSid, saved.document),
    };
  }

  async function numberView(accountSid: string, n: NumberRecord): Promise<NumberView> {
    const flow = n.flowId ? await store.flows.get(accountSid, n.flowId) : undefined;
    return { ...n, flowName: flow?.name ?? null, liveVersion: flow?.liveVersion ?? null };
  }

  const nameOf = (input: { name?: string; document: unknown }) =>
    input.name ?? (input.document as { name?: unknown }).name;

  /** Session hooks that report the growing log as each applet is entered and left. */
  function progressHooks(
    onProgress: (log: CallLog) => void,
  ): Pick<SimulateOptions, 'onStepEntered'> & { onStepLeft: (step: CallStep) => void } {
    let log: CallLog | undefined;
    return {
      onStepEntered: (step, current) => {
        log = current;
        deps.session?.onStepEntered?.(step, current);
        onProgress(current);
      },
      onStepLeft: () => {
        if (log) onProgress(log);
      },
    };
  }

  /** Saves the call's log when it ends, and tracks it for drain(). */
  function track(
    callSid: string,
    route: CallRoute,
    run: Promise<CallLog>,
    finalOrigin: () => CallOrigin | undefined,
  ): StartedCall {
    const done = run.then(async (log) => {
      const origin = finalOrigin();
      await store.calls.finish(callSid, {
        endReason: log.endReason ?? 'error',
        endedAt: clock(),
        log,
        ...(origin === undefined ? {} : { origin }),
      });
      deps.onCallEnded?.({ callSid, flowId: route.flowId, log });
      return log;
    });
    const tracked = done.catch((error) => deps.onError?.(error, { callSid }));
    running.add(tracked);
    void tracked.finally(() => running.delete(tracked));
    return { callSid, flowId: route.flowId, flowVersion: route.flowVersion, done };
  }

  return {
    async createFlow(accountSid, input) {
      await checkSavable(accountSid, input.document);
      const name = nameOf(input);
      const flow = await store.flows.create({
        id: newFlowId(),
        accountSid,
        name: typeof name === 'string' && name !== '' ? name : 'Untitled flow',
        document: input.document,
      });
      return view(accountSid, flow, 1);
    },

    async getFlow(accountSid, id, version) {
      const flow = await requireFlow(accountSid, id);
      return view(accountSid, flow, version ?? flow.latestVersion);
    },

    listFlows: (accountSid) => store.flows.list(accountSid),

    async listVersions(accountSid, id) {
      await requireFlow(accountSid, id);
      return store.flows.listVersions(accountSid, id);
    },

    async updateFlow(accountSid, id, input) {
      await checkSavable(accountSid, input.document);
      const name = nameOf(input);
      const saved = await store.flows.addVersion(accountSid, id, {
        ...(typeof name === 'string' && name !== '' ? { name } : {}),
        document: input.document,
      });
      if (!saved) throw new CallflowError('NOT_FOUND', `No flow ${id}.`);
      return view(accountSid, await requireFlow(accountSid, id), saved.version);
    },

    async deleteFlow(accountSid, id) {
      if (!(await store.flows.remove(accountSid, id)))
        throw new CallflowError('NOT_FOUND', `No flow ${id}.`);
    },

    validate,

    async publish(accountSid, id, version) {
      const flow = await requireFlow(accountSid, id);
      const v = version ?? flow.latestVersion;
      const candidate = await view(accountSid, flow, v);
      if (!candidate.validation.ok) {
        const first = candidate.validation.errors[0]!;
        throw new CallflowError(first.code, `Version ${v} cannot be published: ${first.message}`, {
          errors: candidate.validation.errors,
          warnings: candidate.validation.warnings,
        });
      }
      const published = await store.flows.publish(accountSid, id, v);
      if (!published) throw new CallflowError('NOT_FOUND', `No flow ${id}.`);
      return { ...candidate, ...published, version: v };
    },

    async listNumbers(accountSid) {
      const numbers = await store.numbers.list(accountSid);
      return Promise.all(numbers.map((n) => numberView(accountSid, n)));
    },

    async assignNumber(accountSid, e164, flowId) {
      const n = await store.numbers.upsert({ accountSid, e164, flowId });
      return numberView(accountSid, n);
    },

    async removeNumber(accountSid, e164) {
      if (!(await store.numbers.remove(accountSid, e164)))
        throw new CallflowError('NOT_FOUND', `No number ${e164}.`);
    },

    async startCall(accountSid, script, options = {}) {
      // Read once: the call keeps this version whatever is published while it runs.
      const route: CallRoute | undefined = await store.numbers.route(accountSid, script.to);
      if (!route) {
        throw new CallflowError(
          'NOT_FOUND',
          `${script.to} is not an ExoPhone of this account with a published flow.`,
        );
      }
      const account = await store.accounts.get(accountSid);
      const callSid = newCallSid();
      await store.calls.insert({
        sid: callSid,
        accountSid,
        flowId: route.flowId,
        flowVersion: route.flowVersion,
        from: script.from,
        to: script.to,
        startedAt: clock(),
        log: {},
      });
      const run = simulateCall({
        flow: route.document as FlowDocument,
        script,
        callSid,
        accountSid,
        flowId: route.flowId,
        flowVersion: route.flowVersion,
        timeZone: account?.timeZone ?? DEFAULT_TIME_ZONE,
        maxSteps: config.maxSteps ?? DEFAULT_MAX_STEPS,
        passthruTimeoutMs: config.passthruTimeoutMs ?? DEFAULT_PASSTHRU_TIMEOUT_MS,
        sendSms: (request, origin) => deps.sendSms(accountSid, request, origin),
        fetchGuarded,
        ...(options.realTime === undefined ? {} : { realTime: options.realTime }),
        ...deps.session,
      });
      return track(callSid, route, run.done, () => undefined);
    },

    async findInboundRoute(e164) {
      const number = await store.numbers.find(e164);
      if (!number) return { kind: 'unknown' };
      const route = await store.numbers.route(number.accountSid, e164);
      if (!route) return { kind: 'no-flow', accountSid: number.accountSid };
      const account = await store.accounts.get(number.accountSid);
      return {
        kind: 'live',
        accountSid: number.accountSid,
        route,
        voice: account?.voice ?? undefined,
      };
    },

    async startInboundCall(input) {
      const { accountSid, route } = input;
      const account = await store.accounts.get(accountSid);
      const callSid = newCallSid();
      await store.calls.insert({
        sid: callSid,
        accountSid,
        flowId: route.flowId,
        flowVersion: route.flowVersion,
        from: input.from,
        to: route.number.e164,
        startedAt: clock(),
        log: {},
        ...(input.origin === undefined ? {} : { origin: input.origin }),
      });
      const session = new CallSession({
        flow: route.document as FlowDocument,
        flowId: route.flowId,
        flowVersion: route.flowVersion,
        accountSid,
        callSid,
        from: input.from,
        to: route.number.e164,
        telephony: input.telephony,
        timeZone: account?.timeZone ?? DEFAULT_TIME_ZONE,
        maxSteps: config.maxSteps ?? DEFAULT_MAX_STEPS,
        passthruTimeoutMs: config.passthruTimeoutMs ?? DEFAULT_PASSTHRU_TIMEOUT_MS,
        sendSms: (request, origin) => deps.sendSms(accountSid, request, origin),
        fetchGuarded,
        ...deps.session,
        ...(input.onProgress === undefined ? {} : progressHooks(input.onProgress)),
      });
      return track(callSid, route, session.run(), input.finalOrigin ?? (() => undefined));
    },

    async getCall(accountSid, sid) {
      const call = await store.calls.get(accountSid, sid);
      if (!call) throw new CallflowError('NOT_FOUND', `No call ${sid}.`);
      return call;
    },

    listCalls: (accountSid, filter, cursor, limit) =>
      store.calls.list(accountSid, filter, cursor, limit),

    async drain() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
