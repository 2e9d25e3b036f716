DROP INDEX handovers_one_reader_at_a_time;
CREATE UNIQUE INDEX handovers_one_reader_at_a_time ON handovers (file_id) WHERE returned_at IS NULL;
ALTER TABLE handovers DROP COLUMN copy;
ALTER TABLE files DROP COLUMN digital_copy;
