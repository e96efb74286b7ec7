/**
 * CallSession: runs one call through a flow. From `start` it runs each applet and follows the exit
 * it returns, until an applet ends the call (hangup), the caller hangs up, an exit leads nowhere,
 * the step limit is reached or an applet fails. Every step is logged with its timing and exit.
 *
 * The caller may hang up at any point. What happens then depends on the applet, as its
 * definition declares (`needsCaller`), never on its type:
 * - a Connect ends normally: `completed` if an agent had answered, else `no-answer`;
 * - a greeting or IVR is cut short, logged as interrupted, and the call ends there: their exits
 *   mean something only with a caller (a menu's `timeout` is not "the caller left");
 * - an SMS or Passthru applet finishes and takes its exit.
 * After the hang-up the flow goes on through applets that need no caller (sms, passthru) and
 * ends (`caller-hangup`) before the first one that does (greeting, ivr, connect, hangup), or at
 * the end of the flow. An SMS handed to sendSms stays in the outbox and is delivered regardless.
 */

import { CallflowError, coerceError, isReasonCode } from '../errors.ts';
import { CallEnded, CallerHangup, type Telephony } from '../telephony/types.ts';
import { newCallSid } from './call-sid.ts';
import { DEFAULT_MAX_STEPS, DEFAULT_PASSTHRU_TIMEOUT_MS } from './config.ts';
import { type AnyAppletDefinition, appletDefinition, configValidator } from './registry.ts';
import type {
  AppletContext,
  AppletId,
  CallFacts,
  CallInfo,
  FetchGuarded,
  FlowApplet,
  FlowDocument,
  SendSms,
  SmsLogEntry,
} from './types.ts';

export type EndReason = 'hangup-applet' | 'caller-hangup' | 'step-limit' | 'error' | 'end-of-flow';

export interface CallStep {
  appletId: AppletId;
  type: string;
  /** ISO 8601, on the call's clock. */
  enteredAt: string;
  leftAt: string | null;
  /** The exit taken; null when the applet ended the call or was interrupted. */
  exit: string | null;
  durationMs: number;
  detail?: Record<string, unknown>;
}

export interface CallLog {
  callSid: string;
  accountSid: string;
  flowId: string;
  flowVersion: number;
  from: string;
  to: string;
  startedAt: string;
  endedAt: string | null;
  endReason: EndReason | null;
  /** For `step-limit` and `error`: the reason code. */
  endCode?: string;
  endMessage?: string;
  steps: CallStep[];
  sms: SmsLogEntry[];
}

export const DEFAULT_TIME_ZONE = 'Asia/Kolkata';

export interface CallSessionOptions {
  flow: FlowDocument;
  flowId: string;
  flowVersion: number;
  accountSid: string;
  from: string;
  to: string;
  telephony: Telephony;
  sendSms: SendSms;
  fetchGuarded: FetchGuarded;
  /** Default: 32 random lowercase hex characters. */
  callSid?: string;
  /** IANA zone for {DateTime} and Passthru times. Default Asia/Kolkata. */
  timeZone?: string;
  /** The call ends (FLOW_STEP_LIMIT) before entering more applets than this. Default 100. */
  maxSteps?: number;
  /** Passthru timeout when its config sets none, milliseconds. Default 5000. */
  passthruTimeoutMs?: number;
  /** Called as each applet is left (the simulator's `hangupAfterApplet` listens here). */
  onStepLeft?: (step: CallStep) => void;
  /** Called as each applet is entered, before it runs (benchmarks time steps here). */
  onStepEntered?: (step: CallStep, log: CallLog) => void;
  /**
   * Where the session finds the definition of an applet type. Default: the registry (APPLETS).
   * A benchmark substitutes a variant here; the flow document stays the same.
   */
  resolveApplet?: (type: string) => AnyAppletDefinition | undefined;
}

export { newCallSid };

export class CallSession {
  readonly callSid: string;
  readonly log: CallLog;
  readonly #options: CallSessionOptions;
  readonly #variables: Record<string, string> = {};
  readonly #facts: CallFacts = {};
  readonly #background: Promise<void>[] = [];
  #running: Promise<CallLog> | undefined;

  constructor(options: CallSessionOptions) {
    this.#options = options;
    this.callSid = options.callSid ?? newCallSid();
    const startedAt = options.telephony.now();
    this.log = {
      callSid: this.callSid,
      accountSid: options.accountSid,
      flowId: options.flowId,
      flowVersion: options.flowVersion,
      from: options.from,
      to: options.to,
      startedAt: startedAt.toISOString(),
      endedAt: null,
      endReason: null,
      steps: [],
      sms: [],
    };
    Object.assign(this.#variables, {
      CallFrom: options.from,
      CallTo: options.to,
      CallSid: this.callSid,
    });
  }

  /** Runs the call; resolves with the final log once the call ended and background work settled. */
  run(): Promise<CallLog> {
    this.#running ??= this.#run();
    return this.#running;
  }

  async #run(): Promise<CallLog> {
    const { flow, telephony } = this.#options;
    const maxSteps = this.#options.maxSteps ?? DEFAULT_MAX_STEPS;
    const call: CallInfo = {
      callSid: this.callSid,
      accountSid: this.#options.accountSid,
      flowId: this.#options.flowId,
      flowVersion: this.#options.flowVersion,
      from: this.#options.from,
      to: this.#options.to,
      direction: 'incoming',
      startedAt: new Date(this.log.startedAt),
    };
    let current: AppletId | undefined = flow.start;
    try {
      while (true) {
        // After the caller's hang-up the call has ended for the caller; whatever stops the flow
        // from here on (an applet that needs the caller, the end of the flow) is that hang-up.
        const callerGone = telephony.hangupSignal.aborted;
        if (current === undefined || !Object.hasOwn(flow.applets, current))
          return this.#end(callerGone ? 'caller-hangup' : 'end-of-flow');
        const applet: FlowApplet = flow.applets[current]!;
        const def = (this.#options.resolveApplet ?? appletDefinition)(applet.type);
        if (!def) {
          return this.#end(
            'error',
            'FLOW_UNKNOWN_APPLET_TYPE',
            `applet "${current}" has unknown type "${applet.type}"`,
          );
        }
        if (callerGone && def.needsCaller) return this.#end('caller-hangup');
        if (this.log.steps.length >= maxSteps) {
          return this.#end(
            'step-limit',
            'FLOW_STEP_LIMIT',
            `the call passed through ${maxSteps} applets`,
          );
        }
        const config = applet.config ?? {};
        if (!configValidator(def).Check(config)) {
          return this.#end(
            'error',
            'FLOW_INVALID_CONFIG',
            `applet "${current}" has an invalid config`,
          );
        }
        const step = await this.#step(current, def, config, call);
        if (step === 'interrupted') return this.#end('caller-hangup');
        if (step === null) return this.#end('hangup-applet');
        current = applet.next?.[step];
      }
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      return this.#end(
        'error',
        isReasonCode(code) ? code : 'INTERNAL_ERROR',
        coerceError(error).message,
      );
    } finally {
      await telephony.hangup().catch(() => {});
      await Promise.all(this.#background);
    }
  }

  /** Runs one applet; its exit, null when it ended the call, 'interrupted' when the caller hung up. */
  async #step(
    appletId: AppletId,
    def: AnyAppletDefinition,
    config: unknown,
    call: CallInfo,
  ): Promise<string | null | 'interrupted'> {
    const { telephony } = this.#options;
    const entered = telephony.now();
    const step: CallStep = {
      appletId,
      type: def.type,
      enteredAt: entered.toISOString(),
      leftAt: null,
      exit: null,
      durationMs: 0,
    };
    this.log.steps.push(step);
    this.#options.onStepEntered?.(step, this.log);
    const leave = (exit: string | null, extra?: Record<string, unknown>) => {
      const left = telephony.now();
      step.leftAt = left.toISOString();
      step.durationMs = left.getTime() - entered.getTime();
      step.exit = exit;
      if (extra) step.detail = { ...step.detail, ...extra };
      this.#options.onStepLeft?.(step);
    };
    try {
      const exit = await def.run(this.#context(appletId, step, call), config);
      leave(exit);
      return exit;
    } catch (error) {
      // Only an applet that needs the caller can be interrupted by the hang-up; an SMS or
      // Passthru applet that fails after it fails for its own reasons.
      if (error instanceof CallerHangup || (def.needsCaller && telephony.hangupSignal.aborted)) {
        const exit = def.exitOnCallerHangup ?? null;
        leave(exit, { interrupted: true });
        return exit ?? 'interrupted';
      }
      if (error instanceof CallEnded) {
        leave(null);
        return null;
      }
      leave(null, { error: error instanceof CallflowError ? error.code : 'INTERNAL_ERROR' });
      throw error;
    }
  }

  #context(appletId: AppletId, step: CallStep, call: CallInfo): AppletContext {
    const options = this.#options;
    return {
      appletId,
      call,
      telephony: options.telephony,
      signal: options.telephony.hangupSignal,
      timeZone: options.timeZone ?? DEFAULT_TIME_ZONE,
      passthruTimeoutMs: options.passthruTimeoutMs ?? DEFAULT_PASSTHRU_TIMEOUT_MS,
      facts: this.#facts,
      sendSms: options.sendSms,
      fetchGuarded: options.fetchGuarded,
      now: () => options.telephony.now(),
      variables: () => ({ ...this.#variables }),
      setVariable: (name, value) => {
        this.#variables[name] = value;
      },
      detail: (values) => {
        step.detail = { ...step.detail, ...values };
      },
      recordSms: (entry) => {
        const logged: SmsLogEntry = { appletId, ...entry };
        this.log.sms.push(logged);
        return logged;
      },
      background: (work) => {
        this.#background.push(work.catch(() => {}));
      },
    };
  }

  #end(reason: EndReason, code?: string, message?: string): CallLog {
    this.log.endedAt = this.#options.telephony.now().toISOString();
    this.log.endReason = reason;
    if (code !== undefined) this.log.endCode = code;
    if (message !== undefined) this.log.endMessage = message;
    return this.log;
  }
}
