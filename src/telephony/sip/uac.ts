/**
 * callflow as a user agent client, for Connect: outbound INVITE client transactions (RFC 3261
 * §17.1.1: retransmission until a provisional response, ACK of a non-2xx final response on the
 * same branch, CANCEL), one answer to a 401/407 digest challenge, the ACK of a 2xx, and the
 * dialogs that follow (our BYE, the agent's BYE).
 *
 * The endpoint hands it every response and every in-dialog request it does not know itself; only
 * what belongs to an INVITE or dialog made here is taken.
 */

import { randomBytes } from 'node:crypto';
import { formatHost, newBranch, newTag } from './dialog.ts';
import { type DigestAlgorithm, digestResponse } from './digest.ts';
import {
  header,
  parseCSeq,
  parseNameAddr,
  parseUri,
  parseVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  tagOf,
} from './message.ts';
import { T1, T2, TRANSACTION_LINGER_MS } from './transactions.ts';
import type { Peer } from './transport.ts';

/** What the UAC needs of the endpoint. */
export interface UacHost {
  send(message: SipMessage, to: Peer): void;
  localAddress(transport: Peer['transport']): { host: string; port: number };
  respond(request: SipRequest, status: number, reason: string): SipResponse | undefined;
}

export interface InviteOptions {
  /** Request-URI, e.g. `sip:+919812345678@trunk.example.net`. */
  uri: string;
  /** Where the INVITE is sent. */
  peer: Peer;
  /** User part of our From (the caller ID presented). */
  fromUser: string;
  sdp: string;
  /** Answered once to a 401/407 challenge. */
  credentials?: { username: string; password: string } | undefined;
  /** 180/183 (with the SDP of early media, if any). */
  onProgress?(status: number, sdp: string | undefined): void;
}

export type InviteOutcome =
  | { kind: 'answered'; dialog: OutboundDialog; sdp: string }
  /** A final error response (after at most one digest answer). */
  | { kind: 'refused'; status: number; reason: string }
  /** We canceled it (ring time over, or the caller hung up). */
  | { kind: 'canceled' }
  /** No response at all within 64·T1 (Timer B). */
  | { kind: 'timeout' };

export interface OutboundInvite {
  readonly callId: string;
  readonly result: Promise<InviteOutcome>;
  /** CANCELs a ringing INVITE (an answer that crosses it is ACKed and ended with BYE). */
  cancel(): void;
}

/** Most outbound INVITEs in progress at once. */
const MAX_INVITES = 10_000;

interface InviteClient {
  options: InviteOptions;
  request: SipRequest;
  branch: string;
  callId: string;
  localTag: string;
  cseq: number;
  authAnswered: boolean;
  provisional: boolean;
  canceled: boolean;
  done: boolean;
  dialog: OutboundDialog | undefined;
  timer: NodeJS.Timeout | undefined;
  resolve(outcome: InviteOutcome): void;
}

interface NonInviteClient {
  resolve(response: SipResponse | undefined): void;
  timer: NodeJS.Timeout | undefined;
}

export class SipUac {
  readonly #host: UacHost;
  readonly #invites = new Map<string, InviteClient>();
  readonly #nonInvite = new Map<string, NonInviteClient>();
  readonly #dialogs = new Map<string, OutboundDialog>();
  #closed = false;

  constructor(host: UacHost) {
    this.#host = host;
  }

  /** INVITEs, non-INVITE requests and dialogs in progress (tests check none is left). */
  get size(): { invites: number; requests: number; dialogs: number } {
    return {
      invites: this.#invites.size,
      requests: this.#nonInvite.size,
      dialogs: this.#dialogs.size,
    };
  }

  invite(options: InviteOptions): OutboundInvite {
    const local = this.#host.localAddress(options.peer.transport);
    const callId = `${randomBytes(12).toString('hex')}@${formatHost(local.host)}`;
    const localTag = newTag();
    let resolveResult!: (outcome: InviteOutcome) => void;
    const result = new Promise<InviteOutcome>((resolve) => {
      resolveResult = resolve;
    });
    const client: InviteClient = {
      options,
      request: undefined as unknown as SipRequest,
      branch: '',
      callId,
      localTag,
      cseq: 0,
      authAnswered: false,
      provisional: false,
      canceled: false,
      done: false,
      dialog: undefined,
      timer: undefined,
      resolve: (outcome) => {
        if (client.done) return;
        client.done = true;
        if (client.timer) clearTimeout(client.timer);
        client.timer = undefined;
        // Linger to absorb retransmitted final responses (and re-ACK a repeated 2xx).
        const linger = setTimeout(() => {
          if (this.#invites.get(client.branch) === client) this.#invites.delete(client.branch);
        }, 4 * T1);
        linger.unref();
        resolveResult(outcome);
      },
    };
    if (this.#closed || this.#invites.size >= MAX_INVITES) {
      client.done = true;
      resolveResult({ kind: 'refused', status: 503, reason: 'Too many outbound calls' });
      return { callId, result, cancel: () => {} };
    }
    this.#sendInvite(client, undefined);
    return { callId, result, cancel: () => this.#cancel(client) };
  }

  #sendInvite(client: InviteClient, authorization: [string, string] | undefined): void {
    const { options } = client;
    const local = this.#host.localAddress(options.peer.transport);
    if (client.branch) this.#invites.delete(client.branch);
    client.branch = newBranch();
    client.cseq += 1;
    const headers = new Map<string, string[]>([
      ['via', [via(options.peer, local, client.branch)]],
      ['max-forwards', ['70']],
      ['from', [`<sip:${options.fromUser}@${formatHost(local.host)}>;tag=${client.localTag}`]],
      ['to', [`<${options.uri}>`]],
      ['call-id', [client.callId]],
      ['cseq', [`${client.cseq} INVITE`]],
      [
        'contact',
        [
          `<sip:callflow@${formatHost(local.host)}:${local.port};transport=${options.peer.transport.toLowerCase()}>`,
        ],
      ],
      ['allow', ['INVITE, ACK, CANCEL, BYE, OPTIONS, INFO']],
      ['user-agent', ['callflow']],
      ['content-type', ['application/sdp']],
    ]);
    if (authorization) headers.set(authorization[0], [authorization[1]]);
    client.request = {
      kind: 'request',
      method: 'INVITE',
      uri: options.uri,
      headers,
      body: options.sdp,
    };
    this.#invites.set(client.branch, client);
    this.#host.send(client.request, options.peer);
    // Timer A (UDP retransmission until a provisional) and Timer B (no answer at all).
    const deadline = Date.now() + TRANSACTION_LINGER_MS;
    let interval = T1;
    const again = () => {
      client.timer = undefined;
      if (client.done || client.provisional) return;
      if (Date.now() >= deadline) {
        client.resolve(client.canceled ? { kind: 'canceled' } : { kind: 'timeout' });
        return;
      }
      if (options.peer.transport === 'UDP') this.#host.send(client.request, options.peer);
      interval = Math.min(interval * 2, T2);
      client.timer = setTimeout(again, interval);
    };
    client.timer = setTimeout(again, interval);
  }

  #cancel(client: InviteClient): void {
    if (client.done || client.canceled) return;
    client.canceled = true;
    if (client.timer) clearTimeout(client.timer);
    client.timer = undefined;
    const inv = client.request;
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: inv.uri,
      headers: new Map([
        ['via', [header(inv, 'via')!]],
        ['max-forwards', ['70']],
        ['from', [header(inv, 'from')!]],
        ['to', [header(inv, 'to')!]],
        ['call-id', [client.callId]],
        ['cseq', [`${client.cseq} CANCEL`]],
      ]),
      body: '',
    };
    void this.#request(cancel, client.options.peer, client.branch);
    // The 487 ends the INVITE; a peer that never sends it is given up after Timer B's span.
    client.timer = setTimeout(() => client.resolve({ kind: 'canceled' }), TRANSACTION_LINGER_MS);
  }

  /** A non-INVITE request (CANCEL, BYE) with UDP retransmissions; resolves with the final answer. */
  #request(request: SipRequest, peer: Peer, branch: string): Promise<SipResponse | undefined> {
    const key = `${branch}|${request.method}`;
    return new Promise((resolve) => {
      const client: NonInviteClient = { resolve, timer: undefined };
      this.#nonInvite.set(key, client);
      this.#host.send(request, peer);
      const deadline = Date.now() + TRANSACTION_LINGER_MS;
      let interval = T1;
      const again = () => {
        if (Date.now() >= deadline || this.#closed) {
          this.#nonInvite.delete(key);
          client.timer = undefined;
          resolve(undefined);
          return;
        }
        if (peer.transport === 'UDP') this.#host.send(request, peer);
        interval = Math.min(interval * 2, T2);
        client.timer = setTimeout(
          again,
          peer.transport === 'UDP' ? interval : deadline - Date.now(),
        );
      };
      client.timer = setTimeout(again, peer.transport === 'UDP' ? interval : TRANSACTION_LINGER_MS);
    });
  }

  /** A response from the network; true when it belongs to a request made here. */
  response(response: SipResponse): boolean {
    const via = header(response, 'via');
    if (via === undefined) return false;
    const branch = parseVia(via).params.get('branch');
    if (branch === undefined) return false;
    const method = parseCSeq(header(response, 'cseq')!).method;
    if (method !== 'INVITE') {
      const key = `${branch}|${method}`;
      const client = this.#nonInvite.get(key);
      if (!client) return this.#invites.has(branch);
      if (response.status < 200) return true;
      if (client.timer) clearTimeout(client.timer);
      this.#nonInvite.delete(key);
      client.resolve(response);
      return true;
    }
    const client = this.#invites.get(branch);
    if (!client) return false;
    this.#inviteResponse(client, response);
    return true;
  }

  #inviteResponse(client: InviteClient, response: SipResponse): void {
    const { status } = response;
    if (status < 200) {
      if (client.done) return;
      if (!client.provisional) {
        client.provisional = true;
        if (client.timer && !client.canceled) clearTimeout(client.timer);
      }
      if (status === 180 || status === 183) client.options.onProgress?.(status, sdpOf(response));
      return;
    }
    if (status < 300) {
      this.#answered(client, response);
      return;
    }
    // A non-2xx final response is ACKed on the INVITE's branch (hop by hop), every time it comes.
    this.#host.send(ackOfError(client.request, response), client.options.peer);
    if (client.done) return;
    const challenge =
      status === 401
        ? ['authorization', header(response, 'www-authenticate')]
        : status === 407
          ? ['proxy-authorization', header(response, 'proxy-authenticate')]
          : undefined;
    const credentials = client.options.credentials;
    if (challenge?.[1] && credentials && !client.authAnswered && !client.canceled) {
      const answer = answerChallenge(challenge[1], credentials, 'INVITE', client.options.uri);
      if (answer) {
        client.authAnswered = true;
        client.provisional = false;
        if (client.timer) clearTimeout(client.timer);
        this.#sendInvite(client, [challenge[0]!, answer]);
        return;
      }
    }
    if (client.canceled && status === 487) client.resolve({ kind: 'canceled' });
    else client.resolve({ kind: 'refused', status, reason: response.reason });
  }

  #answered(client: InviteClient, response: SipResponse): void {
    if (client.dialog) {
      // A retransmitted 2xx: our ACK was lost.
      client.dialog.ack();
      return;
    }
    const dialog = new OutboundDialog(this, client, response);
    client.dialog = dialog;
    this.#dialogs.set(dialog.key, dialog);
    dialog.ack();
    if (client.canceled || client.done) {
      // The answer crossed our CANCEL: the call is ended at once (RFC 3261 §9.1).
      void dialog.bye();
      client.resolve({ kind: 'canceled' });
      return;
    }
    client.resolve({ kind: 'answered', dialog, sdp: response.body });
  }

  /** An in-dialog request from the network; true when its dialog is one of ours. */
  request(request: SipRequest): boolean {
    const toTag = tagOf(header(request, 'to'));
    const fromTag = tagOf(header(request, 'from'));
    if (toTag === undefined || fromTag === undefined) return false;
    const dialog = this.#dialogs.get(`${header(request, 'call-id')}|${fromTag}|${toTag}`);
    if (!dialog) return false;
    dialog.received(request);
    return true;
  }

  /** Ends every dialog with BYE and forgets every transaction. */
  async close(): Promise<void> {
    await Promise.all([...this.#dialogs.values()].map((d) => d.bye()));
    this.#closed = true;
    for (const client of this.#invites.values()) {
      if (client.timer) clearTimeout(client.timer);
      client.resolve({ kind: 'canceled' });
    }
    this.#invites.clear();
    for (const client of this.#nonInvite.values()) {
      if (client.timer) clearTimeout(client.timer);
      client.resolve(undefined);
    }
    this.#nonInvite.clear();
  }

  // ---- for OutboundDialog ----------------------------------------------------------------------

  sendAck(ack: SipRequest, peer: Peer): void {
    this.#host.send(ack, peer);
  }

  sendInDialog(request: SipRequest, peer: Peer): Promise<SipResponse | undefined> {
    const branch = parseVia(header(request, 'via')!).params.get('branch')!;
    return this.#request(request, peer, branch);
  }

  respond(request: SipRequest, status: number, reason: string): void {
    this.#host.respond(request, status, reason);
  }

  localAddress(transport: Peer['transport']): { host: string; port: number } {
    return this.#host.localAddress(transport);
  }

  forget(dialog: OutboundDialog): void {
    this.#dialogs.delete(dialog.key);
  }
}

/** Why an outbound dialog ended. */
export type OutboundEnd = 'remote-bye' | 'our-bye';

/** The dialog of an answered outbound INVITE: the agent's leg of a Connect. */
export class OutboundDialog {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly key: string;
  readonly #uac: SipUac;
  readonly #peer: Peer;
  readonly #target: string;
  readonly #from: string;
  readonly #to: string;
  readonly #routes: string[];
  readonly #inviteSeq: number;
  #seq: number;
  #ack: SipRequest | undefined;
  #ended = false;
  #onEnded: ((why: OutboundEnd) => void)[] = [];
  /** Resolves when either side ends the dialog. */
  readonly ended: Promise<OutboundEnd>;

  constructor(uac: SipUac, client: InviteClient, response: SipResponse) {
    this.#uac = uac;
    this.callId = client.callId;
    this.localTag = client.localTag;
    this.remoteTag = tagOf(header(response, 'to')) ?? '';
    this.key = `${this.callId}|${this.remoteTag}|${this.localTag}`;
    this.#from = header(client.request, 'from')!;
    this.#to = header(response, 'to')!;
    this.#inviteSeq = client.cseq;
    this.#seq = client.cseq;
    this.#routes = [...(response.headers.get('record-route') ?? [])].reverse();
    const contact = header(response, 'contact');
    let target = client.options.uri;
    if (contact) {
      try {
        target = parseNameAddr(contact).uri;
      } catch {
        // keep the Request-URI
      }
    }
    this.#target = target;
    this.#peer = peerOf(target, client.options.peer);
    this.ended = new Promise((resolve) => this.#onEnded.push(resolve));
  }

  ack(): void {
    this.#ack ??= this.#build('ACK', this.#inviteSeq);
    this.#uac.sendAck(this.#ack, this.#peer);
  }

  /** The agent's BYE (or another in-dialog request). */
  received(request: SipRequest): void {
    switch (request.method) {
      case 'BYE':
        this.#uac.respond(request, 200, 'OK');
        this.#end('remote-bye');
        return;
      case 'ACK':
        return;
      case 'INFO':
      case 'OPTIONS':
        this.#uac.respond(request, 200, 'OK');
        return;
      default:
        // A re-INVITE from the agent (hold, new address) is not taken: the bridge stays as set up.
        this.#uac.respond(request, 488, 'Not Acceptable Here');
    }
  }

  /** Ends the dialog from our side with BYE and waits for its answer. */
  async bye(): Promise<void> {
    if (this.#ended) return;
    this.#end('our-bye');
    await this.#uac.sendInDialog(this.#build('BYE', ++this.#seq), this.#peer);
  }

  #end(why: OutboundEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#uac.forget(this);
    for (const listener of this.#onEnded.splice(0)) listener(why);
  }

  #build(method: 'ACK' | 'BYE', seq: number): SipRequest {
    const local = this.#uac.localAddress(this.#peer.transport);
    const headers = new Map<string, string[]>([
      ['via', [via(this.#peer, local, newBranch())]],
      ['max-forwards', ['70']],
      ['from', [this.#from]],
      ['to', [this.#to]],
      ['call-id', [this.callId]],
      ['cseq', [`${seq} ${method}`]],
    ]);
    if (this.#routes.length > 0) headers.set('route', this.#routes);
    return { kind: 'request', method, uri: this.#target, headers, body: '' };
  }
}

function via(peer: Peer, local: { host: string; port: number }, branch: string): string {
  return `SIP/2.0/${peer.transport} ${formatHost(local.host)}:${local.port};branch=${branch};rport`;
}

/** The ACK of a non-2xx final response: same branch, Request-URI, From and Call-ID; the To of the response. */
function ackOfError(invite: SipRequest, response: SipResponse): SipRequest {
  const cseq = parseCSeq(header(invite, 'cseq')!).seq;
  return {
    kind: 'request',
    method: 'ACK',
    uri: invite.uri,
    headers: new Map([
      ['via', [header(invite, 'via')!]],
      ['max-forwards', ['70']],
      ['from', [header(invite, 'from')!]],
      ['to', [header(response, 'to')!]],
      ['call-id', [header(invite, 'call-id')!]],
      ['cseq', [`${cseq} ACK`]],
    ]),
    body: '',
  };
}

/** Where in-dialog requests go: the remote target's address when it is an IP literal, else the INVITE's peer. */
function peerOf(target: string, fallback: Peer): Peer {
  try {
    const uri = parseUri(target);
    if (/^[0-9.]+$/.test(uri.host) || uri.host.includes(':')) {
      const transport = uri.params.get('transport')?.toUpperCase();
      return {
        transport: transport === 'TCP' || transport === 'UDP' ? transport : fallback.transport,
        address: uri.host.replace(/^\[|\]$/g, ''),
        port: uri.port ?? 5060,
      };
    }
  } catch {
    // an unreadable Contact: keep the INVITE's peer
  }
  return fallback;
}

function sdpOf(response: SipResponse): string | undefined {
  const type = (header(response, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/sdp' && response.body.trim() !== '' ? response.body : undefined;
}

/** Parses a `Digest realm=…, nonce=…` challenge. */
export function parseChallenge(value: string): Map<string, string> | undefined {
  const match = /^Digest\s+(.*)$/is.exec(value.trim());
  if (!match) return undefined;
  const fields = new Map<string, string>();
  const re = /([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of match[1]!.matchAll(re))
    fields.set(m[1]!.toLowerCase(), (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1'));
  return fields.has('realm') && fields.has('nonce') ? fields : undefined;
}

/** The Authorization value answering a challenge (RFC 2617, RFC 8760), or undefined when it cannot. */
export function answerChallenge(
  challenge: string,
  credentials: { username: string; password: string },
  method: string,
  uri: string,
): string | undefined {
  const fields = parseChallenge(challenge);
  if (!fields) return undefined;
  const algorithm = (fields.get('algorithm') ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return undefined;
  const qops = (fields.get('qop') ?? '').split(',').map((q) => q.trim());
  const qop = qops.includes('auth') ? 'auth' : undefined;
  const nc = qop ? '00000001' : undefined;
  const cnonce = qop ? randomBytes(8).toString('hex') : undefined;
  const realm = fields.get('realm')!;
  const nonce = fields.get('nonce')!;
  const response = digestResponse({
    algorithm: algorithm as DigestAlgorithm,
    username: credentials.username,
    realm,
    password: credentials.password,
    method,
    uri,
    nonce,
    qop,
    nc,
    cnonce,
  });
  const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
  let value = `Digest username=${quote(credentials.username)}, realm=${quote(realm)}, nonce=${quote(nonce)}, uri=${quote(uri)}, response="${response}", algorithm=${algorithm}`;
  const opaque = fields.get('opaque');
  if (opaque !== undefined) value += `, opaque=${quote(opaque)}`;
  if (qop) value += `, qop=${qop}, nc=${nc}, cnonce="${cnonce}"`;
  return value;
}
