/**
 * The SDP work of a call whose far end is callflow itself: choose the G.711 codec to answer
 * with, and write the far end's answer that rtpengine needs to finish the offer/answer. That
 * far end has no RTP of its own (rtpengine plays the prompts and hears the keys), so its media
 * address is the discard port on rtpengine's loopback.
 */

import { type MediaAttributes, parse, write } from 'sdp-transform';
import { MediaError } from './errors.ts';

export type G711 = 'PCMA' | 'PCMU';

export interface ChosenCodecs {
  codec: G711;
  /** The payload type the offer gave the codec (0 and 8 as a rule, but an offer may remap). */
  payload: number;
  /** telephone-event's payload type in the offer, when offered at 8 kHz. */
  telephoneEvent?: number;
  /** The caller's media address from the offer, `ip:port`. */
  remoteAddress: string;
  direction: Direction;
}

type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const STATIC_PAYLOADS: Record<number, G711> = { 0: 'PCMU', 8: 'PCMA' };

/** Reads the first audio stream of an offer; refuses with NO_COMMON_CODEC when it has no G.711. */
export function chooseCodecs(offer: string, prefer?: G711): ChosenCodecs {
  let session: ReturnType<typeof parse>;
  try {
    session = parse(offer);
  } catch (error) {
    throw new MediaError('NO_COMMON_CODEC', 'the offer is not readable SDP', undefined, error);
  }
  const audio = (session.media ?? []).find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) throw new MediaError('NO_COMMON_CODEC', 'the offer has no audio stream');
  const names = new Map<number, string>();
  for (const rtp of audio.rtp ?? [])
    names.set(rtp.payload, `${rtp.codec.toUpperCase()}/${rtp.rate ?? 8000}`);
  const payloads = String(audio.payloads ?? '')
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  let chosen: { codec: G711; payload: number } | undefined;
  let telephoneEvent: number | undefined;
  for (const payload of payloads) {
    const name =
      names.get(payload) ?? (STATIC_PAYLOADS[payload] ? `${STATIC_PAYLOADS[payload]}/8000` : '');
    const isG711 = name === 'PCMA/8000' || name === 'PCMU/8000';
    if (isG711 && (!chosen || (name.startsWith(prefer ?? '-') && chosen.codec !== prefer))) {
      chosen = { codec: name.slice(0, 4) as G711, payload };
    }
    if (telephoneEvent === undefined && name === 'TELEPHONE-EVENT/8000') telephoneEvent = payload;
  }
  if (!chosen) throw new MediaError('NO_COMMON_CODEC', 'the offer has neither PCMA nor PCMU');
  const address = audio.connection?.ip ?? session.connection?.ip ?? '';
  return {
    ...chosen,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    remoteAddress: `${address}:${audio.port}`,
    direction: directionOf(audio) ?? directionOf(session) ?? 'sendrecv',
  };
}

function directionOf(section: { direction?: string }): Direction | undefined {
  const d = section.direction;
  return d === 'sendrecv' || d === 'sendonly' || d === 'recvonly' || d === 'inactive'
    ? d
    : undefined;
}

const MIRROR: Record<Direction, Direction> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/**
 * The far end's answer to the offer rtpengine made toward it: the chosen codec and
 * telephone-event with the payload numbers rtpengine offered, media to the discard port.
 */
export function farEndAnswer(rtpengineOffer: string, chosen: ChosenCodecs): string {
  const offer = parse(rtpengineOffer);
  const audio = (offer.media ?? []).find((m) => m.type === 'audio' && m.port !== 0);
  if (!audio) throw new MediaError('MEDIA_REJECTED', 'rtpengine offered no audio stream');
  const rtp: MediaAttributes['rtp'] = [];
  const fmtp: MediaAttributes['fmtp'] = [];
  for (const entry of audio.rtp ?? []) {
    const name = `${entry.codec.toUpperCase()}/${entry.rate ?? 8000}`;
    const wanted =
      name === `${chosen.codec}/8000` ||
      (chosen.telephoneEvent !== undefined && name === 'TELEPHONE-EVENT/8000');
    if (wanted && !rtp.some((r) => r.codec.toUpperCase() === entry.codec.toUpperCase())) {
      rtp.push(entry);
      for (const f of audio.fmtp ?? []) if (f.payload === entry.payload) fmtp.push(f);
    }
  }
  if (!rtp.some((r) => r.codec.toUpperCase() === chosen.codec)) {
    const payload = chosen.codec === 'PCMU' ? 0 : 8;
    rtp.unshift({ payload, codec: chosen.codec, rate: 8000 });
  }
  const loopback =
    audio.connection?.ip?.includes(':') || offer.connection?.ip?.includes(':')
      ? '::1'
      : '127.0.0.1';
  const family = loopback === '::1' ? 6 : 4;
  return write({
    version: 0,
    origin: {
      username: '-',
      sessionId: Date.now(),
      sessionVersion: 1,
      netType: 'IN',
      ipVer: family,
      address: loopback,
    },
    name: 'callflow',
    timing: { start: 0, stop: 0 },
    connection: { version: family, ip: loopback },
    media: [
      {
        type: 'audio',
        port: 9,
        protocol: audio.protocol,
        payloads: rtp.map((r) => r.payload).join(' '),
        rtp,
        fmtp,
        ptime: 20,
        direction: MIRROR[chosen.direction],
      },
    ],
  });
}

/** Makes sure the caller's answer asks for 20 ms packets. */
export function withPtime20(answer: string): string {
  const session = parse(answer);
  for (const media of session.media ?? []) if (media.type === 'audio') media.ptime = 20;
  return write(session);
}
