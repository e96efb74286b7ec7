-- Carriers and routes changed while running, and the admin credentials that change them. A row
-- of carriers overrides the config file's carrier of that name (removed: taken out); the routes,
-- once set (routes_set_at), replace the file's.
-- Keep in step with ../../postgres/migrations/005_carriers.sql.

CREATE TABLE carriers (
  name TEXT PRIMARY KEY,
  position INTEGER NOT NULL UNIQUE,
  config TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  removed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE routes (
  position INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  definition TEXT NOT NULL
);

-- One row: the routing version, raised by every change, and whether routes were set while running.
CREATE TABLE routing_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL,
  routes_set_at INTEGER
);
INSERT INTO routing_state (id, version, routes_set_at) VALUES (1, 0, NULL);

CREATE TABLE admin_keys (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

-- Usage by carrier over a recent time range (the Carriers page).
CREATE INDEX messages_submitted ON messages (submitted_at) WHERE submitted_at IS NOT NULL;
