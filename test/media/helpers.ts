/** Shared pieces of the media tests: a quiet logger, a port range, an RTP caller socket, waiting. */

import { randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { pino } from 'pino';

export const quietLogger = pino({ level: process.env.CALLFLOW_TEST_LOG ?? 'silent' });

/** A random 400-port slice of 20000-59999 for this test's rtpengine (several tests run at once). */
export function rtpPorts(): { min: number; max: number } {
  const min = 20_000 + 2 * randomInt(0, 19_800);
  return { min, max: min + 399 };
}

/** The `sip` section a media test's engine gets: loopback, its own port range. */
export function sipSection(mediaTimeoutSeconds = 60) {
  return { host: '127.0.0.1', rtpPorts: rtpPorts(), mediaTimeoutSeconds, dtmfEventsPort: 0 };
}

/** Polls `probe` until it returns a value that is not undefined/false, or fails after `ms`. */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  ms = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false && value !== null) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A caller's media socket: counts what arrives, and sends RTP the way a phone does. */
export class RtpCaller {
  readonly socket: Socket;
  /** Arrival time (ms) and payload of every RTP packet received. */
  readonly received: { at: number; payloadType: number; payload: Buffer }[] = [];
  #seq = 1;
  #ts = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (m) => {
      if (m.length < 12 || m[0]! >> 6 !== 2) return;
      const pt = m[1]! & 0x7f;
      if (pt >= 72 && pt <= 76) return; // RTCP
      this.received.push({ at: performance.now(), payloadType: pt, payload: m.subarray(12) });
    });
  }

  static async open(): Promise<RtpCaller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpCaller(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  offer(payloads = '8 0 96', extra = ''): string {
    return [
      'v=0',
      'o=- 1 1 IN IP4 127.0.0.1',
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.port} RTP/AVP ${payloads}`,
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:96 telephone-event/8000',
      'a=fmtp:96 0-16',
      extra,
      '',
    ]
      .filter((l, i, all) => l !== '' || i === all.length - 1)
      .join('\r\n');
  }

  /** Sends `count` 20 ms packets of PCMA silence to `port`, paced in real time. */
  async sendSilence(port: number, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 8;
      header.writeUInt16BE(this.#seq++ & 0xffff, 2);
      header.writeUInt32BE(this.#ts, 4);
      header.writeUInt32BE(0x1234, 8);
      this.#ts += 160;
      this.socket.send(Buffer.concat([header, Buffer.alloc(160, 0xd5)]), port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Packets whose payload is not G.711 silence. */
  audible(): number {
    return this.received.filter((p) =>
      p.payload.some((b) => b !== 0xd5 && b !== 0x55 && b !== 0xff && b !== 0x7f),
    ).length;
  }

  close(): void {
    this.socket.close();
  }
}

/** The media port of an SDP's first audio stream. */
export function mediaPort(sdp: string): number {
  const port = /^m=audio (\d+)/m.exec(sdp)?.[1];
  if (!port) throw new Error(`no audio stream in ${sdp}`);
  return Number(port);
}
