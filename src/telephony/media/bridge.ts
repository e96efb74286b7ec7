/**
 * Bridging a caller to an agent (Connect) inside the caller's rtpengine session. The caller's
 * session has two parties: the caller (`callerTag`) and callflow (`ourTag`, media to the discard
 * port). Bridging re-offers the caller's side so that rtpengine writes the offer the agent gets
 * (its own ports, the caller's codec plus the other G.711 law to transcode to, telephone-event),
 * then answers it with the agent's SDP: from then on rtpengine relays the caller's media to the
 * agent and back, transcoding PCMU↔PCMA when the two legs differ and passing RFC 4733 events
 * through. callflow never touches RTP; one `delete` ends both legs.
 *
 * Ringback: a tone file played to the caller in a loop (`play media` with `repeat-times`) until
 * the agent's early media or answer replaces it.
 */

import { parse, write } from 'sdp-transform';
import type { CallTags } from './engine.ts';
import { MediaError } from './errors.ts';
import type { NgClient, NgDictionary } from './ng-client.ts';
import type { G711 } from './sdp.ts';

const OTHER_LAW: Record<G711, G711> = { PCMA: 'PCMU', PCMU: 'PCMA' };

/** Enough repeats of a 3 s ringback cadence for the longest ring (20 numbers × 120 s). */
const RINGBACK_REPEATS = 1000;

/** The offer for the agent's leg: what rtpengine offers on callflow's side of the session. */
export async function offerAgent(
  ng: NgClient,
  call: CallTags & { offer: string },
  codec: G711,
): Promise<string> {
  const reply = await ng.request('offer', {
    'call-id': call.callId,
    'from-tag': call.callerTag,
    sdp: onlyCodec(call.offer, codec),
    'transport-protocol': 'RTP/AVP',
    ICE: 'remove',
    replace: ['origin', 'session-connection'],
    codec: { transcode: [OTHER_LAW[codec]] },
  });
  return sdpField(reply);
}

/** The agent's SDP (from a 183 with early media, or the 200) completes the bridge. */
export async function answerAgent(ng: NgClient, call: CallTags, sdp: string): Promise<void> {
  await ng.request('answer', {
    'call-id': call.callId,
    'from-tag': call.callerTag,
    'to-tag': call.ourTag,
    sdp,
    replace: ['origin', 'session-connection'],
  });
  // The caller's audio was blocked while callflow alone was the far end (engine.ts).
  await ng.request('unblock media', { 'call-id': call.callId, 'from-tag': call.callerTag });
}

export async function playLoop(
  ng: NgClient,
  call: { callId: string; callerTag: string },
  file: string,
): Promise<void> {
  await ng.request('play media', {
    'call-id': call.callId,
    'from-tag': call.callerTag,
    file,
    'repeat-times': RINGBACK_REPEATS,
  });
}

/**
 * The caller's offer reduced to the codec the caller was answered with (and telephone-event), so
 * that the caller's leg keeps that codec whatever the agent picks.
 */
export function onlyCodec(offer: string, codec: G711): string {
  const session = parse(offer);
  for (const media of session.media ?? []) {
    if (media.type !== 'audio') continue;
    const keep = new Set<number>();
    const payloads = String(media.payloads ?? '')
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))
      .map(Number);
    for (const payload of payloads) {
      const rtp = media.rtp?.find((r) => r.payload === payload);
      const name = rtp
        ? rtp.codec.toUpperCase()
        : payload === 0
          ? 'PCMU'
          : payload === 8
            ? 'PCMA'
            : '';
      if (name === codec || name === 'TELEPHONE-EVENT') keep.add(payload);
    }
    media.payloads = [...keep].join(' ');
    media.rtp = (media.rtp ?? []).filter((r) => keep.has(r.payload));
    media.fmtp = (media.fmtp ?? []).filter((f) => keep.has(f.payload));
  }
  return write(session);
}

function sdpField(reply: NgDictionary): string {
  const sdp = reply.sdp;
  if (typeof sdp !== 'string')
    throw new MediaError('MEDIA_REJECTED', "rtpengine's reply has no sdp");
  return sdp;
}
