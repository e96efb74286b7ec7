-- callflow schema, SQLite. Times are epoch milliseconds (INTEGER); money is integer paise;
-- lists are JSON text. Keep in step with ../../postgres/migrations/001_init.sql.

CREATE TABLE accounts (
  sid TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  balance_paise INTEGER NOT NULL CHECK (balance_paise >= 0),
  rate_transactional INTEGER NOT NULL CHECK (rate_transactional >= 0),
  rate_service INTEGER NOT NULL CHECK (rate_service >= 0),
  rate_promotional INTEGER NOT NULL CHECK (rate_promotional >= 0),
  webhook_secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  key TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;
CREATE INDEX api_keys_account ON api_keys (account_sid);

CREATE TABLE ledger (
  id INTEGER PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  message_sid TEXT,
  kind TEXT NOT NULL CHECK (kind IN ('debit', 'refund', 'topup')),
  amount_paise INTEGER NOT NULL,
  balance_after_paise INTEGER NOT NULL,
  at INTEGER NOT NULL,
  note TEXT
) STRICT;
CREATE INDEX ledger_account ON ledger (account_sid, id);

CREATE TABLE dlt_entities (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
  tm_chain TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_sid, entity_id)
) STRICT;

-- Headers are case-sensitive (DLT error 620): TEXT compares with BINARY collation.
CREATE TABLE dlt_headers (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  sms_type TEXT NOT NULL CHECK (sms_type IN ('transactional', 'service', 'promotional')),
  status TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_sid, entity_id, sender_id)
) STRICT;

CREATE TABLE dlt_templates (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  template_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content TEXT NOT NULL,
  category TEXT NOT NULL
    CHECK (category IN ('transactional', 'service-implicit', 'service-explicit', 'promotional')),
  status TEXT NOT NULL CHECK (status IN ('approved', 'pending', 'rejected', 'inactive')),
  sender_ids TEXT NOT NULL DEFAULT '[]',
  ncpr_category INTEGER CHECK (ncpr_category BETWEEN 1 AND 7),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_sid, template_id)
) STRICT;
CREATE INDEX dlt_templates_entity ON dlt_templates (account_sid, entity_id);

CREATE TABLE dlt_whitelist (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('url', 'cbn')),
  value TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_sid, entity_id, kind, value)
) STRICT;

CREATE TABLE dnd (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  number TEXT NOT NULL,
  preferences TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (account_sid, number)
) STRICT, WITHOUT ROWID;

-- template_id '' is consent to all of the entity's templates.
CREATE TABLE consents (
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  number TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  template_id TEXT NOT NULL,
  granted_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  PRIMARY KEY (account_sid, number, entity_id, template_id)
) STRICT, WITHOUT ROWID;

-- The outbox: a queued or sending row is a job. While leased, next_attempt_at = lease_until.
CREATE TABLE messages (
  sid TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid),
  origin_kind TEXT NOT NULL CHECK (origin_kind IN ('api', 'exotel', 'flow')),
  call_sid TEXT,
  flow_id TEXT,
  applet_id TEXT,
  to_number TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  body TEXT NOT NULL,
  sms_type TEXT NOT NULL CHECK (sms_type IN ('transactional', 'service', 'promotional')),
  dlt_entity_id TEXT NOT NULL,
  dlt_template_id TEXT NOT NULL,
  encoding TEXT NOT NULL CHECK (encoding IN ('GSM-7', 'UCS-2')),
  segments INTEGER NOT NULL CHECK (segments >= 1),
  status_callback TEXT,
  callback_format TEXT NOT NULL CHECK (callback_format IN ('json', 'exotel')),
  custom_field TEXT,
  idempotency_key TEXT,
  request_hash TEXT,
  valid_until INTEGER NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'sending', 'submitted', 'delivered', 'undelivered', 'failed')),
  reason_code TEXT,
  reason_detail TEXT,
  price_paise INTEGER,
  carrier TEXT,
  carrier_message_ids TEXT NOT NULL DEFAULT '[]',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  submitted_at INTEGER,
  done_at INTEGER
) STRICT;
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE UNIQUE INDEX messages_idempotency ON messages (account_sid, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_account_created ON messages (account_sid, created_at DESC, sid DESC);
CREATE INDEX messages_account_status ON messages (account_sid, status, created_at DESC, sid DESC);
CREATE INDEX messages_account_to ON messages (account_sid, to_number, created_at DESC, sid DESC);
CREATE INDEX messages_call ON messages (call_sid) WHERE call_sid IS NOT NULL;

CREATE TABLE message_transitions (
  id INTEGER PRIMARY KEY,
  message_sid TEXT NOT NULL REFERENCES messages (sid) ON DELETE CASCADE,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  reason_code TEXT,
  detail TEXT
) STRICT;
CREATE INDEX message_transitions_message ON message_transitions (message_sid, id);

-- One row per part submitted to a carrier. A row with message_sid NULL is a receipt that came
-- before its part was recorded (pending); pending_group ties the rows written for one receipt
-- under its alternate IDs, so the others go once one is matched.
CREATE TABLE message_parts (
  carrier TEXT NOT NULL,
  carrier_message_id TEXT NOT NULL,
  message_sid TEXT REFERENCES messages (sid) ON DELETE CASCADE,
  seq INTEGER,
  state TEXT NOT NULL,
  final INTEGER NOT NULL DEFAULT 0,
  error_code TEXT,
  pending_group TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (carrier, carrier_message_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX message_parts_message ON message_parts (message_sid, seq) WHERE message_sid IS NOT NULL;
CREATE INDEX message_parts_pending ON message_parts (pending_group) WHERE message_sid IS NULL;

-- Status callbacks: a durable outbox, one job per message (sent at its final status).
CREATE TABLE callbacks (
  id TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  message_sid TEXT NOT NULL UNIQUE REFERENCES messages (sid) ON DELETE CASCADE,
  url TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('json', 'exotel')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  last_error TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'pending';
