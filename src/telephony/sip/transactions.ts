/**
 * Server transactions (RFC 3261 §17.2), kept small: a request is matched to its transaction by
 * the Via branch (or, for pre-RFC 3261 peers, by Call-ID, CSeq, From tag and Via sent-by), and a
 * retransmission is answered with the last response sent instead of being run again. A final
 * response to an INVITE over UDP that is not 2xx is retransmitted until the ACK (Timer G/H).
 *
 * One sweep timer ages every transaction out; retransmission timers are tracked so that close()
 * leaves none behind.
 */

import {
  header,
  parseCSeq,
  parseVia,
  type SipRequest,
  type SipResponse,
  tagOf,
} from './message.ts';
import type { Peer } from './transport.ts';

/** RFC 3261 timer values, milliseconds. */
export const T1 = 500;
export const T2 = 4000;
/** How long a completed transaction absorbs retransmissions (64·T1). */
export const TRANSACTION_LINGER_MS = 64 * T1;
/** Most transactions held at once; past it new requests are dropped, not answered. */
export const MAX_TRANSACTIONS = 20_000;

export interface ServerTransaction {
  key: string;
  request: SipRequest;
  source: Peer;
  lastResponse: SipResponse | undefined;
  /** When it may be forgotten (ms since epoch); Infinity while no final response was sent. */
  expiresAt: number;
  /** Retransmission timer of a final non-2xx INVITE response (UDP), until the ACK. */
  retransmit: NodeJS.Timeout | undefined;
  acked: boolean;
}

/** The transaction key of a request; an ACK or CANCEL shares its INVITE's branch. */
export function transactionKey(request: SipRequest, method = request.method): string {
  const via = parseVia(header(request, 'via')!);
  const branch = via.params.get('branch');
  const base =
    branch?.startsWith('z9hG4bK') === true
      ? `${branch}|${via.host}:${via.port ?? ''}`
      : `${header(request, 'call-id')}|${parseCSeq(header(request, 'cseq')!).seq}|${tagOf(header(request, 'from'))}|${via.host}:${via.port ?? ''}`;
  return `${base}|${method}`;
}

export class TransactionTable {
  readonly #table = new Map<string, ServerTransaction>();
  readonly #send: (response: SipResponse, to: Peer) => void;
  readonly #sweeper: NodeJS.Timeout;

  constructor(send: (response: SipResponse, to: Peer) => void) {
    this.#send = send;
    this.#sweeper = setInterval(() => this.#sweep(), 1000);
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#table.size;
  }

  /** Retransmission timers running now (tests check none is left). */
  get timers(): number {
    let n = 0;
    for (const t of this.#table.values()) if (t.retransmit) n++;
    return n;
  }

  get(key: string): ServerTransaction | undefined {
    return this.#table.get(key);
  }

  /** A new transaction, or undefined when the table is full. */
  create(key: string, request: SipRequest, source: Peer): ServerTransaction | undefined {
    if (this.#table.size >= MAX_TRANSACTIONS) return undefined;
    const transaction: ServerTransaction = {
      key,
      request,
      source,
      lastResponse: undefined,
      expiresAt: Number.POSITIVE_INFINITY,
      retransmit: undefined,
      acked: false,
    };
    this.#table.set(key, transaction);
    return transaction;
  }

  /**
   * Sends a response in the transaction and remembers it for retransmissions. `retransmit`
   * false: a final INVITE response is sent once (and again only when the INVITE is).
   */
  respond(transaction: ServerTransaction, response: SipResponse, retransmit = true): void {
    transaction.lastResponse = response;
    this.#send(response, transaction.source);
    if (response.status < 200) return;
    transaction.expiresAt = Date.now() + TRANSACTION_LINGER_MS;
    const isInvite = transaction.request.method === 'INVITE';
    if (
      retransmit &&
      isInvite &&
      response.status >= 300 &&
      transaction.source.transport === 'UDP'
    ) {
      let interval = T1;
      const deadline = Date.now() + TRANSACTION_LINGER_MS;
      const again = () => {
        if (transaction.acked || Date.now() >= deadline) {
          transaction.retransmit = undefined;
          return;
        }
        this.#send(response, transaction.source);
        interval = Math.min(interval * 2, T2);
        transaction.retransmit = setTimeout(again, interval);
      };
      transaction.retransmit = setTimeout(again, interval);
    }
  }

  /** The ACK for a non-2xx final response arrived: stop retransmitting it. */
  acknowledge(transaction: ServerTransaction): void {
    transaction.acked = true;
    if (transaction.retransmit) clearTimeout(transaction.retransmit);
    transaction.retransmit = undefined;
  }

  /** Answers a retransmitted request from the transaction (nothing yet: nothing to send). */
  retransmission(transaction: ServerTransaction): void {
    if (transaction.lastResponse) this.#send(transaction.lastResponse, transaction.source);
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, t] of this.#table) {
      if (t.expiresAt <= now) {
        if (t.retransmit) clearTimeout(t.retransmit);
        this.#table.delete(key);
      }
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const t of this.#table.values()) if (t.retransmit) clearTimeout(t.retransmit);
    this.#table.clear();
  }
}
