-- Messages still waiting for their final receipt, oldest submit first: what the receipt timeout
-- ends (delivery.receiptTimeoutSeconds). Keep in step with ../../sqlite/migrations/004_awaiting_receipts.sql.

CREATE INDEX messages_awaiting_receipts ON messages (submitted_at) WHERE status = 'submitted';
