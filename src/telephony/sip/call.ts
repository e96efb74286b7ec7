/**
 * SipCall: the Telephony of a real call. The SIP side is an answered InboundCall; the audio side
 * is the call's session in the media engine (rtpengine). Prompts are rendered or fetched to a WAV
 * file and played by rtpengine; keys come from RFC 4733 events (through the media engine) and SIP
 * INFO, into one queue that collectDigits reads with the simulator's timeouts and finish key.
 *
 * Barge-in: a key pressed while a prompt plays stops the prompt (the key is kept for the next
 * collectDigits), so an IVR menu can be answered before its prompt ends.
 *
 * Whatever ends the call (our hang-up, the caller's BYE, a media timeout, shutdown), the media
 * session is deleted once and every listener is removed.
 */

import type { MediaEngine, PromptFetcher, TextToSpeech } from '../media/index.ts';
import {
  CallEnded,
  CallerHangup,
  type CollectOptions,
  type CollectResult,
  type DialOptions,
  type DialResult,
  type SayOptions,
  type Telephony,
} from '../types.ts';
import { type DialDeps, dialAgents } from './dial.ts';
import type { InboundCall, SipEndReason } from './dialog.ts';
import type { SipLogger } from './endpoint.ts';

/**
 * What a call needs of its signalling side: an answered SIP dialog, or the Builder's browser leg
 * (src/telephony/browser/leg.ts), whose audio goes through the same media engine.
 */
export type CallLeg = Pick<
  InboundCall,
  'callId' | 'callerTag' | 'localTag' | 'offer' | 'state' | 'setHandlers' | 'bye'
>;

export interface SipCallDeps {
  media: MediaEngine;
  tts: TextToSpeech;
  prompts: PromptFetcher;
  /** Text-to-speech voice of the call (the account's, or the configured default). */
  voice: string;
  /** Connect: ringing agents and bridging the caller to one. */
  dialing: DialDeps;
  /** The caller's number (E.164), '' when withheld: the caller ID Connect presents by default. */
  callerNumber: string;
  logger: SipLogger;
}

export class SipCall implements Telephony {
  readonly inbound: CallLeg;
  readonly #deps: SipCallDeps;
  readonly #tags: { callId: string; callerTag: string };
  readonly #controller = new AbortController();
  readonly #keys: string[] = [];
  readonly #unsubscribe: (() => void)[] = [];
  #keyWaiter: (() => void) | undefined;
  #playing: AbortController | undefined;
  #ended = false;
  #callerGone = false;
  #cleanup: Promise<void> | undefined;
  /** Resolves once the call is over and its media deleted. */
  readonly finished: Promise<void>;
  #finish!: () => void;

  constructor(inbound: CallLeg, deps: SipCallDeps) {
    this.inbound = inbound;
    this.#deps = deps;
    this.#tags = { callId: inbound.callId, callerTag: inbound.callerTag };
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
    inbound.setHandlers({
      onEnded: (reason) => this.#networkEnded(reason),
      onInfoKey: (key) => this.#key(key, 'info'),
      onReoffer: async (offer) =>
        (
          await deps.media.reoffer({
            callId: inbound.callId,
            callerTag: inbound.callerTag,
            ourTag: inbound.localTag,
            offer,
          })
        ).sdp,
    });
    this.#unsubscribe.push(
      deps.media.onDtmf(inbound.callId, (key) => this.#key(key, 'rfc4733')),
      deps.media.onMediaTimeout(inbound.callId, () => this.#mediaTimedOut()),
    );
    // The call may have ended between the answer and now (a BYE that raced the flow's start).
    if (inbound.state === 'ended') this.#networkEnded('caller-bye');
  }

  get hangupSignal(): AbortSignal {
    return this.#controller.signal;
  }

  now(): Date {
    return new Date();
  }

  async say(text: string, options: SayOptions = {}): Promise<void> {
    this.#ensureLive();
    const voice = options.voice ?? this.#deps.voice;
    let file: string;
    try {
      file = await this.#deps.tts.render(text, voice);
    } catch (error) {
      // An engine failure ends the prompt, not the call.
      this.#deps.logger.error(
        { callId: this.#tags.callId, error: String(error) },
        'sip call: text-to-speech failed; prompt skipped',
      );
      this.#ensureLive();
      return;
    }
    await this.#playFile(file);
  }

  async play(url: string): Promise<void> {
    this.#ensureLive();
    let file: string;
    try {
      file = await this.#deps.prompts.fetch(url);
    } catch (error) {
      this.#deps.logger.error(
        { callId: this.#tags.callId, url, error: String(error) },
        'sip call: audio prompt could not be fetched; prompt skipped',
      );
      this.#ensureLive();
      return;
    }
    await this.#playFile(file);
  }

  async #playFile(file: string): Promise<void> {
    this.#ensureLive();
    // Keys already pressed answer what this prompt would ask: do not make the caller wait.
    if (this.#keys.length > 0) return;
    const playing = new AbortController();
    this.#playing = playing;
    try {
      await this.#deps.media.play(
        this.#tags,
        file,
        AbortSignal.any([playing.signal, this.#controller.signal]),
      );
    } catch (error) {
      if (!this.#ended && !this.#callerGone) {
        this.#deps.logger.error(
          { callId: this.#tags.callId, error: String(error) },
          'sip call: playing a prompt failed',
        );
      }
    } finally {
      if (this.#playing === playing) this.#playing = undefined;
    }
    this.#ensureLive();
  }

  async collectDigits(options: CollectOptions): Promise<CollectResult> {
    this.#ensureLive();
    let digits = '';
    while (digits.length < options.maxDigits) {
      const key = await this.#nextKey(options.timeoutSeconds * 1000);
      if (key === undefined) return { digits, endedBy: 'timeout' };
      if (options.finishOnKey && key === options.finishOnKey)
        return { digits, endedBy: 'finish-key' };
      digits += key;
    }
    return { digits, endedBy: 'max-digits' };
  }

  /** The next key within `ms`, or undefined; throws once the call is over. */
  async #nextKey(ms: number): Promise<string | undefined> {
    for (;;) {
      this.#ensureLive();
      const key = this.#keys.shift();
      if (key !== undefined) return key;
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), ms);
        const onAbort = () => done(true);
        const done = (value: boolean) => {
          clearTimeout(timer);
          this.#controller.signal.removeEventListener('abort', onAbort);
          this.#keyWaiter = undefined;
          resolve(value);
        };
        this.#keyWaiter = () => done(true);
        this.#controller.signal.addEventListener('abort', onAbort, { once: true });
      });
      if (!arrived) return undefined;
    }
  }

  async dial(numbers: string[], options: DialOptions): Promise<DialResult> {
    this.#ensureLive();
    return dialAgents(
      this.#deps.dialing,
      {
        ...this.#tags,
        ourTag: this.inbound.localTag,
        offer: this.inbound.offer,
        callerNumber: this.#deps.callerNumber,
        hangupSignal: this.#controller.signal,
      },
      numbers,
      options,
    );
  }

  async hangup(): Promise<void> {
    if (this.#ended || this.#callerGone) {
      await this.#release();
      return;
    }
    this.#ended = true;
    this.#playing?.abort();
    // The BYE goes out at once; its answer is the endpoint's to wait for (a caller that vanished
    // takes 32 s to time out), not the call log's.
    void this.inbound.bye('our-bye');
    await this.#release();
  }

  #key(key: string, source: 'rfc4733' | 'info'): void {
    if (this.#ended || this.#callerGone) return;
    this.#deps.logger.info({ callId: this.#tags.callId, key, source }, 'sip call: key');
    this.#keys.push(key);
    // Barge-in.
    this.#playing?.abort();
    this.#keyWaiter?.();
  }

  #networkEnded(reason: SipEndReason): void {
    if (reason === 'our-bye' || this.#callerGone) return;
    this.#callerGone = true;
    if (reason === 'ack-timeout') {
      this.#deps.logger.warn(
        { callId: this.#tags.callId, code: 'SIP_ACK_TIMEOUT' },
        'sip call: no ACK for the 200 OK; hung up',
      );
    }
    this.#controller.abort(new CallerHangup());
    void this.#release();
  }

  #mediaTimedOut(): void {
    if (this.#ended || this.#callerGone) return;
    this.#deps.logger.warn(
      { callId: this.#tags.callId, code: 'SIP_MEDIA_TIMEOUT' },
      'sip call: no media from the caller; hanging up',
    );
    this.#callerGone = true;
    this.#controller.abort(new CallerHangup());
    void this.inbound.bye('our-bye');
    void this.#release();
  }

  /** Deletes the media session and listeners, once, whatever ended the call. */
  #release(): Promise<void> {
    this.#cleanup ??= (async () => {
      for (const off of this.#unsubscribe.splice(0)) off();
      try {
        await this.#deps.media.delete(this.#tags.callId);
      } catch (error) {
        this.#deps.logger.error(
          { callId: this.#tags.callId, error: String(error) },
          'sip call: could not delete the media session',
        );
      }
      this.#finish();
    })();
    return this.#cleanup;
  }

  #ensureLive(): void {
    if (this.#callerGone) throw new CallerHangup();
    if (this.#ended) throw new CallEnded();
  }
}
