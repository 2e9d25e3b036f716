ALTER TABLE reading_requests DROP COLUMN cancel_reason;
