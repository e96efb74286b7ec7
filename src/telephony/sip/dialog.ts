/**
 * One inbound call's SIP side: the INVITE server transaction until it is answered or refused,
 * then the dialog (RFC 3261 §12): Call-ID + the caller's tag + ours. It retransmits the 200 OK
 * until the ACK (T1 doubling to T2, given up after 64·T1 with a BYE), sends our BYE, and tells the
 * driver about the caller's BYE, INFO keys, re-INVITEs and CANCEL.
 */

import { randomBytes } from 'node:crypto';
import {
  header,
  type NameAddr,
  parseNameAddr,
  parseUri,
  type SipRequest,
  type SipResponse,
} from './message.ts';
import { T1, T2, TRANSACTION_LINGER_MS } from './transactions.ts';
import type { Peer } from './transport.ts';

export type CallState = 'offered' | 'answered' | 'confirmed' | 'ended';

/** Why a call's SIP side ended. */
export type SipEndReason =
  | 'caller-bye'
  | 'our-bye'
  | 'canceled'
  | 'refused'
  | 'ack-timeout'
  | 'shutdown';

/** Who the call came through: a trunk (by source address) or a softphone user (by digest). */
export type SipOrigin = { kind: 'trunk'; name: string } | { kind: 'user'; name: string };

/** What the dialog needs of the endpoint: sending, and the transaction that carries responses. */
export interface DialogHost {
  /** Answers a request in its server transaction; returns the response sent. */
  respond(
    request: SipRequest,
    status: number,
    reason: string,
    extra?: ExtraHeaders,
  ): SipResponse | undefined;
  /** Sends a response again outside its transaction (the 2xx until the ACK). */
  respondAgain(response: SipResponse, to: Peer): void;
  /** Sends an in-dialog request and resolves with the final response (undefined: timed out). */
  request(request: SipRequest, to: Peer): Promise<SipResponse | undefined>;
  /** Our Via sent-by and Contact for this transport. */
  localAddress(transport: Peer['transport']): { host: string; port: number };
  ended(call: InboundCall): void;
}

export type ExtraHeaders = Record<string, string | string[]>;

export interface InboundCallHandlers {
  /** The caller sent BYE (or the call otherwise ended from the network side). */
  onEnded(reason: SipEndReason): void;
  /** A key from SIP INFO. */
  onInfoKey(key: string): void;
  /** A re-INVITE's offer; resolve with the SDP answer, or reject to refuse it (488). */
  onReoffer(offer: string): Promise<string>;
}

export const newTag = () => randomBytes(8).toString('hex');
export const newBranch = () => `z9hG4bK${randomBytes(10).toString('hex')}`;

export class InboundCall {
  readonly callId: string;
  /** The caller's From tag. */
  readonly callerTag: string;
  /** Our To tag. */
  readonly localTag = newTag();
  readonly invite: SipRequest;
  readonly source: Peer;
  readonly origin: SipOrigin;
  readonly from: NameAddr;
  /** The user part of the Request-URI (the number dialled), if any. */
  readonly dialled: string | undefined;
  readonly assertedIdentity: string | undefined;
  readonly #host: DialogHost;
  readonly #controller = new AbortController();
  #handlers: InboundCallHandlers | undefined;
  #state: CallState = 'offered';
  #localSeq = 1;
  #remoteSeq: number;
  #retransmit: NodeJS.Timeout | undefined;
  #answer: SipResponse | undefined;
  answeredAt: Date | undefined;

  constructor(invite: SipRequest, source: Peer, origin: SipOrigin, cseq: number, host: DialogHost) {
    this.invite = invite;
    this.source = source;
    this.origin = origin;
    this.#host = host;
    this.callId = header(invite, 'call-id')!;
    this.from = parseNameAddr(header(invite, 'from')!);
    this.callerTag = this.from.params.get('tag') ?? '';
    this.#remoteSeq = cseq;
    this.dialled = parseUri(invite.uri).user;
    this.assertedIdentity = header(invite, 'p-asserted-identity');
  }

  get state(): CallState {
    return this.#state;
  }

  /** Aborts when the call ends for any reason (CANCEL before answer, BYE, ACK timeout). */
  get endedSignal(): AbortSignal {
    return this.#controller.signal;
  }

  get offer(): string {
    return this.invite.body;
  }

  get hasRetransmitTimer(): boolean {
    return this.#retransmit !== undefined;
  }

  setHandlers(handlers: InboundCallHandlers): void {
    this.#handlers = handlers;
  }

  /** Refuses the INVITE with a final error response. */
  refuse(status: number, reason: string, extra?: ExtraHeaders): void {
    if (this.#state !== 'offered') return;
    this.#host.respond(this.invite, status, reason, extra);
    this.#end('refused');
  }

  /** 180 Ringing (with our tag), before the answer. */
  ringing(): void {
    if (this.#state === 'offered') this.#host.respond(this.invite, 180, 'Ringing');
  }

  /** 200 OK with the SDP answer, retransmitted until the ACK. */
  answer(sdp: string): void {
    if (this.#state !== 'offered') return;
    this.#state = 'answered';
    this.answeredAt = new Date();
    const local = this.#host.localAddress(this.source.transport);
    this.#answer = this.#host.respond(this.invite, 200, 'OK', {
      contact: `<sip:${formatHost(local.host)}:${local.port};transport=${this.source.transport.toLowerCase()}>`,
      'content-type': 'application/sdp',
      allow: ALLOW,
      body: sdp,
    });
    if (this.source.transport === 'UDP') this.#retransmitAnswer();
  }

  #retransmitAnswer(): void {
    let interval = T1;
    const deadline = Date.now() + TRANSACTION_LINGER_MS;
    const again = () => {
      this.#retransmit = undefined;
      if (this.#state !== 'answered') return;
      if (Date.now() >= deadline) {
        // RFC 3261 §13.3.1.4: no ACK within 64·T1: the session is ended with a BYE.
        void this.bye('ack-timeout');
        return;
      }
      if (this.#answer) this.#host.respondAgain(this.#answer, this.source);
      interval = Math.min(interval * 2, T2);
      this.#retransmit = setTimeout(again, interval);
    };
    this.#retransmit = setTimeout(again, interval);
  }

  /** A retransmitted INVITE after the answer: resend the 200 (RFC 6026). */
  inviteRetransmitted(): void {
    if (this.#answer && this.#state === 'answered')
      this.#host.respondAgain(this.#answer, this.source);
  }

  acked(): void {
    if (this.#state !== 'answered') return;
    this.#state = 'confirmed';
    this.#stopRetransmit();
  }

  /** CANCEL before the answer: the endpoint has sent 487; the call is over. */
  canceled(): void {
    if (this.#state === 'offered') this.#end('canceled');
  }

  /** An in-dialog request from the caller (BYE, INFO, re-INVITE, OPTIONS). */
  async inDialog(request: SipRequest, cseq: number): Promise<void> {
    if (cseq < this.#remoteSeq && request.method !== 'ACK') {
      this.#host.respond(request, 500, 'Server Internal Error');
      return;
    }
    this.#remoteSeq = Math.max(this.#remoteSeq, cseq);
    switch (request.method) {
      case 'BYE':
        this.#host.respond(request, 200, 'OK');
        this.#end('caller-bye');
        return;
      case 'INFO': {
        const type = (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        if (request.body === '') {
          this.#host.respond(request, 200, 'OK');
          return;
        }
        if (type !== 'application/dtmf-relay' && type !== 'application/dtmf') {
          this.#host.respond(request, 415, 'Unsupported Media Type', {
            accept: 'application/dtmf-relay, application/dtmf',
          });
          return;
        }
        const key = parseInfoKey(type, request.body);
        if (key === undefined) {
          this.#host.respond(request, 400, 'Bad Request');
          return;
        }
        this.#host.respond(request, 200, 'OK');
        this.#handlers?.onInfoKey(key);
        return;
      }
      case 'INVITE': {
        if (!this.#handlers || request.body === '') {
          this.#host.respond(request, 488, 'Not Acceptable Here');
          return;
        }
        try {
          const sdp = await this.#handlers.onReoffer(request.body);
          const local = this.#host.localAddress(this.source.transport);
          this.#host.respond(request, 200, 'OK', {
            contact: `<sip:${formatHost(local.host)}:${local.port};transport=${this.source.transport.toLowerCase()}>`,
            'content-type': 'application/sdp',
            body: sdp,
          });
        } catch {
          this.#host.respond(request, 488, 'Not Acceptable Here');
        }
        return;
      }
      case 'OPTIONS':
        this.#host.respond(request, 200, 'OK', { allow: ALLOW, accept: 'application/sdp' });
        return;
      default:
        this.#host.respond(request, 405, 'Method Not Allowed', { allow: ALLOW });
    }
  }

  /** Ends the call from our side with BYE (after the answer) and waits for its answer. */
  async bye(reason: SipEndReason = 'our-bye'): Promise<void> {
    if (this.#state === 'ended') return;
    if (this.#state === 'offered') {
      // Not answered yet: refusing is how a UAS ends it.
      this.refuse(480, 'Temporarily Unavailable');
      return;
    }
    this.#stopRetransmit();
    const local = this.#host.localAddress(this.source.transport);
    const to = header(this.invite, 'to')!;
    const request: SipRequest = {
      kind: 'request',
      method: 'BYE',
      uri: this.#remoteTarget(),
      headers: new Map<string, string[]>([
        [
          'via',
          [
            `SIP/2.0/${this.source.transport} ${formatHost(local.host)}:${local.port};branch=${newBranch()};rport`,
          ],
        ],
        ['max-forwards', ['70']],
        ['from', [/;\s*tag=/i.test(to) ? to : `${to};tag=${this.localTag}`]],
        ['to', [header(this.invite, 'from')!]],
        ['call-id', [this.callId]],
        ['cseq', [`${++this.#localSeq} BYE`]],
      ]),
      body: '',
    };
    const routes = this.invite.headers.get('record-route');
    if (routes?.length) request.headers.set('route', [...routes]);
    this.#end(reason);
    await this.#host.request(request, this.source);
  }

  #remoteTarget(): string {
    const contact = header(this.invite, 'contact');
    if (contact) {
      try {
        return parseNameAddr(contact).uri;
      } catch {
        // fall through to the From URI
      }
    }
    return this.from.uri;
  }

  #stopRetransmit(): void {
    if (this.#retransmit) clearTimeout(this.#retransmit);
    this.#retransmit = undefined;
  }

  #end(reason: SipEndReason): void {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    this.#stopRetransmit();
    this.#controller.abort(reason);
    this.#host.ended(this);
    this.#handlers?.onEnded(reason);
  }

  /** The endpoint is closing: end without signalling further. */
  shutdown(): void {
    this.#end('shutdown');
  }
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER';

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

const INFO_KEY = /^[0-9*#A-Da-d]$/;

/** The key of an INFO body: `Signal=5` (dtmf-relay) or the bare key (application/dtmf). */
export function parseInfoKey(type: string, body: string): string | undefined {
  let key: string | undefined;
  if (type === 'application/dtmf-relay') {
    const match = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body);
    key = match?.[1];
    // Some phones send the event number of RFC 4733 (10 = *, 11 = #).
    if (key === '10') key = '*';
    if (key === '11') key = '#';
  } else {
    key = body.trim();
    if (key === '10') key = '*';
    if (key === '11') key = '#';
  }
  return key !== undefined && INFO_KEY.test(key) ? key.toUpperCase() : undefined;
}
