/**
 * The smallest SIP answering side that lets sipp place a call whose media runs through the
 * MediaEngine: it answers an INVITE with the engine's SDP answer and a BYE with 200. Nothing
 * more (no retransmission handling, no dialogs): the media tests need a real caller's RTP and
 * RFC 4733 events, and keep the SIP endpoint's own code out of the media tests.
 */

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { MediaEngine } from '../../src/telephony/media/index.ts';

export interface AnsweredCall {
  callId: string;
  callerTag: string;
  ourTag: string;
}

export class AnsweringSide {
  readonly socket: Socket;
  readonly calls: AnsweredCall[] = [];
  readonly #engine: MediaEngine;
  readonly #answered = new Set<(call: AnsweredCall) => void>();

  private constructor(socket: Socket, engine: MediaEngine) {
    this.socket = socket;
    this.#engine = engine;
    socket.on('message', (message, from) => void this.#onMessage(message.toString('utf8'), from));
  }

  static async open(engine: MediaEngine): Promise<AnsweringSide> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new AnsweringSide(socket, engine);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Resolves with the next call answered. */
  nextCall(): Promise<AnsweredCall> {
    return new Promise((resolve) => {
      const once = (call: AnsweredCall): void => {
        this.#answered.delete(once);
        resolve(call);
      };
      this.#answered.add(once);
    });
  }

  async #onMessage(text: string, from: RemoteInfo): Promise<void> {
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const lines = head.split('\r\n');
    const method = lines[0]?.split(' ')[0];
    const header = (name: string): string =>
      lines
        .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        ?.slice(name.length + 1)
        .trim() ?? '';
    const echo = ['Via', 'From', 'Call-ID', 'CSeq'].map((name) => `${name}: ${header(name)}`);
    if (method === 'INVITE') {
      const callId = header('Call-ID');
      if (this.calls.some((c) => c.callId === callId)) return; // a retransmission
      const callerTag = /tag=([^;>\s]+)/.exec(header('From'))?.[1] ?? '';
      const call = { callId, callerTag, ourTag: `cf${this.calls.length}` };
      this.calls.push(call);
      const { sdp } = await this.#engine.answerCaller({ ...call, offer: body });
      this.#send(
        [
          'SIP/2.0 200 OK',
          ...echo,
          `To: ${header('To')};tag=${call.ourTag}`,
          `Contact: <sip:callflow@127.0.0.1:${this.port}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${Buffer.byteLength(sdp)}`,
          '',
          sdp,
        ],
        from,
      );
      for (const listener of [...this.#answered]) listener(call);
    } else if (method === 'BYE') {
      this.#send(
        ['SIP/2.0 200 OK', ...echo, `To: ${header('To')}`, 'Content-Length: 0', '', ''],
        from,
      );
    }
  }

  #send(lines: string[], to: RemoteInfo): void {
    this.socket.send(lines.join('\r\n'), to.port, to.address);
  }

  close(): void {
    this.socket.close();
  }
}
