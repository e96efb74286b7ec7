/**
 * The MediaEngine: every real call's audio through rtpengine. callflow is the far end of each
 * call, so a call is one rtpengine session with two parties: the caller (tag `callerTag`) and
 * callflow (tag `ourTag`), whose media goes to the discard port because rtpengine itself plays
 * the prompts (`play media` toward the caller) and hears the keys (DTMF events).
 *
 * Glossary:
 * - media timeout: the caller's RTP and RTCP packet count in rtpengine's `query` has not grown for
 *   `mediaTimeoutSeconds` (RTCP goes on during hold, so a held call is not timed out), or
 *   rtpengine no longer knows the call (it restarted, or timed the session out itself).
 */

import { open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { answerAgent, offerAgent, playLoop } from './bridge.ts';
import type { DtmfEvents } from './dtmf-events.ts';
import { MediaError } from './errors.ts';
import type { NgClient, NgDictionary } from './ng-client.ts';
import { type ChosenCodecs, chooseCodecs, farEndAnswer, type G711, withPtime20 } from './sdp.ts';

export interface CallTags {
  callId: string;
  callerTag: string;
  ourTag: string;
}

/**
 * How the caller's leg is carried: `rtp` (a SIP phone or trunk: plain RTP as offered) or `webrtc`
 * (a browser: ICE and DTLS-SRTP terminated by rtpengine, RTP and RTCP on one port).
 */
export type CallerLeg = 'rtp' | 'webrtc';

export interface MediaEngine {
  answerCaller(
    call: CallTags & { offer: string; leg?: CallerLeg },
  ): Promise<{ sdp: string; codec: G711; remoteAddress: string }>;
  reoffer(call: CallTags & { offer: string }): Promise<{ sdp: string }>;
  play(
    call: { callId: string; callerTag: string },
    file: string,
    signal?: AbortSignal,
  ): Promise<void>;
  stop(call: { callId: string; callerTag: string }): Promise<void>;
  onDtmf(callId: string, listener: (key: string) => void): () => void;
  /** Connect: the SDP offer for an agent's leg of the caller's session (media/bridge.ts). */
  offerAgent(call: CallTags & { offer: string }): Promise<string>;
  /** Connect: the agent's SDP answer (183 or 200) bridges the caller to the agent. */
  answerAgent(call: CallTags, sdp: string): Promise<void>;
  /** Starts rtpengine's recording of the call's session (both legs). */
  startRecording(call: { callId: string; callerTag: string }): Promise<void>;
  stopRecording(call: { callId: string; callerTag: string }): Promise<void>;
  /** Plays a file to the caller over and over until `stop` (ringback). */
  playLoop(call: { callId: string; callerTag: string }, file: string): Promise<void>;
  onMediaTimeout(callId: string, listener: () => void): () => void;
  delete(callId: string): Promise<void>;
  sessions(): Promise<string[]>;
  readonly state: { running: boolean; reason?: string };
  close(): Promise<void>;
}

interface Playback {
  finish(): void;
}

interface CallMedia {
  tags: CallTags;
  /** Absent while only a media-timeout listener waits for the call. */
  chosen?: ChosenCodecs;
  playback?: Playback;
  timeoutListeners: Set<() => void>;
  packets: number;
  packetsChangedAt: number;
}

export interface EngineParts {
  ng: NgClient;
  dtmf: DtmfEvents;
  state: { running: boolean; reason?: string };
  mediaTimeoutSeconds: number;
  logger: Logger;
  /** Stops what the engine does not own itself (the supervised daemon, the external pinger). */
  closeParts(): Promise<void>;
}

const LIST_LIMIT = 1000;

export class RtpengineMedia implements MediaEngine {
  readonly #p: EngineParts;
  readonly #calls = new Map<string, CallMedia>();
  readonly #poll: NodeJS.Timeout;
  #polling = false;
  #closed = false;

  constructor(parts: EngineParts) {
    this.#p = parts;
    const pollMs = Math.min(5000, (parts.mediaTimeoutSeconds * 1000) / 4);
    this.#poll = setInterval(() => void this.#checkMediaTimeouts(), pollMs);
    this.#poll.unref();
  }

  get state(): { running: boolean; reason?: string } {
    return this.#p.state;
  }

  #requireRunning(): void {
    if (this.#closed) throw new MediaError('MEDIA_UNAVAILABLE', 'the media engine is closed');
    if (!this.#p.state.running)
      throw new MediaError('MEDIA_UNAVAILABLE', this.#p.state.reason ?? 'rtpengine is not running');
  }

  async answerCaller(
    call: CallTags & { offer: string; leg?: CallerLeg },
  ): Promise<{ sdp: string; codec: G711; remoteAddress: string }> {
    const chosen = chooseCodecs(call.offer);
    this.#requireRunning();
    // Known before rtpengine is asked, so that delete() finds a session half set up.
    this.#calls.set(call.callId, {
      tags: { callId: call.callId, callerTag: call.callerTag, ourTag: call.ourTag },
      chosen,
      timeoutListeners: this.#calls.get(call.callId)?.timeoutListeners ?? new Set(),
      packets: 0,
      packetsChangedAt: Date.now(),
    });
    const sdp = await this.#negotiate(call, chosen);
    return { sdp, codec: chosen.codec, remoteAddress: chosen.remoteAddress };
  }

  async reoffer(call: CallTags & { offer: string }): Promise<{ sdp: string }> {
    const known = this.#calls.get(call.callId);
    // Keep the codec of the call when the new offer still has it (RFC 3264 §8).
    const chosen = chooseCodecs(call.offer, known?.chosen?.codec);
    this.#requireRunning();
    const sdp = await this.#negotiate(call, chosen);
    if (known) known.chosen = chosen;
    return { sdp };
  }

  async #negotiate(
    call: CallTags & { offer: string; leg?: CallerLeg },
    chosen: ChosenCodecs,
  ): Promise<string> {
    const webrtc = call.leg === 'webrtc';
    const offered = await this.#p.ng.request('offer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      sdp: call.offer,
      // callflow's side is plain RTP whatever the caller uses (SRTP is rtpengine's to handle).
      'transport-protocol': 'RTP/AVP',
      ICE: 'remove',
      // A browser multiplexes RTCP on the RTP port; callflow's side gets them apart.
      ...(webrtc ? { 'rtcp-mux': ['demux'] } : {}),
      replace: ['origin', 'session-connection'],
    });
    const toUs = stringField(offered, 'sdp');
    const answered = await this.#p.ng.request('answer', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      'to-tag': call.ourTag,
      sdp: farEndAnswer(toUs, chosen),
      // The browser's answer keeps the offer's UDP/TLS/RTP/SAVPF (rtpengine's default in an
      // answer); ICE must be forced since callflow's answer has none: rtpengine is the only
      // candidate, and answers the browser's DTLS handshake.
      ...(webrtc ? { ICE: 'force', 'rtcp-mux': ['require'] } : {}),
      replace: ['origin', 'session-connection'],
    });
    // The caller's audio has nowhere to go: dropped at rtpengine rather than sent to the discard
    // port (50 packets a second per call, each answered by an ICMP error). Keys are still heard.
    await this.#p.ng.request('block media', { 'call-id': call.callId, 'from-tag': call.callerTag });
    return withPtime20(stringField(answered, 'sdp'));
  }

  async play(
    call: { callId: string; callerTag: string },
    file: string,
    signal?: AbortSignal,
  ): Promise<void> {
    this.#requireRunning();
    const media = this.#calls.get(call.callId);
    media?.playback?.finish();
    if (signal?.aborted) return;
    const reply = await this.#p.ng.request('play media', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
      file,
    });
    const durationMs =
      typeof reply.duration === 'number' ? reply.duration : await promptDurationMs(file);
    if (signal?.aborted) {
      await this.stop(call);
      return;
    }
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        finish();
        void this.stop(call).catch((error: unknown) =>
          this.#p.logger.warn({ err: error, callId: call.callId }, 'could not stop a prompt'),
        );
      };
      const timer = setTimeout(() => finish(), durationMs);
      const playback: Playback = { finish: () => finish() };
      function finish(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (media?.playback === playback) delete media.playback;
        resolve();
      }
      if (media) media.playback = playback;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async stop(call: { callId: string; callerTag: string }): Promise<void> {
    const media = this.#calls.get(call.callId);
    media?.playback?.finish();
    if (!this.#p.state.running) return;
    try {
      await this.#p.ng.request('stop media', {
        'call-id': call.callId,
        'from-tag': call.callerTag,
      });
    } catch (error) {
      // Nothing playing (the prompt had ended) is not a failure of stop.
      if (!(error instanceof MediaError && error.code === 'MEDIA_REJECTED')) throw error;
    }
  }

  onDtmf(callId: string, listener: (key: string) => void): () => void {
    return this.#p.dtmf.on(callId, listener);
  }

  async offerAgent(call: CallTags & { offer: string }): Promise<string> {
    this.#requireRunning();
    const codec = this.#calls.get(call.callId)?.chosen?.codec ?? chooseCodecs(call.offer).codec;
    return offerAgent(this.#p.ng, call, codec);
  }

  async answerAgent(call: CallTags, sdp: string): Promise<void> {
    this.#requireRunning();
    await answerAgent(this.#p.ng, call, sdp);
  }

  async startRecording(call: { callId: string; callerTag: string }): Promise<void> {
    this.#requireRunning();
    await this.#p.ng.request('start recording', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
    });
  }

  async stopRecording(call: { callId: string; callerTag: string }): Promise<void> {
    this.#requireRunning();
    await this.#p.ng.request('stop recording', {
      'call-id': call.callId,
      'from-tag': call.callerTag,
    });
  }

  async playLoop(call: { callId: string; callerTag: string }, file: string): Promise<void> {
    this.#requireRunning();
    this.#calls.get(call.callId)?.playback?.finish();
    await playLoop(this.#p.ng, call, file);
  }

  onMediaTimeout(callId: string, listener: () => void): () => void {
    let media = this.#calls.get(callId);
    if (!media) {
      // Registered before answerCaller: kept for when the call's media starts.
      media = {
        tags: { callId, callerTag: '', ourTag: '' },
        timeoutListeners: new Set(),
        packets: 0,
        packetsChangedAt: Date.now(),
      };
      this.#calls.set(callId, media);
    }
    const listeners = media.timeoutListeners;
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  async delete(callId: string): Promise<void> {
    const media = this.#calls.get(callId);
    this.#calls.delete(callId);
    this.#p.dtmf.forget(callId);
    media?.playback?.finish();
    if (!this.#p.state.running || !media?.tags.callerTag) return;
    try {
      await this.#p.ng.request('delete', {
        'call-id': callId,
        'from-tag': media.tags.callerTag,
        'delete delay': 0,
      });
    } catch (error) {
      if (!(error instanceof MediaError && error.code === 'MEDIA_REJECTED')) throw error;
    }
  }

  async sessions(): Promise<string[]> {
    this.#requireRunning();
    const reply = await this.#p.ng.request('list', { limit: LIST_LIMIT });
    const calls = reply.calls;
    return Array.isArray(calls) ? calls.filter((c): c is string => typeof c === 'string') : [];
  }

  async #checkMediaTimeouts(): Promise<void> {
    if (this.#polling || this.#closed || !this.#p.state.running) return;
    this.#polling = true;
    try {
      for (const media of [...this.#calls.values()]) {
        if (media.timeoutListeners.size === 0 || !media.tags.callerTag) continue;
        const packets = await this.#callerPackets(media.tags);
        if (Number.isNaN(packets)) continue; // rtpengine busy or restarting: not evidence either way
        const now = Date.now();
        if (packets !== undefined && packets !== media.packets) {
          media.packets = packets;
          media.packetsChangedAt = now;
          continue;
        }
        if (
          packets !== undefined &&
          now - media.packetsChangedAt < this.#p.mediaTimeoutSeconds * 1000
        )
          continue;
        if (this.#calls.get(media.tags.callId) !== media) continue;
        this.#p.logger.info(
          { callId: media.tags.callId, gone: packets === undefined },
          'media timeout: no media from the caller',
        );
        const listeners = [...media.timeoutListeners];
        media.timeoutListeners.clear();
        for (const listener of listeners) listener();
      }
    } finally {
      this.#polling = false;
    }
  }

  /** The caller's packets so far; undefined when rtpengine no longer knows the call. */
  async #callerPackets(tags: CallTags): Promise<number | undefined> {
    let reply: NgDictionary;
    try {
      reply = await this.#p.ng.request('query', { 'call-id': tags.callId });
    } catch (error) {
      if (error instanceof MediaError && error.code === 'MEDIA_REJECTED') return undefined;
      return Number.NaN;
    }
    let packets = 0;
    const tag = (reply.tags as NgDictionary | undefined)?.[tags.callerTag] as
      | NgDictionary
      | undefined;
    for (const m of (tag?.medias as NgDictionary[] | undefined) ?? []) {
      for (const s of (m.streams as NgDictionary[] | undefined) ?? []) {
        const stats = s.stats as NgDictionary | undefined;
        if (typeof stats?.packets === 'number') packets += stats.packets;
      }
    }
    return packets;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#poll);
    for (const media of this.#calls.values()) media.playback?.finish();
    this.#calls.clear();
    this.#p.ng.close();
    this.#p.dtmf.close();
    await this.#p.closeParts();
  }
}

function stringField(reply: NgDictionary, key: string): string {
  const value = reply[key];
  if (typeof value !== 'string')
    throw new MediaError('MEDIA_REJECTED', `rtpengine's reply has no ${key}`);
  return value;
}

/**
 * Length of a prompt (when rtpengine's reply gives none), ms: an `.au` file's header says where
 * the samples start, its encoding and rate; a WAV's says its byte rate.
 */
async function promptDurationMs(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const header = Buffer.alloc(44);
    await handle.read(header, 0, 44, 0);
    if (header.toString('latin1', 0, 4) === '.snd') {
      const offset = header.readUInt32BE(4);
      const bytesPerSample = header.readUInt32BE(12) === 3 ? 2 : 1; // 16-bit linear, else G.711
      const rate = header.readUInt32BE(16);
      return rate > 0 ? Math.round(((size - offset) / (rate * bytesPerSample)) * 1000) : 0;
    }
    const byteRate = header.readUInt32LE(28);
    return byteRate > 0 ? Math.round(((size - 44) / byteRate) * 1000) : 0;
  } finally {
    await handle.close();
  }
}
