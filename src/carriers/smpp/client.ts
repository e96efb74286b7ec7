/**
 * The SMPP 3.4 carrier: one transceiver bind over the `smpp` package, plus what that package
 * lacks: flow control (SubmitWindow: window, throughput, response timeouts), enquire_link
 * supervision, and reconnects with exponential back-off.
 *
 * On connection loss every part in flight or queued resolves CARRIER_UNAVAILABLE and a
 * reconnect is scheduled: minMs, doubling up to maxMs, +-20 % jitter so that many workers do
 * not reconnect in step; the delay resets after a successful bind. A refused bind (wrong
 * password) is retried the same way and shows in status().lastError. An unanswered
 * enquire_link means a dead connection: it is dropped and re-established.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import smpp, { type PDU, type Session } from 'smpp';
import { coerceError } from '../../errors.ts';
import type {
  Carrier,
  CarrierLogger,
  CarrierState,
  CarrierStatus,
  CarrierSubmit,
  ReceiptHandler,
  SubmitOutcome,
} from '../types.ts';
import { silentLogger } from '../types.ts';
import { describeCommandStatus, ESME } from './command-status.ts';
import {
  type ResolvedSmppCarrierConfig,
  resolveSmppCarrierConfig,
  type SmppCarrierConfig,
} from './config.ts';
import { messageOutcome, unavailable } from './outcome.ts';
import { isReceiptEsmClass, receiptFromDeliverSm } from './receipt.ts';
import { buildSubmitParts } from './submit-pdu.ts';
import { SubmitWindow } from './submit-window.ts';

/** SMPP 3.4 in bind's interface_version (the `smpp` package defaults to 0x50, SMPP 5.0). */
const INTERFACE_VERSION_34 = 0x34;
/** How many recent carrier IDs `auto` receipt matching remembers (about 10 MB at most). */
const KNOWN_IDS_LIMIT = 100_000;
/** Longest wait for unbind_resp, and then for the socket to close, at stop() or after an unbind. */
const UNBIND_TIMEOUT_MS = 2000;

/**
 * Sends a request and waits for its response: null on timeout, or when the connection
 * closes first (so nothing waits for an answer that cannot come).
 */
function request(
  session: Session,
  send: (callback: (resp: PDU) => void) => boolean,
  timeoutMs: number,
): Promise<PDU | null> {
  if (session.socket.destroyed) return Promise.resolve(null);
  return new Promise((resolve) => {
    const finish = (resp: PDU | null) => {
      clearTimeout(timer);
      session.off('close', onClose);
      resolve(resp);
    };
    const onClose = () => finish(null);
    const timer = setTimeout(onClose, timeoutMs);
    session.once('close', onClose);
    if (!send(finish)) finish(null);
  });
}

export interface SmppCarrierOptions {
  logger?: CarrierLogger;
}

export class SmppCarrier implements Carrier {
  readonly name: string;
  readonly #config: ResolvedSmppCarrierConfig;
  readonly #log: CarrierLogger;
  readonly #window: SubmitWindow;
  #state: CarrierState = 'disconnected';
  #started = false;
  #stopping: Promise<void> | undefined;
  #session: Session | null = null;
  #reconnectAttempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #enquireInterval: NodeJS.Timeout | undefined;
  #enquiring = false;
  #reference = Math.floor(Math.random() * 256);
  #handler: ReceiptHandler | undefined;
  #receiptsInProgress = new Set<Promise<void>>();
  #knownIds = new Set<string>();
  #boundWaiters = new Map<(bound: boolean) => void, NodeJS.Timeout>();
  #lastError: string | undefined;
  /** What tls.connect gets besides host and port; null for plain TCP. */
  readonly #tlsOptions: { ca?: Buffer; servername?: string } | null;

  constructor(config: SmppCarrierConfig, options: SmppCarrierOptions = {}) {
    this.#config = resolveSmppCarrierConfig(config);
    this.name = this.#config.name;
    this.#tlsOptions = tlsOptions(this.#config);
    this.#log = options.logger ?? silentLogger;
    this.#window = new SubmitWindow({ carrier: this.name, ...this.#config }, this.#log, (id) =>
      this.#remember(id),
    );
  }

  async start(): Promise<void> {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    await this.#connect();
  }

  /** Resolves true once bound, false after `timeoutMs` or at stop(). */
  waitUntilBound(timeoutMs: number): Promise<boolean> {
    if (this.#state === 'bound') return Promise.resolve(true);
    if (this.#stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (bound: boolean) => {
        clearTimeout(this.#boundWaiters.get(waiter));
        this.#boundWaiters.delete(waiter);
        resolve(bound);
      };
      this.#boundWaiters.set(
        waiter,
        setTimeout(() => waiter(false), timeoutMs),
      );
    });
  }

  onReceipt(handler: ReceiptHandler): void {
    this.#handler = handler;
  }

  status(): CarrierStatus {
    const status: CarrierStatus = {
      name: this.name,
      state: this.#state,
      inFlight: this.#window.inFlight,
      queued: this.#window.queued,
      window: this.#config.window,
      submitted: this.#window.submitted,
      throttled: this.#window.throttled,
    };
    if (this.#lastError !== undefined) status.lastError = this.#lastError;
    return status;
  }

  availableWindow(): number {
    return this.#state === 'bound' ? this.#window.available() : 0;
  }

  async submit(msg: CarrierSubmit): Promise<SubmitOutcome> {
    const reference = msg.parts.length > 1 ? this.#nextReference() : 0;
    const parts = buildSubmitParts(msg, this.#config, reference);
    if (this.#state !== 'bound') {
      return unavailable(`carrier ${this.name} is ${this.#state}`);
    }
    return messageOutcome(this.name, await this.#window.submit(parts, msg.messageId));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#drainAndClose();
    return this.#stopping;
  }

  /** One connection attempt; resolves once bound or once the attempt has failed. */
  #connect(): Promise<void> {
    const { host, port, tls, responseTimeoutMs } = this.#config;
    this.#state = 'connecting';
    return new Promise((resolve) => {
      // The certificate is verified (Node's default); an untrusted one is a connection error.
      const session = smpp.connect({ host, port, tls, ...this.#tlsOptions });
      this.#session = session;
      const connectTimer = setTimeout(() => {
        this.#lastError = `no connection to ${host}:${port} within ${responseTimeoutMs} ms`;
        session.destroy();
      }, responseTimeoutMs);
      session.on('error', (error: Error) => {
        this.#lastError = error.message;
        this.#log.warn({ carrier: this.name, err: error.message }, 'SMPP connection error');
        // After a PDU it cannot parse, `smpp` stops reading the socket: start afresh.
        session.destroy();
      });
      session.on('close', () => {
        clearTimeout(connectTimer);
        this.#onClose(session);
        resolve();
      });
      session.on(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        void this.#bind(session).then(resolve);
      });
      session.on('submit_sm_resp', (pdu: PDU) => this.#window.onResponse(pdu));
      session.on('generic_nack', (pdu: PDU) => this.#window.onResponse(pdu));
      session.on('deliver_sm', (pdu: PDU) => this.#onDeliverSm(session, pdu));
      session.on('enquire_link', (pdu: PDU) => session.send(pdu.response()));
      session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
      session.on('unbind', (pdu: PDU) => {
        this.#log.warn({ carrier: this.name }, 'the carrier unbound us; reconnecting');
        session.send(pdu.response());
        // The bind is over even while the carrier keeps the socket open: take no more parts,
        // and do not wait for ever for the close that leads to the reconnect.
        if (this.#state === 'bound' && session === this.#session) this.#state = 'disconnected';
        const timer = setTimeout(() => session.destroy(), UNBIND_TIMEOUT_MS);
        session.close(() => clearTimeout(timer));
      });
    });
  }

  async #bind(session: Session): Promise<void> {
    const { systemId, password, systemType, responseTimeoutMs } = this.#config;
    const bind = {
      system_id: systemId,
      password,
      system_type: systemType,
      interface_version: INTERFACE_VERSION_34,
    };
    const resp = await request(
      session,
      (callback) => session.bind_transceiver(bind, callback),
      responseTimeoutMs,
    );
    if (resp?.command_status === ESME.ROK) return this.#onBound(session);
    if (resp) {
      this.#lastError = `bind refused: ${describeCommandStatus(resp.command_status)}`;
      this.#log.error({ carrier: this.name, systemId }, this.#lastError);
    } else if (!session.socket.destroyed) {
      this.#lastError = `no bind_transceiver_resp within ${responseTimeoutMs} ms`;
    }
    session.destroy();
  }

  #onBound(session: Session): void {
    // Not writable: the carrier unbound us in the same breath as it accepted the bind.
    if (this.#state === 'closed' || session !== this.#session || !session.socket.writable) {
      session.destroy();
      return;
    }
    this.#state = 'bound';
    this.#reconnectAttempt = 0;
    this.#lastError = undefined;
    this.#log.info({ carrier: this.name, host: this.#config.host }, 'SMPP bound (transceiver)');
    this.#enquireInterval = setInterval(
      () => this.#enquireLink(session),
      this.#config.enquireLinkSeconds * 1000,
    );
    for (const waiter of [...this.#boundWaiters.keys()]) waiter(true);
    this.#window.attach(session);
  }

  #enquireLink(session: Session): void {
    if (this.#enquiring) return;
    this.#enquiring = true;
    const ms = this.#config.responseTimeoutMs;
    void request(session, (callback) => session.enquire_link({}, callback), ms).then((resp) => {
      this.#enquiring = false;
      if (resp || session.socket.destroyed) return;
      this.#lastError = `no enquire_link_resp within ${ms} ms`;
      this.#log.warn({ carrier: this.name }, `${this.#lastError}; reconnecting`);
      session.destroy();
    });
  }

  #onClose(session: Session): void {
    if (session !== this.#session) return;
    this.#session = null;
    clearInterval(this.#enquireInterval);
    const wasBound = this.#state === 'bound';
    const lost = this.#window.inFlight;
    this.#window.detach('connection lost');
    if (this.#state === 'closed') return;
    if (wasBound) this.#log.warn({ carrier: this.name, lost }, 'SMPP connection lost');
    this.#state = 'disconnected';
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const { minMs, maxMs } = this.#config.reconnect;
    const base = Math.min(maxMs, minMs * 2 ** this.#reconnectAttempt);
    this.#reconnectAttempt++;
    const delay = Math.min(maxMs, Math.round(base * (0.8 + Math.random() * 0.4)));
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      // The attempt's outcome lands in #state; nothing waits for it here.
      void this.#connect();
    }, delay);
  }

  #nextReference(): number {
    this.#reference = (this.#reference + 1) & 0xff;
    return this.#reference;
  }

  #remember(id: string): void {
    if (this.#config.receiptIdFormat !== 'auto') return;
    this.#knownIds.add(id);
    if (this.#knownIds.size > KNOWN_IDS_LIMIT) {
      this.#knownIds.delete(this.#knownIds.values().next().value!);
    }
  }

  #onDeliverSm(session: Session, pdu: PDU): void {
    const receipt = receiptFromDeliverSm(pdu, {
      carrier: this.name,
      format: this.#config.receiptIdFormat,
      isKnown: (id) => this.#knownIds.has(id),
      receivedAt: new Date(),
    });
    if (!receipt && isReceiptEsmClass(Number(pdu.esm_class ?? 0))) {
      // A receipt naming no message ID cannot be stored, and would come back for ever if
      // refused as transient: refused as permanent, so it is neither acknowledged nor resent.
      this.#log.error(
        { carrier: this.name, from: pdu.source_addr, esmClass: pdu.esm_class },
        'receipt without a message ID; answered ESME_RX_P_APPN',
      );
      session.send(pdu.response({ command_status: ESME.RX_P_APPN }));
      return;
    }
    if (!receipt) {
      this.#log.info(
        { carrier: this.name, from: pdu.source_addr, esmClass: pdu.esm_class },
        'deliver_sm that is not a receipt (MO message); acknowledged and ignored',
      );
      session.send(pdu.response());
      return;
    }
    const handler = this.#handler;
    const work = (async () => {
      let status: number = ESME.ROK;
      try {
        if (!handler) throw new Error('no receipt handler registered');
        await handler(receipt);
      } catch (error) {
        // Not stored: ask the carrier to send it again rather than lose it.
        status = ESME.RX_T_APPN;
        this.#log.error(
          { carrier: this.name, carrierMessageId: receipt.carrierMessageId, err: String(error) },
          'receipt not stored; answered ESME_RX_T_APPN',
        );
      }
      session.send(pdu.response(status === ESME.ROK ? {} : { command_status: status }));
    })();
    this.#receiptsInProgress.add(work);
    void work.finally(() => this.#receiptsInProgress.delete(work));
  }

  async #drainAndClose(): Promise<void> {
    const wasBound = this.#state === 'bound';
    this.#state = 'closed';
    clearTimeout(this.#reconnectTimer);
    for (const waiter of [...this.#boundWaiters.keys()]) waiter(false);
    this.#window.failQueued('carrier stopping');
    // Parts on the wire end by response, timeout or connection loss, and receipt handlers
    // finish: the response timeout bounds both.
    const deadline = performance.now() + this.#config.responseTimeoutMs;
    while (this.#window.inFlight + this.#receiptsInProgress.size > 0) {
      if (performance.now() >= deadline) break;
      await sleep(10);
    }
    const session = this.#session;
    if (!session) return;
    if (!wasBound) return session.destroy();
    await request(session, (callback) => session.unbind({}, callback), UNBIND_TIMEOUT_MS);
    // The carrier usually closes after unbind_resp; otherwise we do.
    if (session.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        session.destroy();
        resolve();
      }, UNBIND_TIMEOUT_MS);
      session.close(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The CA to trust and the name to verify, read once at start-up so a bad path fails then. */
function tlsOptions(
  config: ResolvedSmppCarrierConfig,
): { ca?: Buffer; servername?: string } | null {
  if (!config.tls) return null;
  let ca: Buffer | undefined;
  if (config.tlsCaFile !== undefined) {
    try {
      ca = readFileSync(config.tlsCaFile);
    } catch (error) {
      throw new Error(
        `carrier ${config.name}: cannot read tlsCaFile ${config.tlsCaFile}: ${coerceError(error).message}`,
      );
    }
  }
  return {
    ...(ca && { ca }),
    ...(config.tlsServername !== undefined && { servername: config.tlsServername }),
  };
}
