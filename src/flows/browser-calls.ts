/**
 * Test calls from the Builder through the browser's microphone: the page's WebRTC offer becomes a
 * real call on one of the account's ExoPhones, run by the same runtime and call log as SIP calls.
 * rtpengine terminates the browser's ICE and DTLS-SRTP and carries its audio like any caller's, so
 * the call is a SipCall on a BrowserLeg: prompts, keys (RFC 4733 from the page's
 * RTCDTMFSender), barge-in and media timeout are the SIP call's own.
 *
 * Each call can be followed while it runs: the log as it grows (the Builder lights the path) and
 * who ended it (the page closes its peer connection when the flow hangs up).
 */

import { CallflowError } from '../errors.ts';
import { normalizeNumber } from '../sms/phone.ts';
import type { BrowserCallOrigin } from '../store/flow-types.ts';
import { type BrowserEndReason, BrowserLeg } from '../telephony/browser/leg.ts';
import {
  type MediaEngine,
  MediaError,
  type PromptFetcher,
  type TextToSpeech,
} from '../telephony/media/index.ts';
import { SipCall } from '../telephony/sip/call.ts';
import type { SipConfig } from '../telephony/sip/config.ts';
import type { DialDeps } from '../telephony/sip/dial.ts';
import type { SipLogger } from '../telephony/sip/endpoint.ts';
import type { CallLog } from './runtime.ts';
import type { FlowService } from './service.ts';

export interface BrowserCallsOptions {
  /** The `sip` section of the configuration, whole (voice, maxCalls, outbound trunk). */
  sip: SipConfig;
  flows: FlowService;
  media: MediaEngine;
  tts: TextToSpeech;
  prompts: PromptFetcher;
  /** Connect: the SIP side's dialling (trunks, registered users, ringback, recording). */
  dialing: DialDeps;
  logger: SipLogger;
}

/** What a follower of a browser call is told. */
export type BrowserCallEvent =
  | { type: 'progress'; log: Pick<CallLog, 'steps' | 'sms'> }
  | { type: 'ended'; by: BrowserEndReason };

export interface StartedBrowserCall {
  callSid: string;
  /** The SDP answer for the page's RTCPeerConnection. */
  answer: string;
  codec: string;
}

export interface BrowserCalls {
  start(input: {
    accountSid: string;
    /** The ExoPhone to call, in any form the account's numbers are written in. */
    to: string;
    /**
     * The number the flow sees as the caller's ({CallFrom}, the SMS applet's "caller"): a browser
     * has none, so the page may name one; absent, the caller is withheld.
     */
    from?: string;
    offer: string;
  }): Promise<StartedBrowserCall>;
  /** The page hangs up; false when the account has no such call in progress. */
  hangup(accountSid: string, callSid: string): boolean;
  /**
   * Follows a call in progress: the latest progress at once, then every change and the end.
   * Undefined when the account has no such call in progress.
   */
  follow(
    accountSid: string,
    callSid: string,
    listener: (event: BrowserCallEvent) => void,
  ): (() => void) | undefined;
  active(): number;
  /** Ends every browser call and waits for its media to be deleted. */
  close(): Promise<void>;
}

/** Browser calls one account may have at once: a test tool, not a way around sip.maxCalls. */
export const MAX_BROWSER_CALLS_PER_ACCOUNT = 4;

interface Running {
  accountSid: string;
  leg: BrowserLeg;
  call: SipCall;
  progress: BrowserCallEvent | undefined;
  ended: BrowserEndReason | undefined;
  listeners: Set<(event: BrowserCallEvent) => void>;
}

export function createBrowserCalls(options: BrowserCallsOptions): BrowserCalls {
  const { sip, flows, media, logger } = options;
  const calls = new Map<string, Running>();

  function emit(running: Running, event: BrowserCallEvent): void {
    if (event.type === 'progress') running.progress = event;
    else running.ended = event.by;
    for (const listener of [...running.listeners]) listener(event);
  }

  function countFor(accountSid: string): number {
    let n = 0;
    for (const running of calls.values()) if (running.accountSid === accountSid) n++;
    return n;
  }

  return {
    async start({ accountSid, to, from, offer }) {
      if (!media.state.running) {
        throw new CallflowError(
          'BROWSER_CALL_UNAVAILABLE',
          `Calls from the browser need real calls, which are off: ${media.state.reason ?? 'rtpengine is not running'}.`,
        );
      }
      const caller = from === undefined || from === '' ? '' : normalizeNumber(from, 'IN');
      if (caller === undefined) {
        throw new CallflowError(
          'VALIDATION_FAILED',
          `The caller's number ${from} is not a number.`,
        );
      }
      const e164 = normalizeNumber(to, 'IN');
      const found = e164 === undefined ? undefined : await flows.findInboundRoute(e164);
      // Another account's number is as unknown as no number at all.
      if (found === undefined || found.kind === 'unknown' || found.accountSid !== accountSid) {
        throw new CallflowError('NOT_FOUND', `${to} is not an ExoPhone of this account.`);
      }
      if (found.kind === 'no-flow') {
        throw new CallflowError('NOT_FOUND', `${to} has no published flow.`);
      }
      if (countFor(accountSid) >= MAX_BROWSER_CALLS_PER_ACCOUNT) {
        throw new CallflowError(
          'RATE_LIMITED',
          `At most ${MAX_BROWSER_CALLS_PER_ACCOUNT} calls from the browser at once; hang one up first.`,
        );
      }
      const leg = new BrowserLeg(offer);
      let answer: Awaited<ReturnType<MediaEngine['answerCaller']>>;
      try {
        answer = await media.answerCaller({
          callId: leg.callId,
          callerTag: leg.callerTag,
          ourTag: leg.localTag,
          offer,
          leg: 'webrtc',
        });
      } catch (error) {
        await media.delete(leg.callId).catch(() => {});
        if (error instanceof MediaError && error.code === 'NO_COMMON_CODEC') {
          throw new CallflowError(
            'BROWSER_CALL_BAD_OFFER',
            `The browser's offer cannot be answered: ${error.message}.`,
          );
        }
        if (error instanceof MediaError && error.code === 'MEDIA_REJECTED') {
          throw new CallflowError(
            'BROWSER_CALL_BAD_OFFER',
            `rtpengine refused the browser's offer: ${error.message}.`,
          );
        }
        throw new CallflowError(
          'BROWSER_CALL_UNAVAILABLE',
          `The media engine failed: ${String(error)}.`,
        );
      }
      leg.answered();
      const call = new SipCall(leg, {
        media,
        tts: options.tts,
        prompts: options.prompts,
        // The account's voice, as on its phone calls; prompts may set their own.
        voice: found.voice ?? sip.voice,
        dialing: options.dialing,
        callerNumber: caller,
        logger,
      });
      const { codec } = answer;
      const origin: BrowserCallOrigin = {
        kind: 'browser',
        codec,
        remoteAddress: answer.remoteAddress,
        answeredAt: new Date().toISOString(),
      };
      let endedAt: Date | undefined;
      const running: Running = {
        accountSid,
        leg,
        call,
        progress: undefined,
        ended: undefined,
        listeners: new Set(),
      };
      leg.onEnded((by) => {
        endedAt = new Date();
        emit(running, { type: 'ended', by });
      });
      let started: Awaited<ReturnType<FlowService['startInboundCall']>>;
      try {
        started = await flows.startInboundCall({
          accountSid,
          route: found.route,
          from: caller,
          telephony: call,
          origin,
          finalOrigin: () => ({
            ...origin,
            durationSeconds:
              Math.round(
                ((endedAt ?? new Date()).getTime() - Date.parse(origin.answeredAt)) / 100,
              ) / 10,
          }),
          onProgress: (log) =>
            emit(running, {
              type: 'progress',
              log: { steps: structuredClone(log.steps), sms: structuredClone(log.sms) },
            }),
        });
      } catch (error) {
        await call.hangup();
        throw error;
      }
      calls.set(started.callSid, running);
      // The flow's end hangs up the call (SipCall.hangup); the entry goes once the log is saved.
      void started.done.finally(() => calls.delete(started.callSid)).catch(() => {});
      logger.info(
        { callSid: started.callSid, to: found.route.number.e164, codec },
        'browser call answered',
      );
      return { callSid: started.callSid, answer: answer.sdp, codec };
    },

    hangup(accountSid, callSid) {
      const running = calls.get(callSid);
      if (running === undefined || running.accountSid !== accountSid) return false;
      running.leg.pageHangup();
      return true;
    },

    follow(accountSid, callSid, listener) {
      const running = calls.get(callSid);
      if (running === undefined || running.accountSid !== accountSid) return undefined;
      if (running.progress) listener(running.progress);
      if (running.ended !== undefined) {
        listener({ type: 'ended', by: running.ended });
        return () => {};
      }
      running.listeners.add(listener);
      return () => running.listeners.delete(listener);
    },

    active: () => calls.size,

    async close() {
      await Promise.all(
        [...calls.values()].map(async (running) => {
          await running.call.hangup();
          await running.call.finished;
        }),
      );
    },
  };
}
