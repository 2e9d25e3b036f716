DROP TABLE visits;
ALTER TABLE reading_requests DROP COLUMN decision_note, DROP COLUMN decided_by, DROP COLUMN decided_at;
