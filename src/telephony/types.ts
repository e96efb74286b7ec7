/**
 * The Telephony interface: what the flow runtime sees of a call. The simulator implements it for
 * a scripted caller; real telephony (SIP) plugs in behind the same interface later.
 *
 * Glossary:
 * - caller hang-up: the caller ends the call. `hangupSignal` aborts, and every operation in
 *   progress or started afterwards rejects with `CallerHangup`, except a dial in progress: a
 *   hang-up is one of the ways a dial ends, so `dial` resolves with `callerHungUp: true` and the
 *   outcome so far (`completed` when an agent had answered, with the talk time up to the hang-up;
 *   else `no-answer`). The runtime then goes on only through applets that need no caller.
 * - dial: the call is bridged to agent numbers, one after another (`sequential`) or all at once
 *   (`simultaneous`, the first to answer wins), each ringing at most `ringSeconds`.
 * - finish key: a key (usually `#`) that ends digit collection early; it is not part of the digits.
 */

export interface SayOptions {
  /** A voice of VOICE_NAMES (src/telephony/voices.ts). */
  voice?: string;
}

export interface CollectOptions {
  /** Collection ends after this many digits. */
  maxDigits: number;
  /** Seconds to wait for each digit (the first and every next one). */
  timeoutSeconds: number;
  /** Ends collection early; not included in the digits. Empty: no finish key. */
  finishOnKey?: string;
}

export interface CollectResult {
  digits: string;
  /** Why collection ended. */
  endedBy: 'max-digits' | 'finish-key' | 'timeout';
}

export interface DialOptions {
  mode: 'sequential' | 'simultaneous';
  /** How long each number rings before it counts as not answered, seconds. */
  ringSeconds: number;
  /** Real calls: the trunk for numbers when not the configured default. */
  trunk?: string;
  /** Real calls: record the conversation. */
  record?: boolean;
}

export type DialOutcome = 'completed' | 'no-answer' | 'busy' | 'failed';

export interface DialAttempt {
  number: string;
  /** `canceled`: still ringing (or being tried) when the caller hung up. */
  outcome: DialOutcome | 'canceled';
  /** Seconds the number rang (or until it answered). */
  ringSeconds: number;
}

export interface DialResult {
  /** `completed` once someone answered and the conversation ended. */
  outcome: DialOutcome;
  /** The number that answered. */
  answeredBy?: string;
  /** How long the caller and the agent talked, seconds. */
  talkSeconds?: number;
  attempts: DialAttempt[];
  /**
   * The caller hung up during the dial: while it rang (outcome `no-answer`) or during the
   * conversation (outcome `completed`, talkSeconds up to the hang-up).
   */
  callerHungUp?: boolean;
  /** Real calls with `record`: the conversation's recording (a WAV of both sides). */
  recording?: {
    file: string;
    seconds: number;
    /** `recordings.publicUrl`, or '' (the RecordingUrl is then a path). */
    urlBase: string;
  };
  /** Why the dial could not be tried at all (outcome `failed`), e.g. no outbound trunk. */
  failure?: { code: string; message: string };
}

export interface Telephony {
  /** The current time of this call (virtual in tests). */
  now(): Date;
  /** Aborts when the caller hangs up. */
  readonly hangupSignal: AbortSignal;
  /** Speaks text to the caller (text-to-speech), in `voice` or the call's default voice. */
  say(text: string, options?: SayOptions): Promise<void>;
  /** Plays an audio file to the caller. */
  play(url: string): Promise<void>;
  collectDigits(options: CollectOptions): Promise<CollectResult>;
  /** Resolves (does not reject) when the caller hangs up during the dial: see `callerHungUp`. */
  dial(numbers: string[], options: DialOptions): Promise<DialResult>;
  /** Ends the call from our side (the hangup applet, or the end of the flow). Idempotent. */
  hangup(): Promise<void>;
}

/** Thrown by every Telephony operation once the caller has hung up. */
export class CallerHangup extends Error {
  constructor() {
    super('the caller hung up');
    this.name = 'CallerHangup';
  }
}

/** Thrown by Telephony operations after the call was ended from our side. */
export class CallEnded extends Error {
  constructor() {
    super('the call has ended');
    this.name = 'CallEnded';
  }
}
