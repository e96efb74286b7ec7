/**
 * BrowserLeg: the signalling side of a test call placed from the Builder through the browser's
 * microphone. There is no SIP here: the page sends its SDP offer and its hang-up over the web
 * session (src/api/routes/browser-calls.ts), and learns of our hang-up from this leg's `ended`
 * listeners. The audio goes through rtpengine like any caller's, so the call itself is a SipCall
 * (src/telephony/sip/call.ts) on this leg.
 */

import { randomBytes } from 'node:crypto';
import type { CallState, InboundCallHandlers, SipEndReason } from '../sip/dialog.ts';

/** Who ended a browser call: the page (its hang-up button, or the page went away) or the flow. */
export type BrowserEndReason = 'page-hangup' | 'our-hangup';

export class BrowserLeg {
  /** rtpengine's call-id for the browser's media session. */
  readonly callId = `browser-${randomBytes(12).toString('hex')}`;
  readonly callerTag = randomBytes(8).toString('hex');
  readonly localTag = randomBytes(8).toString('hex');
  /** The page's SDP offer (Connect offers the agents the same media). */
  readonly offer: string;
  #state: CallState = 'offered';
  #handlers: InboundCallHandlers | undefined;
  readonly #ended = new Set<(reason: BrowserEndReason) => void>();

  constructor(offer = '') {
    this.offer = offer;
  }

  get state(): CallState {
    return this.#state;
  }

  setHandlers(handlers: InboundCallHandlers): void {
    this.#handlers = handlers;
  }

  /** The SDP answer went back to the page. */
  answered(): void {
    if (this.#state === 'offered') this.#state = 'confirmed';
  }

  /** Called once when the call ends, whoever ended it. */
  onEnded(listener: (reason: BrowserEndReason) => void): () => void {
    this.#ended.add(listener);
    return () => this.#ended.delete(listener);
  }

  /** Our side ends the call (the flow's Hangup applet, its end, a media timeout, shutdown). */
  async bye(_reason: SipEndReason = 'our-bye'): Promise<void> {
    this.#end('our-hangup');
  }

  /** The page hung up. */
  pageHangup(): void {
    if (this.#state === 'ended') return;
    this.#end('page-hangup');
    this.#handlers?.onEnded('caller-bye');
  }

  #end(reason: BrowserEndReason): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    for (const listener of [...this.#ended]) listener(reason);
    this.#ended.clear();
  }
}
