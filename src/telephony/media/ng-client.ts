/**
 * A client for rtpengine's NG control protocol over UDP: one bencoded dictionary per datagram,
 * prefixed by a cookie. Every request gets a fresh cookie (rtpengine answers a repeated cookie
 * from its cache, which is what makes a retransmission safe), is sent again when no answer
 * arrives within `retryMs`, and rejects with a coded MediaError after `attempts` sends.
 */

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { type BencodeValue, decodeBencode, encodeBencode } from './bencode.ts';
import { MediaError } from './errors.ts';

export type NgDictionary = { [key: string]: BencodeValue };

export interface NgClientOptions {
  host: string;
  port: number;
  /** Wait this long for an answer before sending the request again, ms. */
  retryMs?: number;
  /** Sends of one request before it fails with MEDIA_CONTROL_TIMEOUT. */
  attempts?: number;
}

interface Pending {
  resolve(reply: NgDictionary): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
}

export class NgClient {
  host: string;
  port: number;
  readonly #retryMs: number;
  readonly #attempts: number;
  readonly #socket: Socket;
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  private constructor(socket: Socket, options: NgClientOptions) {
    this.#socket = socket;
    this.host = options.host;
    this.port = options.port;
    this.#retryMs = options.retryMs ?? 500;
    this.#attempts = options.attempts ?? 4;
    socket.on('message', (message) => this.#onMessage(message));
  }

  static async open(options: NgClientOptions): Promise<NgClient> {
    const socket = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Send errors (ICMP unreachable while rtpengine restarts) are answered by the retry timer.
    socket.on('error', () => {});
    return new NgClient(socket, options);
  }

  /** Sends one command; resolves with the reply dictionary when its `result` is not `error`. */
  request(command: string, fields: NgDictionary = {}): Promise<NgDictionary> {
    if (this.#closed)
      return Promise.reject(new MediaError('MEDIA_UNAVAILABLE', 'the NG client is closed'));
    const cookie = randomBytes(8).toString('hex');
    const datagram = Buffer.concat([
      Buffer.from(`${cookie} `),
      encodeBencode({ ...fields, command }),
    ]);
    return new Promise<NgDictionary>((resolve, reject) => {
      let sent = 0;
      const send = (): void => {
        if (sent === this.#attempts) {
          this.#pending.delete(cookie);
          reject(
            new MediaError(
              'MEDIA_CONTROL_TIMEOUT',
              `rtpengine at ${this.host}:${this.port} did not answer "${command}" after ${sent} tries`,
            ),
          );
          return;
        }
        sent += 1;
        this.#socket.send(datagram, this.port, this.host);
        pending.timer = setTimeout(send, this.#retryMs);
      };
      const pending: Pending = {
        resolve: (reply) => {
          if (reply.result === 'error') {
            const reasonText =
              typeof reply['error-reason'] === 'string' ? reply['error-reason'] : 'unknown';
            reject(
              new MediaError('MEDIA_REJECTED', `rtpengine refused "${command}": ${reasonText}`, {
                reason: reasonText,
              }),
            );
          } else resolve(reply);
        },
        reject,
      };
      this.#pending.set(cookie, pending);
      send();
    });
  }

  #onMessage(message: Buffer): void {
    const space = message.indexOf(0x20);
    if (space <= 0) return;
    const cookie = message.toString('latin1', 0, space);
    const pending = this.#pending.get(cookie);
    if (!pending) return; // an answer to a retransmission already answered
    this.#pending.delete(cookie);
    clearTimeout(pending.timer);
    let reply: BencodeValue;
    try {
      reply = decodeBencode(message.subarray(space + 1));
    } catch (error) {
      pending.reject(
        new MediaError('MEDIA_REJECTED', 'rtpengine sent an unreadable reply', undefined, error),
      );
      return;
    }
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) {
      pending.reject(
        new MediaError('MEDIA_REJECTED', 'rtpengine sent a reply that is not a dictionary'),
      );
      return;
    }
    pending.resolve(reply);
  }

  /** Sends later requests (and retries) to another address: the daemon restarted elsewhere. */
  retarget(host: string, port: number): void {
    this.host = host;
    this.port = port;
  }

  /** Rejects what is still waiting and closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [cookie, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new MediaError('MEDIA_UNAVAILABLE', 'the NG client was closed'));
      this.#pending.delete(cookie);
    }
    this.#socket.close();
  }
}
