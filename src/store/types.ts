/**
 * The Store: every durable thing callflow keeps, behind one interface with two adapters
 * (node:sqlite, the embedded default, and PostgreSQL). One contract test suite runs against both.
 *
 * Glossary:
 * - account: a tenant, identified by its SID; holds a prepaid balance in integer paise.
 * - message: one SMS, identified by its SmsSid. The messages table is also the outbox: a queued row
 *   is a job; a worker claims it with a lease (leaseOwner, leaseUntil) and must release it on every path.
 * - transition: one change of a message's status, with its time (the message's timeline).
 * - part: one segment of a message as submitted to a carrier, with the carrier's message ID.
 * - pending receipt: a delivery receipt that arrived before its part was recorded; applied when it is.
 * - ledger entry: one debit, refund or top-up of an account's balance.
 * - callback: a status callback waiting to be POSTed (durable outbox, retried with backoff).
 *
 * - lease: a claim on a queued or sending message (or a callback job) by one worker until leaseUntil.
 *   While a message is leased its nextAttemptAt equals leaseUntil, so the claim query is one
 *   index range scan and an expired lease makes the message due again by itself.
 *
 * All amounts are integer paise. All times are Date objects; the store reads time only through the
 * clock it was given, so tests control it.
 */

import type { ReasonCode } from '../errors.ts';
import type { AdminsRepo, CarriersRepo } from './carrier-types.ts';
import type { CallsRepo, FlowsRepo, NumbersRepo } from './flow-types.ts';
import type { MessageSummaryQuery, MessageSummaryRow } from './summary.ts';

export type * from './carrier-types.ts';
export type * from './flow-types.ts';
export type {
  MessageSummaryQuery,
  MessageSummaryRow,
  OffsetSegment,
  SummaryGroup,
} from './summary.ts';

/** The SMS types, and a message's states in the order it passes through them: one list each. */
export const SMS_TYPES = ['transactional', 'service', 'promotional'] as const;
export type SmsType = (typeof SMS_TYPES)[number];
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'submitted',
  'delivered',
  'undelivered',
  'failed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export const FINAL_STATUSES: readonly MessageStatus[] = ['delivered', 'undelivered', 'failed'];

export type TemplateCategory =
  | 'transactional'
  | 'service-implicit'
  | 'service-explicit'
  | 'promotional';
export type TemplateStatus = 'approved' | 'pending' | 'rejected' | 'inactive';
export type ActiveStatus = 'active' | 'inactive';

export interface Rates {
  /** Paise per segment, per SMS type. */
  transactional: number;
  service: number;
  promotional: number;
}

export interface Account {
  sid: string;
  name: string;
  /** IANA zone used for {DateTime} and reports, default Asia/Kolkata. */
  timeZone: string;
  balancePaise: number;
  rates: Rates;
  /** Secret for X-Callflow-Signature HMACs on status callbacks. */
  webhookSecret: string;
  /** Text-to-speech voice of real calls (VOICE_NAMES); null: the configured default. */
  voice: string | null;
  createdAt: Date;
}

export interface ApiKey {
  id: string;
  accountSid: string;
  /** The public half, sent as the Basic auth user name. */
  key: string;
  /** scrypt or sha256 hash of the token; the token itself is shown once at creation. */
  tokenHash: string;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface DltEntityRecord {
  accountSid: string;
  entityId: string;
  name: string;
  status: ActiveStatus;
  /** TM IDs after the PE for the PE-TM chain hash, when the carrier wants one. */
  tmChain: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface DltHeaderRecord {
  accountSid: string;
  entityId: string;
  senderId: string;
  /** Which SMS type the header is registered for. */
  smsType: SmsType;
  status: ActiveStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface DltTemplateRecord {
  accountSid: string;
  templateId: string;
  entityId: string;
  name: string;
  content: string;
  category: TemplateCategory;
  status: TemplateStatus;
  /** Headers the template is linked to on the DLT portal. Empty: no link recorded, any header of the entity. */
  senderIds: string[];
  /**
   * NCPR preference category (1-7) of a promotional or service-explicit template, used to scrub
   * against partial DND preferences. Null or absent: unknown, and then any partial preference
   * blocks the message (the strict default).
   */
  ncprCategory?: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface WhitelistEntry {
  accountSid: string;
  entityId: string;
  kind: 'url' | 'cbn';
  value: string;
  createdAt: Date;
}

export interface DndRecord {
  accountSid: string;
  /** E.164. */
  number: string;
  /** 0 = fully blocked; 1-7 = blocked categories (NCPR). Empty = no preference. */
  preferences: number[];
  updatedAt: Date;
}

export interface ConsentRecord {
  accountSid: string;
  number: string;
  entityId: string;
  /** A template ID, or null for consent to all of the entity's templates. */
  templateId: string | null;
  grantedAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export type Origin =
  | { kind: 'api' }
  | { kind: 'exotel' }
  | { kind: 'flow'; callSid: string; flowId: string; appletId: string };

/** What the outbox row needs at the time of writing; the worker fills the rest. */
export interface NewMessage {
  sid: string;
  accountSid: string;
  origin: Origin;
  to: string;
  senderId: string;
  body: string;
  smsType: SmsType;
  dltEntityId: string;
  dltTemplateId: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  statusCallback: string | null;
  /** How status callbacks are sent: our JSON, or Exotel's form fields. */
  callbackFormat: 'json' | 'exotel';
  customField: string | null;
  idempotencyKey: string | null;
  /** Hash of the request that used the idempotency key, to detect reuse with a different request. */
  requestHash: string | null;
  /** After this, the message fails EXPIRED instead of being submitted. */
  validUntil: Date;
}

export interface Message extends NewMessage {
  status: MessageStatus;
  reasonCode: ReasonCode | null;
  reasonDetail: string | null;
  /**
   * Debited price; null until debited (a requeued, already-paid message is not charged twice);
   * 0 after a refund.
   */
  pricePaise: number | null;
  carrier: string | null;
  carrierMessageIds: string[];
  /** Claims so far (each claim by a worker counts one). */
  attempts: number;
  /** When a worker may next claim it; while leased, the lease expiry. */
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  submittedAt: Date | null;
  doneAt: Date | null;
}

export interface Transition {
  messageSid: string;
  status: MessageStatus;
  at: Date;
  reasonCode: ReasonCode | null;
  detail: string | null;
}

export type PartState =
  | 'submitted'
  | 'DELIVERED'
  | 'EXPIRED'
  | 'DELETED'
  | 'UNDELIVERABLE'
  | 'ACCEPTED'
  | 'UNKNOWN'
  | 'REJECTED'
  | 'ENROUTE';

export interface MessagePart {
  messageSid: string;
  seq: number;
  carrier: string;
  carrierMessageId: string;
  state: PartState;
  errorCode: string | null;
  updatedAt: Date;
}

export interface ReceiptInput {
  carrier: string;
  carrierMessageId: string;
  /** Other forms the same ID may have had in submit_sm_resp (hex/decimal); tried after carrierMessageId. */
  alternateIds?: string[];
  state: Exclude<PartState, 'submitted'>;
  final: boolean;
  errorCode: string | null;
  receivedAt: Date;
}

export interface LedgerEntry {
  id: string;
  accountSid: string;
  messageSid: string | null;
  kind: 'debit' | 'refund' | 'topup';
  /** Signed: debits are negative. */
  amountPaise: number;
  balanceAfterPaise: number;
  at: Date;
  note: string | null;
}

export interface CallbackJob {
  id: string;
  accountSid: string;
  messageSid: string;
  url: string;
  format: 'json' | 'exotel';
  attempts: number;
  nextAttemptAt: Date;
  status: 'pending' | 'delivered' | 'failed';
  lastError: string | null;
  createdAt: Date;
}

export interface MessageFilter {
  status?: MessageStatus;
  to?: string;
  from?: string;
  since?: Date;
  until?: Date;
  callSid?: string;
  flowId?: string;
  smsType?: SmsType;
  dltTemplateId?: string;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Null at the end. */
  nextCursor: string | null;
}

/**
 * Outcome of the debit that moves a claimed message to `sending`. LEASE_LOST: the message is no
 * longer queued under this owner's lease (another worker took it); nothing was written.
 */
export type DebitResult =
  | { ok: true; balanceAfterPaise: number }
  | { ok: false; code: 'INSUFFICIENT_BALANCE' }
  | { ok: false; code: 'LEASE_LOST' };

export interface AccountsRepo {
  create(input: {
    sid: string;
    name: string;
    timeZone?: string;
    balancePaise: number;
    rates: Rates;
    webhookSecret: string;
  }): Promise<Account>;
  get(sid: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  update(
    sid: string,
    patch: Partial<Pick<Account, 'name' | 'timeZone' | 'rates' | 'webhookSecret' | 'voice'>>,
  ): Promise<Account | undefined>;
  /**
   * Adds (or with a negative amount, removes) balance with a ledger entry. Throws CallflowError
   * NOT_FOUND for an unknown account, INSUFFICIENT_BALANCE when a removal would go below zero.
   */
  topup(sid: string, amountPaise: number, note: string | null): Promise<LedgerEntry>;
  ledger(sid: string, limit: number): Promise<LedgerEntry[]>;
  createApiKey(input: Omit<ApiKey, 'createdAt' | 'revokedAt'>): Promise<ApiKey>;
  /** The key with its account, unless it is revoked. */
  findApiKey(key: string): Promise<ApiKey | undefined>;
  listApiKeys(accountSid: string): Promise<ApiKey[]>;
  revokeApiKey(accountSid: string, id: string): Promise<boolean>;
}

export interface DltRepo {
  upsertEntity(e: Omit<DltEntityRecord, 'createdAt' | 'updatedAt'>): Promise<DltEntityRecord>;
  getEntity(accountSid: string, entityId: string): Promise<DltEntityRecord | undefined>;
  listEntities(accountSid: string): Promise<DltEntityRecord[]>;
  upsertHeader(h: Omit<DltHeaderRecord, 'createdAt' | 'updatedAt'>): Promise<DltHeaderRecord>;
  getHeader(
    accountSid: string,
    entityId: string,
    senderId: string,
  ): Promise<DltHeaderRecord | undefined>;
  listHeaders(accountSid: string, entityId?: string): Promise<DltHeaderRecord[]>;
  upsertTemplate(t: Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>): Promise<DltTemplateRecord>;
  /** Many templates in one transaction: all or nothing. */
  upsertTemplates(ts: Omit<DltTemplateRecord, 'createdAt' | 'updatedAt'>[]): Promise<number>;
  getTemplate(accountSid: string, templateId: string): Promise<DltTemplateRecord | undefined>;
  listTemplates(
    accountSid: string,
    filter?: { entityId?: string; senderId?: string; status?: TemplateStatus },
  ): Promise<DltTemplateRecord[]>;
  addWhitelist(e: Omit<WhitelistEntry, 'createdAt'>): Promise<WhitelistEntry>;
  removeWhitelist(
    accountSid: string,
    entityId: string,
    kind: 'url' | 'cbn',
    value: string,
  ): Promise<boolean>;
  listWhitelist(accountSid: string, entityId: string): Promise<WhitelistEntry[]>;
}

export interface DndRepo {
  upsert(accountSid: string, number: string, preferences: readonly number[]): Promise<DndRecord>;
  /** Bulk upsert in one transaction; returns how many rows were written. */
  upsertMany(
    accountSid: string,
    rows: readonly { number: string; preferences: readonly number[] }[],
  ): Promise<number>;
  /**
   * A streamed import (a DND file of any size), all or nothing: the rows become visible together
   * once the last batch is in, and nothing is written when `batches` throws. A number given twice
   * keeps its last row. Returns how many rows were given.
   */
  importMany(
    accountSid: string,
    batches: AsyncIterable<{ number: string; preferences: number[] }[]>,
  ): Promise<number>;
  /**
   * A streamed consent import, all or nothing like importMany. Each consent is recorded as
   * addConsent records it (a consent given again replaces the earlier one and is no longer revoked).
   */
  importConsents(
    accountSid: string,
    batches: AsyncIterable<Omit<ConsentRecord, 'accountSid' | 'revokedAt'>[]>,
  ): Promise<number>;
  get(accountSid: string, number: string): Promise<DndRecord | undefined>;
  remove(accountSid: string, number: string): Promise<boolean>;
  count(accountSid: string): Promise<number>;
  addConsent(c: Omit<ConsentRecord, 'revokedAt'>): Promise<ConsentRecord>;
  revokeConsent(
    accountSid: string,
    number: string,
    entityId: string,
    templateId: string | null,
  ): Promise<boolean>;
  /** A valid consent for this number and template (or for the whole entity) at `at`. */
  findConsent(
    accountSid: string,
    number: string,
    entityId: string,
    templateId: string,
    at: Date,
  ): Promise<ConsentRecord | undefined>;
}

export interface MessagesRepo {
  /**
   * Writes the outbox row and its `queued` transition in one transaction. With an idempotency
   * key already used by this account, writes nothing and returns the existing message
   * (`created: false`); the caller compares requestHash to detect reuse with another request.
   * A new row wakes the delivery workers of every process (the `messages` notification) once it
   * is committed: on PostgreSQL the NOTIFY is part of the insert's own statement, so a batch of
   * inserts costs no extra round trip.
   */
  insert(m: NewMessage): Promise<{ message: Message; created: boolean }>;
  insertMany(ms: NewMessage[]): Promise<{ message: Message; created: boolean }[]>;
  get(accountSid: string, sid: string): Promise<Message | undefined>;
  /** Without an account check: for workers and receipts only. */
  getBySid(sid: string): Promise<Message | undefined>;
  list(
    accountSid: string,
    filter: MessageFilter,
    cursor: string | null,
    limit: number,
  ): Promise<Page<Message>>;
  transitions(sid: string): Promise<Transition[]>;
  parts(sid: string): Promise<MessagePart[]>;

  /**
   * Claims up to `limit` due messages for `owner` until now + leaseMs: queued ones whose
   * nextAttemptAt has come, and `sending` ones whose lease expired (their worker died).
   * Each claim increments attempts. Uses FOR UPDATE SKIP LOCKED on PostgreSQL.
   */
  claimDue(owner: string, limit: number, leaseMs: number): Promise<Message[]>;
  /** Extends the lease of messages still owned by `owner`. */
  extendLease(owner: string, sids: string[], leaseMs: number): Promise<void>;
  /**
   * In one transaction: debit price from the balance only if it covers it, write the ledger
   * entry, set pricePaise, move the message to `sending` (with a transition). Requires the lease.
   */
  debitAndMarkSending(sid: string, owner: string, pricePaise: number): Promise<DebitResult>;
  /**
   * debitAndMarkSending for a batch, in one transaction (one lock of each account's row on
   * PostgreSQL): the items are debited in their order, each only if what is left of the balance
   * covers it, so INSUFFICIENT_BALANCE is exactly what one call after the other would give.
   * Returns one result per item, in order. Throws, writing nothing, when a sid appears twice or a
   * message was already debited.
   */
  debitManyAndMarkSending(
    owner: string,
    items: { sid: string; pricePaise: number }[],
  ): Promise<DebitResult[]>;
  /** Moves an already-paid queued message back to `sending` (a retry); false when the lease was lost. */
  markSending(sid: string, owner: string): Promise<boolean>;
  /**
   * Records the parts and moves the message to `submitted`, releasing the lease; applies any
   * pending receipts for these parts in the same transaction (so the result may already be
   * final). Undefined when the message is not `sending` under this owner's lease.
   */
  markSubmitted(
    sid: string,
    owner: string,
    carrier: string,
    carrierMessageIds: string[],
  ): Promise<Message | undefined>;
  /**
   * Back to `queued` with a later attempt (transient trouble, promotional window); releases the
   * lease; the reason stays on the message while it waits. Keeps pricePaise.
   */
  requeue(
    sid: string,
    owner: string,
    nextAttemptAt: Date,
    code: ReasonCode,
    detail: string,
  ): Promise<void>;
  /**
   * Moves the message to `failed` with a reason; refunds pricePaise when `refund` is set and it
   * was debited (ledger entry in the same transaction; pricePaise becomes 0); enqueues the
   * status callback. With an owner, only under that owner's lease; with null, any non-final
   * message. Undefined when nothing changed (unknown, lease lost, already final).
   */
  fail(
    sid: string,
    owner: string | null,
    code: ReasonCode,
    detail: string | null,
    opts?: { refund?: boolean },
  ): Promise<Message | undefined>;
  /** Releases the lease (shutdown): due again at once, and the claim does not count as an attempt. */
  release(sid: string, owner: string): Promise<void>;
  /**
   * Applies a delivery receipt to its part. When every part is final, moves the message to
   * `delivered` or `undelivered` (with a reason code) and enqueues the status callback. A receipt
   * for an unknown part is kept as pending and applied by markSubmitted. Idempotent.
   */
  applyReceipt(r: ReceiptInput): Promise<{ applied: boolean; message?: Message }>;
  /**
   * Deletes up to `limit` receipts kept for parts never recorded (see applyReceipt) whose last
   * update is older than `before`: a submit is recorded within seconds of its receipt, so one
   * that old will not come (its worker died, or the carrier reported someone else's message).
   * Returns how many were deleted.
   */
  purgeUnmatchedReceipts(before: Date, limit: number): Promise<number>;
  /**
   * Ends up to `limit` messages submitted before `before` that are still `submitted` (their final
   * receipt never came): `undelivered` with RECEIPT_TIMEOUT and `detail`, with the transition and
   * the status-callback job. A receipt that comes later still settles them (applyReceipt), and
   * sends the callback again. Returns the messages it ended.
   */
  endAwaitingReceipts(before: Date, limit: number, detail: string): Promise<Message[]>;
  /** Counts by status for metrics, and the age of the oldest due queued message. */
  stats(): Promise<{
    byStatus: Record<MessageStatus, number>;
    due: number;
    oldestDueAt: Date | null;
  }>;
  /** The SMS summary report, computed in the database (summary.ts). */
  summarize(accountSid: string, query: MessageSummaryQuery): Promise<MessageSummaryRow[]>;
}

/** The reads and the insert of messages: one module per dialect. */
export type MessageQueriesRepo = Pick<
  MessagesRepo,
  'insert' | 'insertMany' | 'get' | 'getBySid' | 'list' | 'transitions' | 'parts' | 'stats'
>;

/** The outbox's state changes (claims, debits, submits, receipts): one module per dialect. */
export type MessageOutboxRepo = Omit<MessagesRepo, keyof MessageQueriesRepo | 'summarize'>;

export interface CallbacksRepo {
  /** Claims due pending jobs with a lease (each claim counts one attempt), with their messages. */
  claimDue(
    owner: string,
    limit: number,
    leaseMs: number,
  ): Promise<(CallbackJob & { message: Message })[]>;
  markDelivered(id: string): Promise<void>;
  retry(id: string, nextAttemptAt: Date, error: string): Promise<void>;
  giveUp(id: string, error: string): Promise<void>;
  list(messageSid: string): Promise<CallbackJob[]>;
  stats(): Promise<{ pending: number; failed: number }>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly accounts: AccountsRepo;
  readonly dlt: DltRepo;
  readonly dnd: DndRepo;
  readonly messages: MessagesRepo;
  readonly callbacks: CallbacksRepo;
  /** Voice flows and their versions, ExoPhones, calls (flow-types.ts). */
  readonly flows: FlowsRepo;
  readonly numbers: NumbersRepo;
  readonly calls: CallsRepo;
  /** Carriers and routes managed while running, and admin credentials (carrier-types.ts). */
  readonly carriers: CarriersRepo;
  readonly admins: AdminsRepo;
  /** Applies pending migrations; refuses (STORE_TOO_NEW) when the database is newer than the code. */
  migrate(): Promise<{ from: number; to: number }>;
  /** Wakes workers: NOTIFY on PostgreSQL, an in-process event on SQLite. */
  notify(channel: 'messages' | 'callbacks'): Promise<void>;
  onNotify(channel: 'messages' | 'callbacks', listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
