-- The reading room's rules, one row the archive sets: how many files a reader has at once, how
-- long they keep them, whether pages of grade 3 are served, when readers' personal data is
-- anonymised, and the price list of copies (in đồng).
CREATE TABLE reading_rules (
    one                   boolean     PRIMARY KEY DEFAULT true CHECK (one),
    files_at_once         integer     NOT NULL DEFAULT 10 CHECK (files_at_once BETWEEN 1 AND 100),
    keep_days             integer     NOT NULL DEFAULT 14 CHECK (keep_days BETWEEN 1 AND 365),
    serve_grade_3         boolean     NOT NULL DEFAULT true,
    anonymise_after_days  integer     NOT NULL DEFAULT 1825 CHECK (anonymise_after_days BETWEEN 30 AND 36500),
    page_price_paper      integer     NOT NULL DEFAULT 2000 CHECK (page_price_paper >= 0),
    page_price_pdf        integer     NOT NULL DEFAULT 1000 CHECK (page_price_pdf >= 0),
    certification_price   integer     NOT NULL DEFAULT 20000 CHECK (certification_price >= 0),
    version               integer     NOT NULL DEFAULT 1,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    updated_by            bigint      REFERENCES api_keys (id)
);
INSERT INTO reading_rules DEFAULT VALUES;

-- When a request's first box reached the reading room: time to deliver is counted to it.
-- A copy request's order: format, pages, fee from the price list, and its own steps.
ALTER TABLE reading_requests
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN copy_format  text    CHECK (copy_format IN ('paper', 'pdf')),
    ADD COLUMN copy_pages   integer CHECK (copy_pages >= 0),
    ADD COLUMN fee          integer CHECK (fee >= 0),
    ADD COLUMN copy_status  text    CHECK (copy_status IN ('estimated', 'approved', 'produced', 'delivered', 'cancelled')),
    ADD CONSTRAINT reading_requests_copy_order
        CHECK ((kind = 'read') = (num_nulls(copy_format, copy_pages, fee, copy_status) = 4)
               AND num_nulls(copy_format, copy_pages, fee, copy_status) IN (0, 4));

-- The hand-over book (sổ giao, nhận tài liệu): every issue of a file to a reader, and its return
-- with the leaves counted back. An entry is written once and its return once; a file is in
-- one reader's hands at a time.
CREATE TABLE handovers (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id      bigint      NOT NULL,
    line_no         integer     NOT NULL,
    file_id         bigint      NOT NULL REFERENCES files (id),
    reader_id       bigint      NOT NULL REFERENCES readers (id),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    issued_by       bigint      NOT NULL REFERENCES api_keys (id),
    leaves_issued   integer     NOT NULL CHECK (leaves_issued >= 1),
    returned_at     timestamptz CHECK (returned_at >= issued_at),
    returned_by     bigint      REFERENCES api_keys (id),
    leaves_returned integer     CHECK (leaves_returned >= 0),
    -- Given back at the desk but kept in the reading room for the reader's next day.
    kept            boolean,
    remarks         text,
    FOREIGN KEY (request_id, line_no) REFERENCES request_lines (request_id, line_no),
    CHECK (num_nulls(returned_at, returned_by, leaves_returned, kept) IN (0, 4))
);
CREATE UNIQUE INDEX handovers_one_reader_at_a_time ON handovers (file_id) WHERE returned_at IS NULL;
CREATE INDEX handovers_in_hand ON handovers (reader_id) WHERE returned_at IS NULL;
CREATE INDEX handovers_line ON handovers (request_id, line_no);
CREATE INDEX handovers_by_time ON handovers (issued_at);

CREATE FUNCTION pk_handovers_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.returned_at IS NOT NULL
       OR (NEW.id, NEW.request_id, NEW.line_no, NEW.file_id, NEW.reader_id, NEW.issued_at, NEW.issued_by,
           NEW.leaves_issued)
          IS DISTINCT FROM (OLD.id, OLD.request_id, OLD.line_no, OLD.file_id, OLD.reader_id, OLD.issued_at,
                            OLD.issued_by, OLD.leaves_issued) THEN
        RAISE EXCEPTION 'the hand-over book is written once: an issue, then its return';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER handovers_written_once BEFORE UPDATE OR DELETE ON handovers
    FOR EACH ROW EXECUTE FUNCTION pk_handovers_written_once();
