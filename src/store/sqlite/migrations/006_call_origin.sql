-- Where a call came from: NULL for simulated (test) calls; for a real call a JSON object with
-- the SIP trunk or user, the SIP Call-ID, codec, remote media address, answer time and duration.
-- Keep in step with ../../postgres/migrations/006_call_origin.sql.

ALTER TABLE calls ADD COLUMN origin TEXT;
