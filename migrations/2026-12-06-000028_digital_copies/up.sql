-- A file that has been digitized is served to readers as its digital copy, never as the
-- original: where that copy is (its identifier in the digitization system).
ALTER TABLE files ADD COLUMN digital_copy text CHECK (digital_copy <> '');

-- A hand-over of a digital copy: seen at a reading-room screen, by as many readers at once as
-- ask for it; only originals are in one reader's hands at a time.
ALTER TABLE handovers ADD COLUMN copy boolean NOT NULL DEFAULT false;
DROP INDEX handovers_one_reader_at_a_time;
CREATE UNIQUE INDEX handovers_one_reader_at_a_time ON handovers (file_id) WHERE returned_at IS NULL AND NOT copy;
