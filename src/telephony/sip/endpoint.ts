/**
 * The SIP endpoint: callflow's user agent server. It receives requests on the transports, keeps
 * server transactions (retransmissions are answered, never run twice), decides who may call
 * (trunks by source address, optionally with digest; softphone users by digest), refuses what it
 * must with the right status and a log line, and hands every acceptable INVITE to `onCall` as an
 * InboundCall, which the SIP call driver answers or refuses.
 *
 * Flood protection: new out-of-dialog requests are limited per source address (a token bucket);
 * what is over the limit is dropped without an answer, so a flood neither amplifies nor starves
 * other sources, and every table is bounded.
 */

import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parse as parseSdp } from 'sdp-transform';
import type { AuthThrottle } from '../../auth-throttle.ts';
import type { SipConfig, SipTrunk } from './config.ts';
import {
  ALLOW,
  type DialogHost,
  type ExtraHeaders,
  InboundCall,
  newTag,
  type SipOrigin,
} from './dialog.ts';
import { DigestAuthenticator } from './digest.ts';
import {
  header,
  parseCSeq,
  parseNameAddr,
  parseVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  tagOf,
} from './message.ts';
import { T1, T2, TRANSACTION_LINGER_MS, TransactionTable, transactionKey } from './transactions.ts';
import { type Peer, type Received, SipTransport } from './transport.ts';

export interface SipLogger {
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

export interface SipEndpointOptions {
  config: SipConfig;
  logger: SipLogger;
  /** A new INVITE that passed the checks; the driver must answer or refuse it. */
  onCall(call: InboundCall): void;
  /** Throttles failed digest authentications per source, shared with the HTTP surfaces. */
  authThrottle?: AuthThrottle;
}

/** Most sources whose request rate is tracked at once. */
const MAX_BUCKETS = 10_000;
/** How long close() waits for the answers to its BYEs, milliseconds. */
const CLOSE_WAIT_MS = 2000;
/** Registrations are kept at most this long, seconds. */
const MAX_EXPIRES = 3600;

interface Bucket {
  tokens: number;
  at: number;
  warned: boolean;
}

interface ClientTransaction {
  resolve(response: SipResponse | undefined): void;
  timer: NodeJS.Timeout | undefined;
}

/** Outbound calls (Connect): responses to our requests and requests in our outbound dialogs. */
export interface OutboundHooks {
  /** True when the response belonged to an outbound request. */
  response(response: SipResponse): boolean;
  /** True when the in-dialog request belonged to an outbound dialog. */
  request(request: SipRequest): boolean;
}

export interface EndpointStats {
  calls: number;
  transactions: number;
  /** Retransmission timers running (server, client and 200-until-ACK). */
  timers: number;
}

export class SipEndpoint implements DialogHost {
  readonly #config: SipConfig;
  readonly #logger: SipLogger;
  readonly #onCall: (call: InboundCall) => void;
  readonly #authThrottle: AuthThrottle | undefined;
  readonly #digest: DigestAuthenticator;
  readonly #trunks: { trunk: SipTrunk; sources: BlockList }[];
  readonly #calls = new Map<string, InboundCall>();
  /** INVITE transaction key → its call, for the To tag of responses and for CANCEL. */
  readonly #byInvite = new Map<string, InboundCall>();
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #buckets = new Map<string, Bucket>();
  readonly #registrations = new Map<string, { contact: string; expiresAt: number }>();
  #transport!: SipTransport;
  #transactions!: TransactionTable;
  #outbound: OutboundHooks | undefined;

  private constructor(options: SipEndpointOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    this.#onCall = options.onCall;
    this.#authThrottle = options.authThrottle;
    this.#digest = new DigestAuthenticator(
      options.config.realm,
      Date.now,
      options.config.digestAlgorithms,
    );
    this.#trunks = options.config.trunks.map((trunk) => ({
      trunk,
      sources: sourceList(trunk.addresses),
    }));
  }

  static async start(options: SipEndpointOptions): Promise<SipEndpoint> {
    const endpoint = new SipEndpoint(options);
    endpoint.#transactions = new TransactionTable((response, to) => endpoint.#send(response, to));
    try {
      endpoint.#transport = await SipTransport.listen(options.config.host, options.config.port, {
        onMessage: (received) => endpoint.#receive(received),
        onMalformed: (raw, source, error) => endpoint.#malformed(raw, source, error),
      });
    } catch (error) {
      endpoint.#transactions.close();
      throw error;
    }
    return endpoint;
  }

  get port(): number {
    return this.#transport.port;
  }

  /** The address written in Contact (and given to the media layer for SDP). */
  get publicHost(): string {
    if (this.#config.publicAddress !== undefined) return this.#config.publicAddress;
    const host = this.#config.host;
    return host === '0.0.0.0' || host === '::' || host === '' ? firstAddress() : host;
  }

  stats(): EndpointStats {
    let timers = this.#transactions.timers;
    for (const c of this.#clients.values()) if (c.timer) timers++;
    for (const call of this.#calls.values()) if (call.hasRetransmitTimer) timers++;
    return { calls: this.#calls.size, transactions: this.#transactions.size, timers };
  }

  /** Ends every call (BYE to answered ones) and closes the transports. */
  async close(): Promise<void> {
    // Answered calls get a BYE, and a little time for its answer; unanswered ones a 503.
    const byes = [...this.#calls.values()].map((call) =>
      call.state === 'offered' ? call.refuse(503, 'Service Unavailable') : call.bye('shutdown'),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(byes),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const call of this.#calls.values()) call.shutdown();
    for (const client of this.#clients.values()) {
      if (client.timer) clearTimeout(client.timer);
      client.resolve(undefined);
    }
    this.#clients.clear();
    this.#transactions.close();
    await this.#transport.close();
  }

  attachOutbound(hooks: OutboundHooks): void {
    this.#outbound = hooks;
  }

  /** Sends a message outside any server transaction (the UAC's requests). */
  send(message: SipMessage, to: Peer): void {
    this.#send(message, to);
  }

  /** The registered Contact URI of a softphone user, while its registration lasts. */
  registeredContact(username: string): string | undefined {
    const bound = this.#registrations.get(username);
    if (!bound || bound.expiresAt <= Date.now()) return undefined;
    try {
      return parseNameAddr(bound.contact).uri;
    } catch {
      return undefined;
    }
  }

  // ---- DialogHost ------------------------------------------------------------------------------

  localAddress(): { host: string; port: number } {
    return { host: this.publicHost, port: this.port };
  }

  respond(
    request: SipRequest,
    status: number,
    reason: string,
    extra: ExtraHeaders = {},
  ): SipResponse | undefined {
    const key = transactionKey(request);
    const transaction = this.#transactions.get(key);
    if (!transaction) return undefined;
    const call = request.method === 'INVITE' ? this.#byInvite.get(key) : undefined;
    const response = buildResponse(
      request,
      transaction.source,
      status,
      reason,
      extra,
      call?.localTag,
    );
    // A stranger's INVITE (401, 403) is answered once: retransmitting to a source that may be
    // spoofed would make callflow an amplifier; a stranger that resends gets the answer again.
    this.#transactions.respond(transaction, response, status !== 401 && status !== 403);
    return response;
  }

  respondAgain(response: SipResponse, to: Peer): void {
    this.#send(response, to);
  }

  request(request: SipRequest, to: Peer): Promise<SipResponse | undefined> {
    const branch = parseVia(header(request, 'via')!).params.get('branch')!;
    return new Promise((resolve) => {
      const client: ClientTransaction = { resolve, timer: undefined };
      this.#clients.set(branch, client);
      this.#send(request, to);
      const deadline = Date.now() + TRANSACTION_LINGER_MS;
      let interval = T1;
      const again = () => {
        if (Date.now() >= deadline) {
          this.#clients.delete(branch);
          client.timer = undefined;
          resolve(undefined);
          return;
        }
        if (to.transport === 'UDP') this.#send(request, to);
        interval = Math.min(interval * 2, T2);
        client.timer = setTimeout(again, to.transport === 'UDP' ? interval : deadline - Date.now());
      };
      client.timer = setTimeout(again, to.transport === 'UDP' ? interval : TRANSACTION_LINGER_MS);
    });
  }

  ended(call: InboundCall): void {
    this.#calls.delete(dialogKey(call.callId, call.callerTag, call.localTag));
    for (const [key, c] of this.#byInvite) if (c === call) this.#byInvite.delete(key);
  }

  // ---- receiving -------------------------------------------------------------------------------

  #send(message: SipMessage, to: Peer): void {
    this.#transport.send(message, to).catch((error: unknown) => {
      this.#logger.warn({ to, error: String(error) }, 'sip: could not send');
    });
  }

  #receive({ message, source }: Received): void {
    try {
      if (message.kind === 'response') this.#response(message);
      else this.#request(message, source);
    } catch (error) {
      // A handler bug must not take the endpoint down; the request goes unanswered.
      this.#logger.error({ source, error: String(error) }, 'sip: error handling a message');
    }
  }

  #response(response: SipResponse): void {
    if (this.#outbound?.response(response)) return;
    if (response.status < 200) return;
    const branch = parseVia(header(response, 'via')!).params.get('branch');
    const client = branch === undefined ? undefined : this.#clients.get(branch);
    if (!client) return;
    if (client.timer) clearTimeout(client.timer);
    this.#clients.delete(branch!);
    client.resolve(response);
  }

  #request(request: SipRequest, source: Peer): void {
    if (request.method === 'ACK') {
      this.#ack(request);
      return;
    }
    if (request.method === 'CANCEL') {
      this.#cancel(request, source);
      return;
    }
    const key = transactionKey(request);
    const existing = this.#transactions.get(key);
    if (existing) {
      this.#transactions.retransmission(existing);
      return;
    }
    const toTag = tagOf(header(request, 'to'));
    if (toTag === undefined && !this.#admit(source)) return;
    if (!this.#transactions.create(key, request, source)) return;
    const cseq = parseCSeq(header(request, 'cseq')!).seq;
    if (toTag !== undefined) {
      const call = this.#calls.get(
        dialogKey(header(request, 'call-id')!, tagOf(header(request, 'from')) ?? '', toTag),
      );
      if (!call) {
        if (this.#outbound?.request(request)) return;
        this.respond(request, 481, 'Call/Transaction Does Not Exist');
        return;
      }
      void call.inDialog(request, cseq).catch((error: unknown) => {
        this.#logger.error({ error: String(error) }, 'sip: in-dialog request failed');
      });
      return;
    }
    const unsupported = header(request, 'require');
    if (unsupported !== undefined && request.method !== 'ACK') {
      this.respond(request, 420, 'Bad Extension', { unsupported });
      return;
    }
    switch (request.method) {
      case 'INVITE':
        this.#invite(request, source, key, cseq);
        return;
      case 'OPTIONS':
        this.respond(request, 200, 'OK', { allow: ALLOW, accept: 'application/sdp' });
        return;
      case 'REGISTER':
        this.#register(request, source);
        return;
      case 'BYE':
      case 'INFO':
        this.respond(request, 481, 'Call/Transaction Does Not Exist');
        return;
      default:
        this.respond(request, 405, 'Method Not Allowed', { allow: ALLOW });
    }
  }

  #ack(request: SipRequest): void {
    // The ACK of a non-2xx final response belongs to the INVITE transaction.
    const transaction = this.#transactions.get(transactionKey(request, 'INVITE'));
    if (transaction && (transaction.lastResponse?.status ?? 0) >= 300) {
      this.#transactions.acknowledge(transaction);
      return;
    }
    const toTag = tagOf(header(request, 'to'));
    if (toTag === undefined) return;
    const call = this.#calls.get(
      dialogKey(header(request, 'call-id')!, tagOf(header(request, 'from')) ?? '', toTag),
    );
    call?.acked();
  }

  #cancel(request: SipRequest, source: Peer): void {
    const key = transactionKey(request);
    const existing = this.#transactions.get(key);
    if (existing) {
      this.#transactions.retransmission(existing);
      return;
    }
    if (!this.#transactions.create(key, request, source)) return;
    const inviteKey = transactionKey(request, 'INVITE');
    const invite = this.#transactions.get(inviteKey);
    if (!invite) {
      this.respond(request, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.respond(request, 200, 'OK');
    const call = this.#byInvite.get(inviteKey);
    if ((invite.lastResponse?.status ?? 100) < 200) {
      this.respond(invite.request, 487, 'Request Terminated');
      this.#logger.info({ callId: header(request, 'call-id') }, 'sip: call canceled before answer');
      call?.canceled();
    }
  }

  #invite(request: SipRequest, source: Peer, key: string, cseq: number): void {
    this.respond(request, 100, 'Trying');
    const callId = header(request, 'call-id')!;
    const origin = this.#authorize(request, source, 'INVITE');
    if (!origin) return;
    if (this.#calls.size >= this.#config.maxCalls) {
      this.#logger.warn(
        { callId, source, maxCalls: this.#config.maxCalls, code: 'SIP_OVER_CAPACITY' },
        'sip: refused 503, over sip.maxCalls',
      );
      this.respond(request, 503, 'Service Unavailable', { 'retry-after': '5' });
      return;
    }
    if (!hasG711Offer(request)) {
      this.#logger.warn(
        { callId, source, code: 'NO_COMMON_CODEC' },
        'sip: refused 488, the offer has no PCMA or PCMU audio',
      );
      this.respond(request, 488, 'Not Acceptable Here', {
        warning: '304 callflow "PCMA or PCMU audio required"',
      });
      return;
    }
    let call: InboundCall;
    try {
      call = new InboundCall(request, source, origin, cseq, this);
    } catch (error) {
      this.#logger.warn(
        { callId, source, error: String(error), code: 'SIP_MALFORMED' },
        'sip: refused 400, malformed INVITE',
      );
      this.respond(request, 400, 'Bad Request');
      return;
    }
    this.#byInvite.set(key, call);
    this.#calls.set(dialogKey(call.callId, call.callerTag, call.localTag), call);
    this.#onCall(call);
  }

  /** Who is calling: a trunk by source address (and digest when it has credentials), or a user. */
  #authorize(request: SipRequest, source: Peer, method: string): SipOrigin | undefined {
    const callId = header(request, 'call-id');
    const authorization =
      header(request, 'authorization') ?? header(request, 'proxy-authorization');
    const trunk = this.#trunks.find((t) => matches(t.sources, source.address))?.trunk;
    if (trunk && !trunk.credentials) return { kind: 'trunk', name: trunk.name };
    const passwordOf = trunk
      ? (u: string) => (u === trunk.credentials!.username ? trunk.credentials!.password : undefined)
      : (u: string) => this.#config.users.find((user) => user.username === u)?.password;
    if (!trunk && this.#config.users.length === 0) {
      this.#logger.warn(
        { callId, source, code: 'SIP_FORBIDDEN' },
        `sip: refused 403, ${method} from a source that is no trunk`,
      );
      this.respond(request, 403, 'Forbidden');
      return undefined;
    }
    if (authorization === undefined) {
      this.respond(request, 401, 'Unauthorized', { 'www-authenticate': this.#digest.challenges() });
      return undefined;
    }
    const check = this.#digest.verify(method, authorization, passwordOf);
    if (check.ok)
      return trunk ? { kind: 'trunk', name: trunk.name } : { kind: 'user', name: check.username };
    if (check.stale) {
      this.respond(request, 401, 'Unauthorized', {
        'www-authenticate': this.#digest.challenges(true),
      });
      return undefined;
    }
    this.#digestFailed(request, source, method, check.username);
    return undefined;
  }

  /**
   * A wrong credential: 403, never a new challenge. A source failing too often (the shared
   * authentication throttle) gets Retry-After with it; a correct credential is still accepted.
   */
  #digestFailed(
    request: SipRequest,
    source: Peer,
    method: string,
    username: string | undefined,
  ): void {
    const verdict = this.#authThrottle?.failed(source.address, 'sip') ?? { refused: false };
    this.#logger.warn(
      {
        callId: header(request, 'call-id'),
        source,
        username,
        code: 'SIP_FORBIDDEN',
        ...(verdict.refused ? { throttled: true } : {}),
      },
      `sip: refused 403, ${method} failed digest authentication`,
    );
    this.respond(
      request,
      403,
      'Forbidden',
      verdict.refused ? { 'retry-after': String(verdict.retryAfterSeconds) } : {},
    );
  }

  #register(request: SipRequest, source: Peer): void {
    const trunkOnly = this.#config.users.length === 0;
    if (trunkOnly) {
      this.#logger.warn(
        { source, code: 'SIP_FORBIDDEN' },
        'sip: refused 403, REGISTER without configured sip.users',
      );
      this.respond(request, 403, 'Forbidden');
      return;
    }
    const authorization = header(request, 'authorization');
    if (authorization === undefined) {
      this.respond(request, 401, 'Unauthorized', { 'www-authenticate': this.#digest.challenges() });
      return;
    }
    const check = this.#digest.verify(
      'REGISTER',
      authorization,
      (u) => this.#config.users.find((user) => user.username === u)?.password,
    );
    if (!check.ok) {
      if (check.stale) {
        this.respond(request, 401, 'Unauthorized', {
          'www-authenticate': this.#digest.challenges(true),
        });
        return;
      }
      this.#digestFailed(request, source, 'REGISTER', check.username);
      return;
    }
    const contact = header(request, 'contact');
    const requested = Number(header(request, 'expires') ?? '3600');
    const expires = Number.isFinite(requested)
      ? Math.max(0, Math.min(MAX_EXPIRES, requested))
      : MAX_EXPIRES;
    if (contact === undefined) {
      const bound = this.#registrations.get(check.username);
      this.respond(
        request,
        200,
        'OK',
        bound
          ? {
              contact: `${bound.contact};expires=${Math.max(0, Math.round((bound.expiresAt - Date.now()) / 1000))}`,
            }
          : {},
      );
      return;
    }
    const plain = contact.replace(/;\s*expires=\d+/i, '');
    if (expires === 0 || contact === '*') this.#registrations.delete(check.username);
    else
      this.#registrations.set(check.username, {
        contact: plain,
        expiresAt: Date.now() + expires * 1000,
      });
    this.#logger.info({ source, username: check.username, expires }, 'sip: registered');
    this.respond(
      request,
      200,
      'OK',
      expires === 0 ? {} : { contact: `${plain};expires=${expires}`, expires: String(expires) },
    );
  }

  /** Token bucket per source address for new out-of-dialog requests. */
  #admit(source: Peer): boolean {
    const rate = this.#config.invitesPerSecondPerSource;
    const now = Date.now();
    let bucket = this.#buckets.get(source.address);
    if (!bucket) {
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
      bucket = { tokens: rate * 2, at: now, warned: false };
      this.#buckets.set(source.address, bucket);
    }
    bucket.tokens = Math.min(rate * 2, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      if (bucket.tokens >= rate) bucket.warned = false;
      return true;
    }
    if (!bucket.warned) {
      bucket.warned = true;
      this.#logger.warn(
        { source: source.address, perSecond: rate, code: 'SIP_FLOOD' },
        'sip: dropping requests from a source over sip.invitesPerSecondPerSource',
      );
    }
    return false;
  }

  #malformed(raw: Buffer, source: Peer, error: Error): void {
    if (!this.#admit(source)) return;
    this.#logger.warn(
      { source, error: error.message, code: 'SIP_MALFORMED' },
      'sip: malformed message',
    );
    const response = badRequestFor(raw, error.message);
    if (response) this.#send(response, source);
  }
}

/** This machine's first external IPv4 address (SIP listens on every interface), else loopback. */
function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? [])
      if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return '127.0.0.1';
}

function dialogKey(callId: string, remoteTag: string, localTag: string): string {
  return `${callId}|${remoteTag}|${localTag}`;
}

function sourceList(addresses: string[]): BlockList {
  const list = new BlockList();
  for (const entry of addresses) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address!, family);
    else list.addSubnet(address!, Number(prefix), family);
  }
  return list;
}

function matches(list: BlockList, address: string): boolean {
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** An SDP offer with an audio stream that can carry PCMA or PCMU. */
export function hasG711Offer(request: SipRequest): boolean {
  const type = (header(request, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/sdp' || request.body.trim() === '') return false;
  try {
    const sdp = parseSdp(request.body);
    return sdp.media.some(
      (m) =>
        m.type === 'audio' &&
        m.port > 0 &&
        String(m.payloads ?? '')
          .split(' ')
          .some((pt) => {
            const rtp = m.rtp.find((r) => String(r.payload) === pt);
            if (rtp) return /^(PCMU|PCMA)$/i.test(rtp.codec) && rtp.rate === 8000;
            return pt === '0' || pt === '8';
          }),
    );
  } catch {
    return false;
  }
}

export function buildResponse(
  request: SipRequest,
  source: Peer,
  status: number,
  reason: string,
  extra: ExtraHeaders,
  localTag: string | undefined,
): SipResponse {
  const headers = new Map<string, string[]>();
  const vias = [...(request.headers.get('via') ?? [])];
  if (vias.length > 0) {
    // RFC 3261 §18.2.1 and RFC 3581: say where the request really came from.
    let top = vias[0]!.replace(/;\s*rport(?=;|$)/i, `;rport=${source.port}`);
    if (!/;\s*received=/i.test(top)) top += `;received=${source.address}`;
    vias[0] = top;
  }
  headers.set('via', vias);
  headers.set('from', [header(request, 'from')!]);
  let to = header(request, 'to')!;
  if (status > 100 && tagOf(to) === undefined) to += `;tag=${localTag ?? newTag()}`;
  headers.set('to', [to]);
  headers.set('call-id', [header(request, 'call-id')!]);
  headers.set('cseq', [header(request, 'cseq')!]);
  headers.set('server', ['callflow']);
  let body = '';
  for (const [name, value] of Object.entries(extra)) {
    if (name === 'body') body = String(value);
    else headers.set(name, Array.isArray(value) ? value : [value]);
  }
  return { kind: 'response', status, reason, headers, body };
}

/** A 400 for a request that did not parse, when enough of it can be read to address one. */
function badRequestFor(raw: Buffer, why: string): SipResponse | undefined {
  const text = raw.subarray(0, 16_384).toString('latin1');
  if (!/^[A-Z]+ \S+ SIP\/2\.0\r\n/.test(text) || text.startsWith('ACK ')) return undefined;
  const get = (re: RegExp) => re.exec(text)?.[1]?.trim();
  const via = get(/\r\n(?:via|v)[ \t]*:([^\r\n]{1,1000})/i);
  const from = get(/\r\n(?:from|f)[ \t]*:([^\r\n]{1,1000})/i);
  const to = get(/\r\n(?:to|t)[ \t]*:([^\r\n]{1,1000})/i);
  const callId = get(/\r\n(?:call-id|i)[ \t]*:([^\r\n]{1,1000})/i);
  const cseq = get(/\r\n(?:cseq)[ \t]*:([^\r\n]{1,100})/i);
  if (!via || !from || !to || !callId || !cseq) return undefined;
  const headers = new Map<string, string[]>([
    ['via', [via]],
    ['from', [from]],
    ['to', [to]],
    ['call-id', [callId]],
    ['cseq', [cseq]],
    ['server', ['callflow']],
    ['warning', [`399 callflow "${why.replace(/["\\]/g, '')}"`]],
  ]);
  return { kind: 'response', status: 400, reason: 'Bad Request', headers, body: '' };
}
