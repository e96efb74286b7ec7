/**
 * Real inbound calls: the SIP endpoint's INVITEs become flow runs. For each acceptable INVITE it
 * finds the ExoPhone dialled (national, 0… and +91… forms all match the stored E.164) across
 * accounts, refuses with the right status when there is no such number (404), no live flow (480),
 * no media engine (503) or no common codec (488), answers through the media engine, and starts the
 * call through the flow service: the same runtime and call log as simulated calls.
 */

import type { AuthThrottle } from '../auth-throttle.ts';
import type { Config } from '../config.ts';
import { normalizeNumber } from '../sms/phone.ts';
import type { CallOrigin } from '../store/flow-types.ts';
import {
  type MediaEngine,
  MediaError,
  type PromptFetcher,
  type TextToSpeech,
} from '../telephony/media/index.ts';
import { pruneRecordings, recordingsDir } from '../telephony/media/recording.ts';
import { ringbackFile } from '../telephony/media/ringback.ts';
import { SipCall } from '../telephony/sip/call.ts';
import type { SipConfig, SipTrunk } from '../telephony/sip/config.ts';
import type { DialDeps } from '../telephony/sip/dial.ts';
import type { InboundCall } from '../telephony/sip/dialog.ts';
import { type EndpointStats, SipEndpoint, type SipLogger } from '../telephony/sip/endpoint.ts';
import { parseNameAddr, parseUri } from '../telephony/sip/message.ts';
import { SipUac } from '../telephony/sip/uac.ts';
import type { FlowService } from './service.ts';

export interface SipCallsOptions {
  /** The `sip` section of the configuration, whole. */
  sip: SipConfig;
  flows: FlowService;
  media: MediaEngine;
  tts: TextToSpeech;
  prompts: PromptFetcher;
  /** DATA_DIR: the ringback tone and recordings are written under it. */
  dataDir: string;
  /** The `recordings` section of the configuration, whole. */
  recordings: Config['recordings'];
  logger: SipLogger;
  /** Shared with the HTTP surfaces: failed SIP digests count per source address. */
  authThrottle?: AuthThrottle;
}

export interface SipCalls {
  readonly endpoint: SipEndpoint;
  /** Outbound calls (Connect). */
  readonly uac: SipUac;
  /** What Connect needs to ring agents; the Builder's browser calls use it too. */
  readonly dialing: DialDeps;
  /** Calls answered and not yet over (their media not yet deleted). */
  active(): number;
  stats(): EndpointStats & { active: number };
  /** Ends every call (BYE), waits for their media to be deleted, closes the transports. */
  close(): Promise<void>;
}

/** How often recordings past their retention are looked for, ms. */
const PRUNE_EVERY_MS = 3_600_000;

/** Seconds a caller refused for lack of media is told to wait before trying again. */
const MEDIA_RETRY_AFTER_SECONDS = 60;

export async function startSipCalls(options: SipCallsOptions): Promise<SipCalls> {
  const { sip, flows, media, logger } = options;
  const active = new Set<SipCall>();
  const pending = new Set<Promise<void>>();

  async function handle(inbound: InboundCall): Promise<void> {
    const trunk =
      inbound.origin.kind === 'trunk'
        ? sip.trunks.find((t) => t.name === inbound.origin.name)
        : undefined;
    const region = trunk?.defaultRegion ?? 'IN';
    const context = { callId: inbound.callId, source: inbound.source.address };
    const dialled =
      inbound.dialled === undefined ? undefined : normalizeNumber(inbound.dialled, region);
    if (dialled === undefined) {
      logger.warn(
        { ...context, dialled: inbound.dialled, code: 'SIP_NUMBER_UNKNOWN' },
        'sip: refused 404, not a number',
      );
      inbound.refuse(404, 'Not Found');
      return;
    }
    const found = await flows.findInboundRoute(dialled);
    if (found.kind === 'unknown') {
      logger.warn(
        { ...context, dialled, code: 'SIP_NUMBER_UNKNOWN' },
        'sip: refused 404, no such ExoPhone',
      );
      inbound.refuse(404, 'Not Found');
      return;
    }
    if (found.kind === 'no-flow') {
      logger.warn(
        { ...context, dialled, code: 'SIP_NO_LIVE_FLOW' },
        'sip: refused 480, the ExoPhone has no live flow',
      );
      inbound.refuse(480, 'Temporarily Unavailable');
      return;
    }
    if (!media.state.running) {
      logger.warn(
        { ...context, dialled, code: 'MEDIA_UNAVAILABLE', reason: media.state.reason },
        'sip: refused 503, real calls are off',
      );
      inbound.refuse(503, 'Service Unavailable', {
        'retry-after': String(MEDIA_RETRY_AFTER_SECONDS),
      });
      return;
    }
    if (sip.ringMs > 0) {
      inbound.ringing();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, sip.ringMs);
        inbound.endedSignal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    if (inbound.state !== 'offered') return;
    const tags = { callId: inbound.callId, callerTag: inbound.callerTag, ourTag: inbound.localTag };
    let answer: Awaited<ReturnType<MediaEngine['answerCaller']>>;
    try {
      answer = await media.answerCaller({ ...tags, offer: inbound.offer });
    } catch (error) {
      await media.delete(inbound.callId).catch(() => {});
      if (error instanceof MediaError && error.code === 'NO_COMMON_CODEC') {
        logger.warn({ ...context, code: 'NO_COMMON_CODEC' }, 'sip: refused 488, no common codec');
        inbound.refuse(488, 'Not Acceptable Here');
      } else {
        logger.error(
          { ...context, error: String(error) },
          'sip: refused 503, the media engine failed',
        );
        inbound.refuse(503, 'Service Unavailable', {
          'retry-after': String(MEDIA_RETRY_AFTER_SECONDS),
        });
      }
      return;
    }
    if (inbound.state !== 'offered') {
      // Canceled while the media was set up.
      await media.delete(inbound.callId).catch(() => {});
      return;
    }
    inbound.answer(answer.sdp);
    const from = callerNumber(inbound, trunk, region);
    const call = new SipCall(inbound, {
      media,
      tts: options.tts,
      prompts: options.prompts,
      voice: found.voice ?? sip.voice,
      dialing,
      callerNumber: from,
      logger,
    });
    active.add(call);
    void call.finished.then(() => active.delete(call));
    const origin: CallOrigin = {
      kind: 'sip',
      via: inbound.origin.kind,
      name: inbound.origin.name,
      sipCallId: inbound.callId,
      codec: answer.codec,
      remoteAddress: answer.remoteAddress,
      answeredAt: (inbound.answeredAt ?? new Date()).toISOString(),
    };
    let endedAt: Date | undefined;
    void call.finished.then(() => {
      endedAt = new Date();
    });
    try {
      const started = await flows.startInboundCall({
        accountSid: found.accountSid,
        route: found.route,
        from,
        telephony: call,
        origin,
        finalOrigin: () => ({
          ...origin,
          durationSeconds:
            Math.round(((endedAt ?? new Date()).getTime() - Date.parse(origin.answeredAt)) / 100) /
            10,
        }),
      });
      logger.info(
        {
          ...context,
          callSid: started.callSid,
          from,
          to: dialled,
          origin: inbound.origin,
          codec: answer.codec,
        },
        'sip: call answered',
      );
    } catch (error) {
      logger.error(
        { ...context, error: String(error) },
        'sip: the call could not be started; hanging up',
      );
      await call.hangup();
    }
  }

  const endpoint = await SipEndpoint.start({
    config: sip,
    logger,
    ...(options.authThrottle === undefined ? {} : { authThrottle: options.authThrottle }),
    onCall: (inbound) => {
      const work = handle(inbound).catch((error: unknown) => {
        logger.error(
          { callId: inbound.callId, error: String(error) },
          'sip: error starting a call',
        );
        inbound.refuse(500, 'Server Internal Error');
      });
      pending.add(work);
      void work.finally(() => pending.delete(work));
    },
  });

  const recordings = recordingsDir(options.dataDir);
  const prune = () =>
    void pruneRecordings(recordings, options.recordings.retentionDays)
      .then((removed) => {
        if (removed > 0)
          logger.info({ removed }, 'recordings past recordings.retentionDays deleted');
      })
      .catch((error: unknown) =>
        logger.error({ error: String(error) }, 'recordings could not be pruned'),
      );
  prune();
  const pruner = setInterval(prune, PRUNE_EVERY_MS);
  pruner.unref();
  const uac = new SipUac(endpoint);
  endpoint.attachOutbound(uac);
  const dialing: DialDeps = {
    uac,
    sip,
    media,
    logger,
    registeredContact: (username) => endpoint.registeredContact(username),
    ringback: () => ringbackFile(options.dataDir),
    recordingsDir: recordings,
    recordingsUrlBase: options.recordings.publicUrl ?? '',
  };

  return {
    endpoint,
    uac,
    dialing,
    active: () => active.size,
    stats: () => ({ ...endpoint.stats(), active: active.size }),
    async close() {
      clearInterval(pruner);
      await Promise.all([...pending]);
      await uac.close();
      await endpoint.close();
      await Promise.all([...active].map((call) => call.finished));
    },
  };
}

const WITHHELD = /^(anonymous|restricted|unavailable|unknown|private|withheld)$/i;

/**
 * The caller's number: P-Asserted-Identity from a trusted trunk (RFC 3325), else the From user
 * part, normalised to E.164; '' when withheld or not a number (the SMS applet then reports
 * INVALID_NUMBER for the caller, as with a simulated withheld caller).
 */
export function callerNumber(
  inbound: InboundCall,
  trunk: SipTrunk | undefined,
  region: string,
): string {
  let user: string | undefined;
  try {
    if (trunk && inbound.assertedIdentity) {
      const uri = parseNameAddr(inbound.assertedIdentity).uri;
      user = uri.startsWith('tel:') ? uri.slice(4).split(';')[0] : parseUri(uri).user;
    } else {
      user = parseUri(inbound.from.uri).user;
    }
  } catch {
    user = undefined;
  }
  if (user === undefined || WITHHELD.test(user)) return '';
  return normalizeNumber(user, region) ?? '';
}
