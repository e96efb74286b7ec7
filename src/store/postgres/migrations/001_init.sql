-- callflow schema, PostgreSQL. Money is integer paise (bigint); times are timestamptz; lists are
-- jsonb. Keep in step with ../../sqlite/migrations/001_init.sql.

CREATE TABLE accounts (
  sid text PRIMARY KEY,
  name text NOT NULL,
  time_zone text NOT NULL,
  balance_paise bigint NOT NULL CHECK (balance_paise >= 0),
  rate_transactional integer NOT NULL CHECK (rate_transactional >= 0),
  rate_service integer NOT NULL CHECK (rate_service >= 0),
  rate_promotional integer NOT NULL CHECK (rate_promotional >= 0),
  webhook_secret text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  key text NOT NULL UNIQUE,
  token_hash text NOT NULL,
  label text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_sid);

CREATE TABLE ledger (
  id bigserial PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  message_sid text,
  kind text NOT NULL CHECK (kind IN ('debit', 'refund', 'topup')),
  amount_paise bigint NOT NULL,
  balance_after_paise bigint NOT NULL,
  at timestamptz NOT NULL,
  note text
);
CREATE INDEX ledger_account ON ledger (account_sid, id);

CREATE TABLE dlt_entities (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id text NOT NULL,
  name text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'inactive')),
  tm_chain jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_sid, entity_id)
);

-- Headers are case-sensitive (DLT error 620): text equality is.
CREATE TABLE dlt_headers (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id text NOT NULL,
  sender_id text NOT NULL,
  sms_type text NOT NULL CHECK (sms_type IN ('transactional', 'service', 'promotional')),
  status text NOT NULL CHECK (status IN ('active', 'inactive')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_sid, entity_id, sender_id)
);

CREATE TABLE dlt_templates (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  template_id text NOT NULL,
  entity_id text NOT NULL,
  name text NOT NULL,
  content text NOT NULL,
  category text NOT NULL
    CHECK (category IN ('transactional', 'service-implicit', 'service-explicit', 'promotional')),
  status text NOT NULL CHECK (status IN ('approved', 'pending', 'rejected', 'inactive')),
  sender_ids jsonb NOT NULL DEFAULT '[]',
  ncpr_category smallint CHECK (ncpr_category BETWEEN 1 AND 7),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_sid, template_id)
);
CREATE INDEX dlt_templates_entity ON dlt_templates (account_sid, entity_id);

CREATE TABLE dlt_whitelist (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  entity_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('url', 'cbn')),
  value text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_sid, entity_id, kind, value)
);

CREATE TABLE dnd (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  number text NOT NULL,
  preferences jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_sid, number)
);

-- template_id '' is consent to all of the entity's templates.
CREATE TABLE consents (
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  number text NOT NULL,
  entity_id text NOT NULL,
  template_id text NOT NULL,
  granted_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (account_sid, number, entity_id, template_id)
);

-- The outbox: a queued or sending row is a job. While leased, next_attempt_at = lease_until.
CREATE TABLE messages (
  sid text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid),
  origin_kind text NOT NULL CHECK (origin_kind IN ('api', 'exotel', 'flow')),
  call_sid text,
  flow_id text,
  applet_id text,
  to_number text NOT NULL,
  sender_id text NOT NULL,
  body text NOT NULL,
  sms_type text NOT NULL CHECK (sms_type IN ('transactional', 'service', 'promotional')),
  dlt_entity_id text NOT NULL,
  dlt_template_id text NOT NULL,
  encoding text NOT NULL CHECK (encoding IN ('GSM-7', 'UCS-2')),
  segments integer NOT NULL CHECK (segments >= 1),
  status_callback text,
  callback_format text NOT NULL CHECK (callback_format IN ('json', 'exotel')),
  custom_field text,
  idempotency_key text,
  request_hash text,
  valid_until timestamptz NOT NULL,
  status text NOT NULL
    CHECK (status IN ('queued', 'sending', 'submitted', 'delivered', 'undelivered', 'failed')),
  reason_code text,
  reason_detail text,
  price_paise bigint,
  carrier text,
  carrier_message_ids jsonb NOT NULL DEFAULT '[]',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  submitted_at timestamptz,
  done_at timestamptz
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE UNIQUE INDEX messages_idempotency ON messages (account_sid, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_account_created ON messages (account_sid, created_at DESC, sid DESC);
CREATE INDEX messages_account_status ON messages (account_sid, status, created_at DESC, sid DESC);
CREATE INDEX messages_account_to ON messages (account_sid, to_number, created_at DESC, sid DESC);
CREATE INDEX messages_call ON messages (call_sid) WHERE call_sid IS NOT NULL;

CREATE TABLE message_transitions (
  id bigserial PRIMARY KEY,
  message_sid text NOT NULL REFERENCES messages (sid) ON DELETE CASCADE,
  status text NOT NULL,
  at timestamptz NOT NULL,
  reason_code text,
  detail text
);
CREATE INDEX message_transitions_message ON message_transitions (message_sid, id);

-- One row per part submitted to a carrier. A row with message_sid NULL is a receipt that came
-- before its part was recorded (pending); pending_group ties the rows written for one receipt
-- under its alternate IDs, so the others go once one is matched. Both writers upsert on the
-- primary key, which orders a receipt and its submit that race.
CREATE TABLE message_parts (
  carrier text NOT NULL,
  carrier_message_id text NOT NULL,
  message_sid text REFERENCES messages (sid) ON DELETE CASCADE,
  seq integer,
  state text NOT NULL,
  final boolean NOT NULL DEFAULT false,
  error_code text,
  pending_group text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (carrier, carrier_message_id)
);
CREATE INDEX message_parts_message ON message_parts (message_sid, seq) WHERE message_sid IS NOT NULL;
CREATE INDEX message_parts_pending ON message_parts (pending_group) WHERE message_sid IS NULL;

-- Status callbacks: a durable outbox, one job per message (sent at its final status).
CREATE TABLE callbacks (
  id text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  message_sid text NOT NULL UNIQUE REFERENCES messages (sid) ON DELETE CASCADE,
  url text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'exotel')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  last_error text,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'pending';
