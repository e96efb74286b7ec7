-- Voice flows, PostgreSQL: flows and their immutable versions, ExoPhones, calls with their logs.
-- Documents and logs are jsonb. Keep in step with ../../sqlite/migrations/002_flows.sql.

CREATE TABLE flows (
  id text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  name text NOT NULL,
  latest_version integer NOT NULL CHECK (latest_version >= 1),
  live_version integer,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  published_at timestamptz,
  CHECK (live_version BETWEEN 1 AND latest_version)
);
CREATE INDEX flows_account ON flows (account_sid, created_at);

CREATE TABLE flow_versions (
  flow_id text NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  document jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (flow_id, version)
);

-- A number belongs to one account, so the number alone is the key.
CREATE TABLE numbers (
  e164 text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  flow_id text REFERENCES flows (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX numbers_account ON numbers (account_sid, e164);
CREATE INDEX numbers_flow ON numbers (flow_id);

-- No foreign key to flows: a call's log outlives the flow it ran.
CREATE TABLE calls (
  sid text PRIMARY KEY,
  account_sid text NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  flow_id text NOT NULL,
  flow_version integer NOT NULL,
  from_number text NOT NULL,
  to_number text NOT NULL,
  status text NOT NULL CHECK (status IN ('in-progress', 'completed')),
  end_reason text,
  log jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX calls_account ON calls (account_sid, started_at DESC, sid DESC);
CREATE INDEX calls_flow ON calls (flow_id, started_at DESC);
