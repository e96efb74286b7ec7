/**
 * A test call from this browser: the microphone (getUserMedia), one RTCPeerConnection to
 * callflow's media engine, and the signalling of POST /api/v1/browser-calls over the signed-in
 * session. The offer is sent once ICE gathering is complete (host candidates; no trickle). Keys go
 * as RFC 4733 events through the audio sender's RTCDTMFSender. The call's progress and its end
 * arrive as server-sent events; the peer connection is closed whoever hangs up.
 */

import { ApiError, api } from './api.ts';
import type { CallRecord } from './flows-api.ts';

/** The log of a browser call as it grows: the applets passed and the SMS sent. */
export type CallLogSteps = Pick<CallRecord['log'], 'steps' | 'sms'>;

export interface BrowserCallHandlers {
  /** The far end's audio: play it in an <audio> element. */
  onAudio: (stream: MediaStream) => void;
  onProgress: (log: CallLogSteps) => void;
  /** The call is over; `by` says who ended it. The peer connection is already closed. */
  onEnded: (by: 'page-hangup' | 'our-hangup' | 'failed') => void;
}

export interface BrowserCall {
  readonly callSid: string;
  readonly peer: RTCPeerConnection;
  /** Sends one key (0-9, *, #) as an RFC 4733 event. */
  sendKey(key: string): void;
  hangup(): Promise<void>;
}

/** Why the call could not start, worded for the person at the microphone. */
export class BrowserCallError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BrowserCallError';
    this.code = code;
  }
}

/** How long to wait for ICE gathering (host candidates take milliseconds), ms. */
const GATHER_TIMEOUT_MS = 5000;
const KEY_MS = 160;
const KEY_GAP_MS = 80;

export async function microphone(): Promise<MediaStream> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new BrowserCallError(
      'INSECURE_CONTEXT',
      'This page is not a secure context, so the browser offers no microphone. Open callflow over HTTPS, or as http://127.0.0.1 or http://localhost on this machine.',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new BrowserCallError(
        'MICROPHONE_DENIED',
        'The browser did not allow the microphone. Allow it for this site (the icon in the address bar, or the site settings) and call again.',
      );
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      throw new BrowserCallError(
        'NO_MICROPHONE',
        'No microphone was found. Connect one (or a headset) and call again.',
      );
    }
    if (name === 'NotReadableError') {
      throw new BrowserCallError(
        'MICROPHONE_BUSY',
        'The microphone is in use by another program or could not be opened. Close it there and call again.',
      );
    }
    throw new BrowserCallError(
      'MICROPHONE_FAILED',
      `The microphone could not be opened: ${String(error)}`,
    );
  }
}

function gathered(peer: RTCPeerConnection): Promise<void> {
  if (peer.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, GATHER_TIMEOUT_MS);
    function done() {
      clearTimeout(timer);
      peer.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (peer.iceGatheringState === 'complete') done();
    }
    peer.addEventListener('icegatheringstatechange', check);
  });
}

export async function startBrowserCall(
  input: { to: string; from?: string },
  handlers: BrowserCallHandlers,
): Promise<BrowserCall> {
  const stream = await microphone();
  const peer = new RTCPeerConnection();
  let ended = false;
  let events: EventSource | null = null;
  let leave: (() => void) | undefined;
  const release = () => {
    events?.close();
    if (leave) window.removeEventListener('pagehide', leave);
    for (const track of stream.getTracks()) track.stop();
    if (peer.signalingState !== 'closed') peer.close();
  };
  const end = (by: 'page-hangup' | 'our-hangup' | 'failed') => {
    if (ended) return;
    ended = true;
    release();
    handlers.onEnded(by);
  };
  try {
    for (const track of stream.getAudioTracks()) peer.addTrack(track, stream);
    peer.addEventListener('track', (event) => {
      handlers.onAudio(event.streams[0] ?? new MediaStream([event.track]));
    });
    await peer.setLocalDescription(await peer.createOffer());
    await gathered(peer);
    const offer = peer.localDescription?.sdp ?? '';
    const started = await api.post<{ callSid: string; answer: string }>('/api/v1/browser-calls', {
      to: input.to,
      ...(input.from ? { from: input.from } : {}),
      offer,
    });
    await peer.setRemoteDescription({ type: 'answer', sdp: started.answer });
    // Closing the tab hangs up at once rather than after the media timeout; `keepalive` lets the
    // request outlive the page and, unlike sendBeacon, carry the web app's CSRF header.
    leave = () => {
      void fetch(`/api/v1/browser-calls/${encodeURIComponent(started.callSid)}/hangup`, {
        method: 'POST',
        headers: { 'x-requested-with': 'callflow-web' },
        credentials: 'same-origin',
        keepalive: true,
      }).catch(() => {});
    };
    window.addEventListener('pagehide', leave);
    events = new EventSource(`/api/v1/browser-calls/${encodeURIComponent(started.callSid)}/events`);
    events.addEventListener('progress', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { log: CallLogSteps };
      handlers.onProgress(data.log);
    });
    events.addEventListener('ended', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as {
        by: 'page-hangup' | 'our-hangup';
      };
      end(data.by);
    });
    // The stream closes when the call ends; a stream that cannot open means the call is over.
    events.onerror = () => {
      if (events?.readyState === EventSource.CLOSED) end('our-hangup');
    };
    peer.addEventListener('connectionstatechange', () => {
      if (peer.connectionState === 'failed') {
        void api.post(`/api/v1/browser-calls/${started.callSid}/hangup`).catch(() => {});
        end('failed');
      }
    });
    const sender = peer.getSenders().find((s) => s.track?.kind === 'audio');
    return {
      callSid: started.callSid,
      peer,
      sendKey(key) {
        if (ended || !/^[0-9*#]$/.test(key)) return;
        // Queued after keys still being sent, as a phone's keypad does.
        const dtmf = sender?.dtmf;
        if (dtmf?.canInsertDTMF) dtmf.insertDTMF(dtmf.toneBuffer + key, KEY_MS, KEY_GAP_MS);
      },
      async hangup() {
        if (ended) return;
        try {
          await api.post(`/api/v1/browser-calls/${encodeURIComponent(started.callSid)}/hangup`);
        } catch (error) {
          // Already over on the server: the page's side ends all the same.
          if (!(error instanceof ApiError && error.status === 404)) throw error;
        } finally {
          end('page-hangup');
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}
