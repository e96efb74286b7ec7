/**
 * Media of real calls: rtpengine driven over its NG control protocol, text-to-speech and
 * recorded prompts. `startMedia` starts (or reaches) rtpengine and never throws for a missing
 * or dead daemon: the engine's `state` says why calls cannot carry audio, and the rest of
 * callflow runs on.
 */

import { mkdir } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { OutboundPolicy } from '../../delivery/ssrf.ts';
import type { SipConfig } from '../sip/config.ts';
import { DtmfEvents } from './dtmf-events.ts';
import { type MediaEngine, RtpengineMedia } from './engine.ts';
import { NgClient } from './ng-client.ts';
import { createPromptFetcher, type PromptFetcher } from './prompt-fetcher.ts';
import { recordingSpool } from './recording.ts';
import { INSTALL_COMMAND, RtpengineSupervisor } from './supervisor.ts';
import { createTextToSpeech, type TextToSpeech } from './tts.ts';

export type { MediaEngine } from './engine.ts';
export { MediaError, type MediaErrorCode } from './errors.ts';
export { createPromptFetcher, type PromptFetcher } from './prompt-fetcher.ts';
export type { G711 } from './sdp.ts';
export { INSTALL_COMMAND } from './supervisor.ts';
export { createTextToSpeech, DEFAULT_VOICE, type TextToSpeech, VOICES } from './tts.ts';

export interface MediaOptions {
  /** The `sip` section of the configuration, whole. */
  sip: Pick<
    SipConfig,
    'host' | 'publicAddress' | 'rtpengine' | 'rtpPorts' | 'mediaTimeoutSeconds' | 'dtmfEventsPort'
  >;
  /** DATA_DIR: rendered and fetched prompts are cached under `<dataDir>/prompts`. */
  dataDir: string;
  /** Which prompt URLs may be fetched (the policy Passthru uses); default public addresses only. */
  outboundPolicy?: OutboundPolicy;
  logger: Logger;
  /** The rtpengine executable; default `rtpengine` from PATH. */
  rtpengineBinary?: string;
}

const EXTERNAL_PING_MS = 10_000;

export type StartedMedia = MediaEngine & {
  /** Speech for `say`, cached under DATA_DIR. */
  readonly tts: TextToSpeech;
  /** Recorded prompts for `play(url)`, cached under DATA_DIR. */
  readonly prompts: PromptFetcher;
  /** The local rtpengine's supervisor; absent with an external rtpengine. */
  readonly supervisor?: RtpengineSupervisor;
};

export async function startMedia(options: MediaOptions): Promise<StartedMedia> {
  const tts = createTextToSpeech({ dataDir: options.dataDir });
  const prompts = createPromptFetcher({
    dataDir: options.dataDir,
    outboundPolicy: options.outboundPolicy ?? { allowPrivateAddresses: false },
  });
  const engine = options.sip.rtpengine
    ? await startExternal(options, options.sip.rtpengine)
    : await startLocal(options);
  return Object.assign(engine, { tts, prompts });
}

async function startLocal(
  options: MediaOptions,
): Promise<MediaEngine & { supervisor: RtpengineSupervisor }> {
  const log = options.logger;
  const { sip } = options;

  const local = mediaAddress(sip.host);
  const dtmf = await DtmfEvents.open('127.0.0.1', log);
  const spool = await recordingSpoolReady(options.dataDir, log);
  const supervisor = new RtpengineSupervisor({
    ...(options.rtpengineBinary ? { binary: options.rtpengineBinary } : {}),
    interface:
      sip.publicAddress && sip.publicAddress !== local ? `${local}!${sip.publicAddress}` : local,
    rtpPorts: sip.rtpPorts,
    dtmfLogDestination: dtmf.address,
    rtpTimeoutSeconds: sip.mediaTimeoutSeconds * 2,
    ...(spool ? { recordingDir: spool } : {}),
    logger: log.child({ part: 'rtpengine' }),
  });
  await supervisor.start();
  const ng = await NgClient.open(supervisor.ng);
  supervisor.onRestart(() => ng.retarget(supervisor.ng.host, supervisor.ng.port));
  const engine = new RtpengineMedia({
    ng,
    dtmf,
    state: supervisor.state,
    mediaTimeoutSeconds: sip.mediaTimeoutSeconds,
    logger: log,
    closeParts: () => supervisor.stop(),
  });
  return Object.assign(engine, { supervisor });
}

async function startExternal(options: MediaOptions, address: string): Promise<MediaEngine> {
  const log = options.logger;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  // rtpengine elsewhere sends DTMF events to the address callflow is reached at.
  const dtmf = await DtmfEvents.open(options.sip.host, log, options.sip.dtmfEventsPort);
  const reachable = options.sip.publicAddress ?? mediaAddress(options.sip.host);
  log.info(
    { rtpengine: address },
    `RFC 4733 keys need the external rtpengine started with --dtmf-log-dest=${reachable}:${dtmf.address.port}`,
  );
  const ng = await NgClient.open({ host, port });
  const state: { running: boolean; reason?: string } = {
    running: false,
    reason: 'not checked yet',
  };
  const ping = async (): Promise<void> => {
    try {
      await ng.request('ping');
      if (!state.running) log.info({ rtpengine: address }, 'external rtpengine answers');
      state.running = true;
      delete state.reason;
    } catch (error) {
      if (state.running || state.reason === 'not checked yet')
        log.error({ err: error, rtpengine: address }, 'external rtpengine does not answer');
      state.running = false;
      state.reason = `the external rtpengine at ${address} does not answer`;
    }
  };
  await ping();
  const timer = setInterval(() => void ping(), EXTERNAL_PING_MS);
  timer.unref();
  return new RtpengineMedia({
    ng,
    dtmf,
    state,
    mediaTimeoutSeconds: options.sip.mediaTimeoutSeconds,
    logger: log,
    closeParts: async () => clearInterval(timer),
  });
}

/** The address media is sent from and to: the SIP host, or this machine's first IPv4 when SIP listens on all. */
function mediaAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? [])
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return '127.0.0.1';
}

/** rtpengine's recording spool, created; undefined (recording off) when it cannot be. */
async function recordingSpoolReady(dataDir: string, log: Logger): Promise<string | undefined> {
  const spool = recordingSpool(dataDir);
  try {
    await mkdir(spool, { recursive: true });
    return spool;
  } catch (error) {
    log.error({ err: error, spool }, 'recording spool cannot be created: Connect records nothing');
    return undefined;
  }
}

/** One line for banners and /readyz when real calls are off. */
export function mediaOffMessage(engine: MediaEngine): string | undefined {
  if (engine.state.running) return undefined;
  return (
    `real calls are off: ${engine.state.reason ?? 'rtpengine is not running'}` +
    (engine.state.reason?.includes(INSTALL_COMMAND) ? '' : ` (install: ${INSTALL_COMMAND})`)
  );
}
