-- Why a reading request was cancelled.
ALTER TABLE reading_requests ADD COLUMN cancel_reason text;
