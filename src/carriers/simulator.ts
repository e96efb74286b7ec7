/**
 * The carrier simulator: an SMPP 3.4 server on loopback that behaves like an Indian
 * aggregator's SMSC, for `callflow serve` without a real carrier, `callflow carrier-sim`,
 * and tests.
 *
 * It checks bind credentials (unknown system_id -> ESME_RINVSYSID, wrong password ->
 * ESME_RINVPASWD), optionally requires the DLT TLVs (ESME_RMISSINGTLV when absent), answers
 * submit_sm with a distinct hex message ID per part, throttles above `maxSubmitsPerSecond`
 * (ESME_RTHROTTLED), and sends a receipt per part after `receiptDelayMs`: drawn from a
 * seeded outcome mix, or fixed by destination rules (MAGIC_RULES in sim/outcomes.ts).
 * A receipt goes to the session that submitted, else to any receiving bind (transceiver or
 * receiver) of the system_id, else waits for the next one; one answered with an error is sent again
 * after `receiptRetryMs`, like a real SMSC. For tests it can drop connections, delay its
 * responses and use decimal or zero-padded IDs in receipts. It records every submit in
 * memory (`received()`) and optionally as JSON lines in `recordFile`.
 */
import { appendFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import smpp, { type PDU, type Server, type Session } from 'smpp';
import {
  type DestinationRule,
  drawOutcome,
  MAGIC_RULES,
  type OutcomeMix,
  ruleFor,
  seededRandom,
} from './sim/outcomes.ts';
import { captureLastPdu, type RawSubmitSm, readSubmitSm } from './sim/raw-submit.ts';
import { buildReceipt, type ReceiptIdStyle, type SimulatedReceipt } from './sim/receipts.ts';
import { type DltTags, type SimulatedSubmit, submitRecord } from './sim/record.ts';
import { ESME } from './smpp/command-status.ts';

export type { SimulatedReceipt, SimulatedSubmit };

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port; start() returns it. */
  port?: number;
  systemId: string;
  password: string;
  /** Delay before a part's receipt, ms. Default 0. */
  receiptDelayMs?: number;
  /** Default { delivered: 1 }. */
  outcomes?: OutcomeMix;
  /** Seed of the outcome draw. Default 1. */
  seed?: number;
  /** Rules by destination; default MAGIC_RULES. Pass [] to use the mix only. */
  rules?: readonly DestinationRule[];
  /** Delay before answering each submit_sm, ms. Default 0. */
  responseDelayMs?: number;
  /** More accepted submits than this in one second are answered ESME_RTHROTTLED; 0 = no limit. */
  maxSubmitsPerSecond?: number;
  /** Close the connection, unanswered, when the Nth submit arrives (once). */
  dropAfterSubmits?: number;
  /** Refuse submits without these DLT TLVs (ESME_RMISSINGTLV). */
  requireTlvs?: { entityId?: boolean; templateId?: boolean; tmChain?: boolean };
  /** DLT tags the simulator reads. Default 0x1400 / 0x1401 / 0x1402. */
  tlvTags?: { entityId?: number; templateId?: number; tmChain?: number };
  /** The form of IDs in receipts (text and TLV): hex as in submit_sm_resp, or decimal. */
  receiptIdFormat?: 'hex' | 'decimal';
  /** Zero-pad receipt IDs to this width. Default 0 (no padding). */
  receiptIdWidth?: number;
  /** Send the receipted_message_id TLV (default true); the text id: is always there. */
  receiptedMessageIdTlv?: boolean;
  /** false: leave enquire_link unanswered, as a hung SMSC would. Default true. */
  answerEnquireLink?: boolean;
  /** Delay before sending again a receipt answered with an error, ms. Default 1000. */
  receiptRetryMs?: number;
  /** Append each received submit as one JSON line to this file. */
  recordFile?: string;
  /** Serve SMPP over TLS with this private key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

export interface SimulatorStats {
  connections: number;
  binds: number;
  bindFailures: number;
  submits: number;
  accepted: number;
  throttled: number;
  rejected: number;
  /** Most submit_sm received and not yet answered at any moment. */
  maxOutstanding: number;
  receiptsSent: number;
  receiptsAcked: number;
  enquireLinks: number;
  unbinds: number;
  drops: number;
}

interface SessionState {
  session: Session;
  /** Set once bound. */
  systemId: string | null;
  /** Bound as transceiver or receiver: may be sent receipts. */
  receives: boolean;
  lastPdu: () => Buffer | undefined;
  /** Receipts sent on this session and not yet answered, with their deliver_sm fields. */
  unacked: Map<SimulatedReceipt, Record<string, unknown>>;
}

const SYSTEM_ID = 'CALLFLOWSIM';
const BIND_COMMANDS = ['bind_transceiver', 'bind_transmitter', 'bind_receiver'];

export class CarrierSimulator {
  readonly #options: SimulatorOptions;
  readonly #random: () => number;
  readonly #tags: DltTags;
  readonly #receiptIds: ReceiptIdStyle;
  #server: Server | undefined;
  #sessions = new Set<SessionState>();
  /** Every open connection, including retired ones still closing; stop() destroys them all. */
  #connections = new Set<SessionState>();
  #timers = new Set<NodeJS.Timeout>();
  #received: SimulatedSubmit[] = [];
  #receipts: SimulatedReceipt[] = [];
  /** Receipts waiting for a bound session, with the system_id they belong to. */
  #undelivered: { receipt: SimulatedReceipt; systemId: string; pdu: Record<string, unknown> }[] =
    [];
  #acceptedAt: number[] = [];
  #nextId = 0x1a2b3c00;
  #outstanding = 0;
  #dropArmed: boolean;
  #recording: Promise<void> = Promise.resolve();
  #stats: SimulatorStats = {
    connections: 0,
    binds: 0,
    bindFailures: 0,
    submits: 0,
    accepted: 0,
    throttled: 0,
    rejected: 0,
    maxOutstanding: 0,
    receiptsSent: 0,
    receiptsAcked: 0,
    enquireLinks: 0,
    unbinds: 0,
    drops: 0,
  };

  constructor(options: SimulatorOptions) {
    this.#options = options;
    this.#random = seededRandom(options.seed ?? 1);
    this.#tags = { entityId: 0x1400, templateId: 0x1401, tmChain: 0x1402, ...options.tlvTags };
    this.#receiptIds = {
      format: options.receiptIdFormat ?? 'hex',
      width: options.receiptIdWidth ?? 0,
      tlv: options.receiptedMessageIdTlv !== false,
    };
    this.#dropArmed = (options.dropAfterSubmits ?? 0) > 0;
  }

  async start(): Promise<{ port: number; host: string }> {
    const host = this.#options.host ?? '127.0.0.1';
    const tls = this.#options.tls;
    const server = smpp.createServer(tls ? { key: tls.key, cert: tls.cert } : {}, (session) =>
      this.#onSession(session),
    );
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return { port: (server.address() as AddressInfo).port, host };
  }

  /** Every submit received, oldest first. */
  received(): SimulatedSubmit[] {
    return this.#received.map((submit) => ({ ...submit }));
  }

  receipts(): SimulatedReceipt[] {
    return this.#receipts.map((receipt) => ({ ...receipt, responses: [...receipt.responses] }));
  }

  stats(): SimulatorStats {
    return { ...this.#stats, connections: this.#sessions.size };
  }

  /** Destroys every connection now, as a carrier-side failure would. */
  dropConnections(): void {
    for (const state of this.#sessions) {
      this.#stats.drops++;
      state.session.destroy();
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const state of this.#connections) state.session.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.#recording;
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #onSession(session: Session): void {
    const state: SessionState = {
      session,
      systemId: null,
      receives: false,
      lastPdu: captureLastPdu(session),
      unacked: new Map(),
    };
    this.#sessions.add(state);
    this.#connections.add(state);
    // A client that resets is normal; after a PDU it cannot parse, `smpp` stops reading.
    session.on('error', () => session.destroy());
    session.on('close', () => {
      this.#connections.delete(state);
      this.#retire(state);
    });
    for (const command of BIND_COMMANDS) {
      session.on(command, (pdu: PDU) => this.#onBind(state, command, pdu));
    }
    session.on('submit_sm', (pdu: PDU) => this.#onSubmit(state, pdu));
    session.on('enquire_link', (pdu: PDU) => {
      this.#stats.enquireLinks++;
      if (this.#options.answerEnquireLink !== false) session.send(pdu.response());
    });
    session.on('unbind', (pdu: PDU) => {
      this.#stats.unbinds++;
      session.send(pdu.response());
      session.close();
    });
    session.on('unknown', (pdu: PDU) => session.send(pdu.response()));
  }

  #onBind(state: SessionState, command: string, pdu: PDU): void {
    const { systemId, password } = this.#options;
    let status: number = ESME.ROK;
    if (state.systemId !== null) status = ESME.RALYBND;
    else if (pdu.system_id !== systemId) status = ESME.RINVSYSID;
    else if (pdu.password !== password) status = ESME.RINVPASWD;
    if (status !== ESME.ROK) {
      this.#stats.bindFailures++;
      state.session.send(pdu.response({ command_status: status }));
      return;
    }
    this.#stats.binds++;
    state.systemId = String(pdu.system_id);
    state.receives = command !== 'bind_transmitter';
    state.session.send(pdu.response({ system_id: SYSTEM_ID }));
    if (state.receives) this.#flushUndelivered();
  }

  #onSubmit(state: SessionState, pdu: PDU): void {
    const { session } = state;
    this.#stats.submits++;
    if (state.systemId === null) {
      session.send(pdu.response({ command_status: ESME.RINVBNDSTS }));
      return;
    }
    const raw = this.#readRaw(state, pdu);
    if (!raw) {
      session.send(pdu.response({ command_status: ESME.RSYSERR }));
      return;
    }
    const record = this.#record(state.systemId, raw);
    if (this.#dropArmed && this.#stats.submits >= this.#options.dropAfterSubmits!) {
      this.#dropArmed = false;
      this.#stats.drops++;
      // end() flushes the responses already written, then closes: this one stays unanswered.
      session.pause();
      session.close();
      // Nothing more goes out on this connection, receipts included.
      this.#retire(state);
      return;
    }
    const rule = ruleFor(this.#options.rules ?? MAGIC_RULES, raw.destinationAddr);
    if (rule?.respond === false) return;
    this.#outstanding++;
    this.#stats.maxOutstanding = Math.max(this.#stats.maxOutstanding, this.#outstanding);
    const delay = rule?.responseDelayMs ?? this.#options.responseDelayMs ?? 0;
    const answer = () => {
      this.#outstanding--;
      if (session.socket.destroyed) return;
      this.#answer(state, pdu, raw, record, rule);
    };
    if (delay > 0) this.#later(delay, answer);
    else answer();
  }

  /** The submit_sm as sent; undefined for a malformed PDU (or if `smpp` changed how it reads). */
  #readRaw(state: SessionState, pdu: PDU): RawSubmitSm | undefined {
    const bytes = state.lastPdu();
    try {
      const raw = bytes && readSubmitSm(bytes);
      return raw && raw.sequenceNumber === pdu.sequence_number ? raw : undefined;
    } catch {
      return undefined;
    }
  }

  #answer(
    state: SessionState,
    pdu: PDU,
    raw: RawSubmitSm,
    record: SimulatedSubmit,
    rule: DestinationRule | undefined,
  ): void {
    const status = this.#submitStatus(raw, rule);
    record.commandStatus = status;
    if (status !== ESME.ROK) {
      if (status === ESME.RTHROTTLED) this.#stats.throttled++;
      else this.#stats.rejected++;
      state.session.send(pdu.response({ command_status: status }));
      return;
    }
    this.#stats.accepted++;
    const messageId = (this.#nextId++).toString(16);
    record.messageId = messageId;
    state.session.send(pdu.response({ message_id: messageId }));
    const outcome = rule?.receipt ?? drawOutcome(this.#options.outcomes ?? {}, this.#random);
    if ((raw.registeredDelivery & 0x03) === 0 || outcome === 'none') return;
    this.#later(this.#options.receiptDelayMs ?? 0, () => {
      const { receipt, pdu } = buildReceipt(
        record,
        messageId,
        outcome,
        this.#receiptIds,
        new Date(),
      );
      this.#receipts.push(receipt);
      this.#deliver(receipt, record.systemId, pdu, state);
    });
  }

  #submitStatus(raw: RawSubmitSm, rule: DestinationRule | undefined): number {
    const required = this.#options.requireTlvs ?? {};
    for (const field of ['entityId', 'templateId', 'tmChain'] as const) {
      if (required[field] && !raw.tlvs.has(this.#tags[field])) return ESME.RMISSINGTLV;
    }
    if (rule?.submitStatus !== undefined) return rule.submitStatus;
    const limit = this.#options.maxSubmitsPerSecond ?? 0;
    if (limit > 0) {
      const now = performance.now();
      while (this.#acceptedAt.length > 0 && this.#acceptedAt[0]! <= now - 1000) {
        this.#acceptedAt.shift();
      }
      if (this.#acceptedAt.length >= limit) return ESME.RTHROTTLED;
      this.#acceptedAt.push(now);
    }
    return ESME.ROK;
  }

  #record(systemId: string, raw: RawSubmitSm): SimulatedSubmit {
    const record = submitRecord(systemId, raw, this.#tags, new Date());
    this.#received.push(record);
    const file = this.#options.recordFile;
    if (file) {
      // Appends are chained so lines keep their order; stop() waits for the last.
      this.#recording = this.#recording.then(() =>
        appendFile(file, `${JSON.stringify(record)}\n`).catch(() => {}),
      );
    }
    return record;
  }

  /** Sends on `preferred` when it can, else on any receiving bind of the system_id, else waits. */
  #deliver(
    receipt: SimulatedReceipt,
    systemId: string,
    pdu: Record<string, unknown>,
    preferred?: SessionState,
  ): void {
    const target =
      preferred?.receives && this.#sessions.has(preferred)
        ? preferred
        : [...this.#sessions].find((s) => s.receives && s.systemId === systemId);
    if (!target) {
      this.#undelivered.push({ receipt, systemId, pdu });
      return;
    }
    receipt.attempts++;
    this.#stats.receiptsSent++;
    target.unacked.set(receipt, pdu);
    // A copy: the package rewrites short_message and esm_class while encoding.
    target.session.deliver_sm({ ...pdu }, (resp) => {
      target.unacked.delete(receipt);
      receipt.responses.push(resp.command_status);
      if (resp.command_status === ESME.ROK) {
        receipt.ackedAt = new Date().toISOString();
        this.#stats.receiptsAcked++;
        return;
      }
      this.#later(this.#options.receiptRetryMs ?? 1000, () =>
        this.#deliver(receipt, systemId, pdu),
      );
    });
  }

  /**
   * Takes a closing session out of service: receipts it never acknowledged are kept for the
   * client's next bind (sent at once if the client has already bound again).
   */
  #retire(state: SessionState): void {
    if (!this.#sessions.delete(state)) return;
    for (const [receipt, pdu] of state.unacked) {
      this.#undelivered.push({ receipt, systemId: state.systemId!, pdu });
    }
    const hadUnacked = state.unacked.size > 0;
    state.unacked.clear();
    if (hadUnacked) this.#flushUndelivered();
  }

  #flushUndelivered(): void {
    for (const { receipt, systemId, pdu } of this.#undelivered.splice(0)) {
      this.#deliver(receipt, systemId, pdu);
    }
  }
}
