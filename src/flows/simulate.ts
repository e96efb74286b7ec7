/**
 * Runs a flow against a scripted caller: the CallSession and the simulator wired together, with
 * the script's `hangupAfterApplet` hooked to the end of each step. Tests, the API's test calls and
 * the Builder's test panel all start calls through here.
 */

import type { Clock } from '../telephony/clock.ts';
import type { CallerScript } from '../telephony/script.ts';
import { SimulatedCall } from '../telephony/simulator.ts';
import { type CallLog, CallSession, type CallSessionOptions } from './runtime.ts';
import type { FetchGuarded, FlowDocument, SendSms } from './types.ts';

export interface SimulateOptions {
  flow: FlowDocument;
  script: CallerScript;
  sendSms: SendSms;
  fetchGuarded: FetchGuarded;
  accountSid?: string;
  flowId?: string;
  flowVersion?: number;
  callSid?: string;
  timeZone?: string;
  maxSteps?: number;
  passthruTimeoutMs?: number;
  /** Real time for demos; virtual time (the default) for tests. */
  realTime?: boolean;
  clock?: Clock;
  /** Passed to the CallSession (benchmarks). */
  onStepEntered?: CallSessionOptions['onStepEntered'];
  resolveApplet?: CallSessionOptions['resolveApplet'];
}

export interface SimulatedRun {
  callSid: string;
  call: SimulatedCall;
  session: CallSession;
  done: Promise<CallLog>;
}

export function simulateCall(options: SimulateOptions): SimulatedRun {
  const call = new SimulatedCall(options.script, {
    ...(options.realTime === undefined ? {} : { realTime: options.realTime }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const sessionOptions: CallSessionOptions = {
    flow: options.flow,
    flowId: options.flowId ?? 'test',
    flowVersion: options.flowVersion ?? 1,
    accountSid: options.accountSid ?? 'test',
    from: options.script.from,
    to: options.script.to,
    telephony: call,
    sendSms: options.sendSms,
    fetchGuarded: options.fetchGuarded,
    onStepLeft: (step) => call.appletLeft(step.appletId),
  };
  if (options.callSid !== undefined) sessionOptions.callSid = options.callSid;
  if (options.timeZone !== undefined) sessionOptions.timeZone = options.timeZone;
  if (options.maxSteps !== undefined) sessionOptions.maxSteps = options.maxSteps;
  if (options.passthruTimeoutMs !== undefined)
    sessionOptions.passthruTimeoutMs = options.passthruTimeoutMs;
  if (options.onStepEntered !== undefined) sessionOptions.onStepEntered = options.onStepEntered;
  if (options.resolveApplet !== undefined) sessionOptions.resolveApplet = options.resolveApplet;
  const session = new CallSession(sessionOptions);
  return { callSid: session.callSid, call, session, done: session.run() };
}
