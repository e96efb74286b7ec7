-- Receipts that matched no recorded part are purged after a while; this finds the old ones.
-- Keep in step with ../../sqlite/migrations/003_unmatched_receipts.sql.

CREATE INDEX message_parts_unmatched ON message_parts (updated_at) WHERE message_sid IS NULL;
