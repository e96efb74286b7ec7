/**
 * rtpengine's DTMF events (`--dtmf-log-dest`): one JSON datagram per RFC 4733 key press, e.g.
 * `{"callid":"…","source_tag":"…","event":5,"duration":80,"volume":10,…}`. Each press is handed
 * on once, to the listeners of its call. rtpengine reports a press when its end packet arrives;
 * the end packet is sent three times (RFC 4733 §2.5.1.4), so a report of the same key from the
 * same call within DUPLICATE_WINDOW_MS of the last is taken for the same press (a person cannot
 * press a key twice that fast: a press lasts at least 40 ms and a pause as long).
 */

import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';

const DUPLICATE_WINDOW_MS = 60;
const KEYS = '0123456789*#ABCD';

export class DtmfEvents {
  readonly #socket: Socket;
  readonly #listeners = new Map<string, Set<(key: string) => void>>();
  readonly #last = new Map<string, { key: string; at: number }>();
  readonly #log: Logger;

  private constructor(socket: Socket, logger: Logger) {
    this.#socket = socket;
    this.#log = logger;
    socket.on('message', (message) => this.#onMessage(message));
    socket.on('error', (error) => this.#log.warn({ err: error }, 'DTMF event socket error'));
  }

  static async open(host: string, logger: Logger, port = 0): Promise<DtmfEvents> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new DtmfEvents(socket, logger);
  }

  get address(): { host: string; port: number } {
    const { address, port } = this.#socket.address();
    return { host: address, port };
  }

  on(callId: string, listener: (key: string) => void): () => void {
    let set = this.#listeners.get(callId);
    if (!set) {
      set = new Set();
      this.#listeners.set(callId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(callId) === set) this.#listeners.delete(callId);
    };
  }

  /** Forgets a call (its listeners and its last key). */
  forget(callId: string): void {
    this.#listeners.delete(callId);
    this.#last.delete(callId);
  }

  #onMessage(message: Buffer): void {
    let event: { callid?: unknown; event?: unknown };
    try {
      event = JSON.parse(message.toString('utf8'));
    } catch {
      this.#log.warn('unreadable DTMF event from rtpengine');
      return;
    }
    if (typeof event.callid !== 'string' || typeof event.event !== 'number') return;
    const key = KEYS[event.event];
    if (key === undefined) return;
    const now = performance.now();
    const last = this.#last.get(event.callid);
    if (last && last.key === key && now - last.at < DUPLICATE_WINDOW_MS) return;
    this.#last.set(event.callid, { key, at: now });
    const listeners = this.#listeners.get(event.callid);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(key);
  }

  close(): void {
    this.#socket.close();
    this.#listeners.clear();
  }
}
