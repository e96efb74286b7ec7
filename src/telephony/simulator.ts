/**
 * The simulated call: a Telephony implementation that plays a scripted caller (see script.ts).
 *
 * On the virtual clock every wait jumps forward instead of waiting, so tests are fast and exact;
 * on the real clock the same script plays out in real time, for demos. Each operation works out
 * from the script how long it takes; if the caller's hang-up falls inside it, time advances to
 * the hang-up and the operation rejects with CallerHangup (a dial resolves with how far it got).
 */

import { type Clock, realClock, VirtualClock } from './clock.ts';
import { type AgentBehaviour, type CallerScript, DEFAULT_AGENT } from './script.ts';
import {
  CallEnded,
  CallerHangup,
  type CollectOptions,
  type CollectResult,
  type DialAttempt,
  type DialOptions,
  type DialOutcome,
  type DialResult,
  type SayOptions,
  type Telephony,
} from './types.ts';

/** Speech rate of text-to-speech, characters per second (about 150 words a minute). */
const SAY_CHARS_PER_SECOND = 15;
/** Gap between two keys pressed without a time, milliseconds. */
const KEY_GAP_MS = 500;
/** Time to get a busy signal or a failure from a dialled number, milliseconds. */
const BUSY_MS = 2000;

export interface SimEvent {
  /** Milliseconds since the call started. */
  atMs: number;
  kind: 'say' | 'play' | 'digits' | 'dial' | 'hangup' | 'caller-hangup';
  detail: Record<string, unknown>;
}

/** How far a dial got, so that a caller's hang-up can report it. */
interface DialProgress {
  /** Attempts whose outcome is known. */
  attempts: DialAttempt[];
  /** Numbers being rung (or tried) now, since when (ms since the call started). */
  ringing?: { numbers: string[]; sinceMs: number };
  /** The agent talking to the caller, since when. */
  answered?: { number: string; atMs: number };
}

interface QueuedKey {
  key: string;
  /** When the key is pressed, ms since the start; undefined: as soon as the flow listens. */
  atMs: number | undefined;
}

export interface SimulatorOptions {
  /** Real time for demos; the virtual clock (the default) for tests. */
  realTime?: boolean;
  /** A clock to use instead (a shared VirtualClock, for instance). */
  clock?: Clock;
}

export class SimulatedCall implements Telephony {
  readonly clock: Clock;
  readonly script: CallerScript;
  /** What happened on the line, in order: what the caller heard, pressed and who was dialled. */
  readonly events: SimEvent[] = [];
  readonly #startMs: number;
  readonly #keys: QueuedKey[];
  readonly #controller = new AbortController();
  readonly #hangupAtMs: number;
  #timer: NodeJS.Timeout | undefined;
  #callerHungUp = false;
  #ended = false;

  constructor(script: CallerScript, options: SimulatorOptions = {}) {
    this.script = script;
    this.clock =
      options.clock ??
      (options.realTime
        ? realClock
        : new VirtualClock(script.startAt ? new Date(script.startAt) : new Date()));
    this.#startMs = this.clock.now().getTime();
    this.#keys = queueKeys(script.digits);
    this.#hangupAtMs =
      script.hangupAfterSeconds === undefined
        ? Number.POSITIVE_INFINITY
        : script.hangupAfterSeconds * 1000;
    // On the real clock the hang-up must also be signalled while no Telephony operation runs (an
    // SMS or Passthru applet, which go on regardless); on the virtual clock time only moves
    // inside operations.
    if (options.realTime && Number.isFinite(this.#hangupAtMs)) {
      this.#timer = setTimeout(() => this.callerHangsUp(), this.#hangupAtMs);
    }
  }

  get hangupSignal(): AbortSignal {
    return this.#controller.signal;
  }

  now(): Date {
    return this.clock.now();
  }

  /** Milliseconds since the call started. */
  elapsedMs(): number {
    return this.clock.now().getTime() - this.#startMs;
  }

  /** The caller hangs up now. Idempotent; does nothing once the call has ended. */
  callerHangsUp(): void {
    if (this.#callerHungUp || this.#ended) return;
    this.#callerHungUp = true;
    this.#clearTimer();
    this.#event('caller-hangup', {});
    this.#controller.abort(new CallerHangup());
  }

  /** Told by the runtime when an applet is left, for `hangupAfterApplet`. */
  appletLeft(appletId: string): void {
    if (this.script.hangupAfterApplet === appletId) this.callerHangsUp();
  }

  async say(text: string, options: SayOptions = {}): Promise<void> {
    this.#ensureLive();
    this.#event('say', options.voice === undefined ? { text } : { text, voice: options.voice });
    // Whole seconds keep simulated timings easy to read.
    await this.#wait(Math.max(1, Math.ceil(text.length / SAY_CHARS_PER_SECOND)) * 1000);
  }

  async play(url: string): Promise<void> {
    this.#ensureLive();
    this.#event('play', { url });
    await this.#wait((this.script.audioSeconds ?? 5) * 1000);
  }

  async collectDigits(options: CollectOptions): Promise<CollectResult> {
    this.#ensureLive();
    const timeoutMs = options.timeoutSeconds * 1000;
    let digits = '';
    const done = (endedBy: CollectResult['endedBy']): CollectResult => {
      this.#event('digits', { digits, endedBy });
      return { digits, endedBy };
    };
    while (digits.length < options.maxDigits) {
      const next = this.#keys[0];
      const pressAt = next
        ? (next.atMs ?? this.elapsedMs() + KEY_GAP_MS)
        : Number.POSITIVE_INFINITY;
      const waitMs = Math.max(0, pressAt - this.elapsedMs());
      if (waitMs > timeoutMs) {
        await this.#wait(timeoutMs);
        return done('timeout');
      }
      await this.#wait(waitMs);
      this.#keys.shift();
      if (options.finishOnKey && next!.key === options.finishOnKey) return done('finish-key');
      digits += next!.key;
    }
    return done('max-digits');
  }

  async dial(numbers: string[], options: DialOptions): Promise<DialResult> {
    this.#ensureLive();
    this.#event('dial', { numbers, mode: options.mode, ringSeconds: options.ringSeconds });
    const progress: DialProgress = { attempts: [] };
    try {
      return options.mode === 'simultaneous'
        ? await this.#dialSimultaneous(numbers, options.ringSeconds, progress)
        : await this.#dialSequential(numbers, options.ringSeconds, progress);
    } catch (error) {
      if (!(error instanceof CallerHangup)) throw error;
      return this.#cutShort(numbers, progress);
    }
  }

  async hangup(): Promise<void> {
    this.#clearTimer();
    if (this.#ended || this.#callerHungUp) return;
    this.#ended = true;
    this.#event('hangup', {});
  }

  async #dialSequential(
    numbers: string[],
    ringSeconds: number,
    progress: DialProgress,
  ): Promise<DialResult> {
    const { attempts } = progress;
    for (const number of numbers) {
      const agent = this.#agent(number);
      progress.ringing = { numbers: [number], sinceMs: this.elapsedMs() };
      if (agent.behaviour === 'busy' || agent.behaviour === 'fail') {
        await this.#wait(BUSY_MS);
        attempts.push({
          number,
          outcome: agent.behaviour === 'busy' ? 'busy' : 'failed',
          ringSeconds: 0,
        });
        continue;
      }
      if (agent.behaviour === 'no-answer' || agent.answerAfterSeconds >= ringSeconds) {
        await this.#wait(ringSeconds * 1000);
        attempts.push({ number, outcome: 'no-answer', ringSeconds });
        continue;
      }
      await this.#wait(agent.answerAfterSeconds * 1000);
      attempts.push({ number, outcome: 'completed', ringSeconds: agent.answerAfterSeconds });
      return this.#talk(number, agent.talkSeconds, progress);
    }
    progress.ringing = undefined;
    return { outcome: unanswered(attempts), attempts };
  }

  async #dialSimultaneous(
    numbers: string[],
    ringSeconds: number,
    progress: DialProgress,
  ): Promise<DialResult> {
    const agents = numbers.map((number) => ({ number, agent: this.#agent(number) }));
    let winner: { number: string; agent: Required<AgentBehaviour> } | undefined;
    for (const a of agents) {
      if (a.agent.behaviour !== 'answer' || a.agent.answerAfterSeconds >= ringSeconds) continue;
      if (!winner || a.agent.answerAfterSeconds < winner.agent.answerAfterSeconds) winner = a;
    }
    const rang = winner ? winner.agent.answerAfterSeconds : ringSeconds;
    const attempts: DialAttempt[] = agents.map(({ number, agent }) => {
      if (agent.behaviour === 'busy') return { number, outcome: 'busy', ringSeconds: 0 };
      if (agent.behaviour === 'fail') return { number, outcome: 'failed', ringSeconds: 0 };
      if (winner?.number === number) return { number, outcome: 'completed', ringSeconds: rang };
      return { number, outcome: 'no-answer', ringSeconds: rang };
    });
    // Until the wait below ends, every number that is not busy or failed is still ringing.
    progress.attempts = attempts.filter((a) => a.outcome === 'busy' || a.outcome === 'failed');
    progress.ringing = {
      numbers: attempts.filter((a) => !progress.attempts.includes(a)).map((a) => a.number),
      sinceMs: this.elapsedMs(),
    };
    const anyRinging = progress.ringing.numbers.length > 0;
    await this.#wait(winner ? rang * 1000 : anyRinging ? ringSeconds * 1000 : BUSY_MS);
    progress.attempts = attempts;
    progress.ringing = undefined;
    if (winner) return this.#talk(winner.number, winner.agent.talkSeconds, progress);
    return { outcome: unanswered(attempts), attempts };
  }

  async #talk(number: string, talkSeconds: number, progress: DialProgress): Promise<DialResult> {
    progress.ringing = undefined;
    progress.answered = { number, atMs: this.elapsedMs() };
    await this.#wait(talkSeconds * 1000);
    return { outcome: 'completed', answeredBy: number, talkSeconds, attempts: progress.attempts };
  }

  /**
   * The dial as it stood when the caller hung up: a conversation that had started is `completed`
   * with the talk time up to the hang-up; otherwise nobody answered in time (`no-answer`), and
   * the numbers still ringing are `canceled`.
   */
  #cutShort(numbers: string[], progress: DialProgress): DialResult {
    const nowMs = this.elapsedMs();
    if (progress.answered) {
      return {
        outcome: 'completed',
        answeredBy: progress.answered.number,
        talkSeconds: (nowMs - progress.answered.atMs) / 1000,
        attempts: progress.attempts,
        callerHungUp: true,
      };
    }
    const ringing = progress.ringing;
    const canceled: DialAttempt[] = (ringing?.numbers ?? []).map((number) => ({
      number,
      outcome: 'canceled',
      ringSeconds: (nowMs - ringing!.sinceMs) / 1000,
    }));
    const attempts = [...progress.attempts, ...canceled].sort(
      (a, b) => numbers.indexOf(a.number) - numbers.indexOf(b.number),
    );
    return { outcome: 'no-answer', attempts, callerHungUp: true };
  }

  #agent(number: string): Required<AgentBehaviour> {
    return {
      ...DEFAULT_AGENT,
      ...(this.script.defaultAgent ?? {}),
      ...(this.script.agents?.[number] ?? {}),
    };
  }

  /** Waits `ms`, or up to the caller's hang-up if that comes first (then throws CallerHangup). */
  async #wait(ms: number): Promise<void> {
    const untilHangup = this.#hangupAtMs - this.elapsedMs();
    const hangsUp = untilHangup <= ms;
    try {
      await this.clock.sleep(hangsUp ? Math.max(0, untilHangup) : ms, this.#controller.signal);
    } catch (error) {
      if (this.#callerHungUp) throw new CallerHangup();
      throw error;
    }
    if (hangsUp) {
      this.callerHangsUp();
      throw new CallerHangup();
    }
  }

  #ensureLive(): void {
    if (this.#callerHungUp) throw new CallerHangup();
    if (this.#ended) throw new CallEnded();
  }

  #event(kind: SimEvent['kind'], detail: Record<string, unknown>): void {
    this.events.push({ atMs: this.elapsedMs(), kind, detail });
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Nobody answered: a number that rang out counts first, then a busy one, else the dial failed. */
export function unanswered(attempts: DialAttempt[]): DialOutcome {
  if (attempts.some((a) => a.outcome === 'no-answer')) return 'no-answer';
  if (attempts.some((a) => a.outcome === 'busy')) return 'busy';
  return 'failed';
}

function queueKeys(digits: CallerScript['digits']): QueuedKey[] {
  if (digits === undefined) return [];
  const presses = typeof digits === 'string' ? [{ keys: digits }] : digits;
  const queue: QueuedKey[] = [];
  for (const press of presses) {
    [...press.keys].forEach((key, i) => {
      queue.push({
        key,
        atMs: press.at === undefined ? undefined : press.at * 1000 + i * KEY_GAP_MS,
      });
    });
  }
  return queue;
}
