-- The text-to-speech voice of an account's real calls; NULL: the configured default (sip.voice).
-- Keep in step with ../../sqlite/migrations/007_account_voice.sql.

ALTER TABLE accounts ADD COLUMN voice text;
