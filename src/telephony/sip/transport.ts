/**
 * SIP transports (RFC 3261 §18): one UDP socket and one TCP listener on the same address and port.
 *
 * Every message received is handed over with where it came from; a datagram or stream that does
 * not parse is reported as malformed (the endpoint answers 400 when it can tell where to). TCP
 * connections are kept for responses and for requests to the same peer, closed when idle, and
 * bounded in number and buffered bytes so that no peer can hold memory.
 */

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { coerceError } from '../../errors.ts';
import {
  frameStream,
  MAX_MESSAGE_BYTES,
  parseMessage,
  type SipMessage,
  serialize,
} from './message.ts';

export type TransportName = 'UDP' | 'TCP';

export interface Peer {
  transport: TransportName;
  address: string;
  port: number;
}

export interface Received {
  message: SipMessage;
  source: Peer;
}

export interface TransportHandlers {
  onMessage(received: Received): void;
  /** A message that did not parse: `raw` is what arrived (for a best-effort 400), `error` why. */
  onMalformed(raw: Buffer, source: Peer, error: Error): void;
}

/** Most TCP connections held at once. */
const MAX_TCP_CONNECTIONS = 1000;
/** A TCP connection with no traffic for this long is closed, milliseconds. */
const TCP_IDLE_MS = 120_000;

export const peerKey = (p: Peer) => `${p.transport}:${p.address}:${p.port}`;

export class SipTransport {
  readonly #udp: UdpSocket;
  readonly #tcp: Server;
  readonly #connections = new Map<string, Socket>();
  readonly #handlers: TransportHandlers;
  #port = 0;

  private constructor(udp: UdpSocket, tcp: Server, handlers: TransportHandlers) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.#handlers = handlers;
  }

  /**
   * Listens on `host:port` for UDP and TCP. Port 0 picks one free for both (tried a few times, as
   * the UDP port chosen may be taken for TCP).
   */
  static async listen(
    host: string,
    port: number,
    handlers: TransportHandlers,
  ): Promise<SipTransport> {
    let lastError: unknown;
    for (let attempt = 0; attempt < (port === 0 ? 10 : 1); attempt++) {
      const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const tcp = createServer();
      const transport = new SipTransport(udp, tcp, handlers);
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        const chosen = udp.address().port;
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(chosen, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
        transport.#start(chosen);
        return transport;
      } catch (error) {
        lastError = error;
        udp.close();
        tcp.close();
      }
    }
    throw lastError;
  }

  get port(): number {
    return this.#port;
  }

  #start(port: number): void {
    this.#port = port;
    this.#udp.on('message', (data, rinfo) => {
      const source: Peer = { transport: 'UDP', address: rinfo.address, port: rinfo.port };
      this.#deliver(data, source, true);
    });
    // A socket error on UDP (ICMP unreachable on some systems) must not end the process.
    this.#udp.on('error', () => {});
    this.#tcp.on('connection', (socket) => this.#accept(socket));
    this.#tcp.on('error', () => {});
  }

  #deliver(data: Buffer, source: Peer, datagram: boolean): void {
    // Keep-alives (CRLF) carry nothing.
    if (data.length <= 4 && /^[\r\n]*$/.test(data.toString('latin1'))) return;
    let message: SipMessage;
    try {
      message = parseMessage(data, { datagram });
    } catch (error) {
      this.#handlers.onMalformed(data, source, coerceError(error));
      return;
    }
    this.#handlers.onMessage({ message, source });
  }

  #accept(socket: Socket): void {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (this.#connections.size >= MAX_TCP_CONNECTIONS || !address || !port) {
      socket.destroy();
      return;
    }
    const source: Peer = { transport: 'TCP', address: address.replace(/^::ffff:/, ''), port };
    this.#track(source, socket);
  }

  #track(source: Peer, socket: Socket): void {
    const key = peerKey(source);
    this.#connections.set(key, socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#connections.get(key) === socket) this.#connections.delete(key);
    });
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let framed: { messages: Buffer[]; rest: Buffer };
      try {
        framed = frameStream(buffered);
      } catch (error) {
        this.#handlers.onMalformed(buffered, source, coerceError(error));
        socket.destroy();
        return;
      }
      buffered = Buffer.from(framed.rest);
      if (buffered.length > MAX_MESSAGE_BYTES) {
        this.#handlers.onMalformed(buffered, source, new Error('message too large'));
        socket.destroy();
        return;
      }
      for (const message of framed.messages) this.#deliver(message, source, false);
    });
  }

  /** Sends a message to a peer; over TCP, on the peer's connection, opening one if needed. */
  async send(message: SipMessage, to: Peer): Promise<void> {
    const data = serialize(message);
    if (to.transport === 'UDP') {
      await new Promise<void>((resolve) => {
        this.#udp.send(data, to.port, to.address, () => resolve());
      });
      return;
    }
    let socket = this.#connections.get(peerKey(to));
    if (!socket || socket.destroyed) socket = await this.#connect(to);
    await new Promise<void>((resolve) => socket.write(data, () => resolve()));
  }

  #connect(to: Peer): Promise<Socket> {
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: to.address, port: to.port }, () => {
        socket.off('error', reject);
        this.#track(to, socket);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#connections.values()) socket.destroy();
    this.#connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.#udp.close(() => resolve())),
      new Promise<void>((resolve) => this.#tcp.close(() => resolve())),
    ]);
  }
}
