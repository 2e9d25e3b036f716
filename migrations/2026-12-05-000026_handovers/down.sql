DROP TABLE handovers;
DROP FUNCTION pk_handovers_written_once();
ALTER TABLE reading_requests DROP COLUMN delivered_at, DROP COLUMN copy_format, DROP COLUMN copy_pages,
    DROP COLUMN fee, DROP COLUMN copy_status;
DROP TABLE reading_rules;
