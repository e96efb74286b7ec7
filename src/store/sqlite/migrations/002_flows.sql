-- Voice flows, SQLite: flows and their immutable versions, ExoPhones, calls with their logs.
-- Times are epoch milliseconds; documents and logs are JSON text.
-- Keep in step with ../../postgres/migrations/002_flows.sql.

CREATE TABLE flows (
  id TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  name TEXT NOT NULL,
  latest_version INTEGER NOT NULL CHECK (latest_version >= 1),
  live_version INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  published_at INTEGER,
  CHECK (live_version BETWEEN 1 AND latest_version)
) STRICT;
CREATE INDEX flows_account ON flows (account_sid, created_at);

CREATE TABLE flow_versions (
  flow_id TEXT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
  version INTEGER NOT NULL CHECK (version >= 1),
  document TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (flow_id, version)
) STRICT;

-- A number belongs to one account, so the number alone is the key.
CREATE TABLE numbers (
  e164 TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  flow_id TEXT REFERENCES flows (id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX numbers_account ON numbers (account_sid, e164);
CREATE INDEX numbers_flow ON numbers (flow_id);

-- No foreign key to flows: a call's log outlives the flow it ran.
CREATE TABLE calls (
  sid TEXT PRIMARY KEY,
  account_sid TEXT NOT NULL REFERENCES accounts (sid) ON DELETE CASCADE,
  flow_id TEXT NOT NULL,
  flow_version INTEGER NOT NULL,
  from_number TEXT NOT NULL,
  to_number TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('in-progress', 'completed')),
  end_reason TEXT,
  log TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at INTEGER
) STRICT;
CREATE INDEX calls_account ON calls (account_sid, started_at DESC, sid DESC);
CREATE INDEX calls_flow ON calls (flow_id, started_at DESC);
