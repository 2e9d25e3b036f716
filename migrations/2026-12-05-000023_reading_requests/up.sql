-- Reading requests (phiếu yêu cầu đọc, sao chụp): lines naming files, each decided servable as
-- the original, only as a copy, or not (with the reasons), and a deadline in working days.
CREATE TABLE reading_requests (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reader_id   bigint      NOT NULL REFERENCES readers (id),
    kind        text        NOT NULL CHECK (kind IN ('read', 'copy', 'copy_certified')),
    channel     text        NOT NULL CHECK (channel IN ('desk', 'online', 'post')),
    purpose     text,
    status      text        NOT NULL CHECK (status IN ('submitted', 'awaiting_approval', 'approved', 'refused',
                                                       'in_retrieval', 'ready', 'in_use', 'held', 'returned',
                                                       'closed', 'cancelled', 'not_servable')),
    received_at timestamptz NOT NULL,
    due_at      timestamptz NOT NULL CHECK (due_at > received_at),
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint      NOT NULL REFERENCES api_keys (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint      NOT NULL REFERENCES api_keys (id)
);
CREATE INDEX reading_requests_reader ON reading_requests (reader_id, id);
CREATE INDEX reading_requests_open ON reading_requests (id)
    WHERE status NOT IN ('returned', 'closed', 'cancelled', 'refused', 'not_servable');

CREATE TABLE request_lines (
    request_id bigint  NOT NULL REFERENCES reading_requests (id),
    line_no    integer NOT NULL CHECK (line_no >= 1),
    file_id    bigint  NOT NULL REFERENCES files (id),
    -- For copies: the pages to copy; none: the whole file.
    pages      text,
    servable   text    NOT NULL CHECK (servable IN ('original', 'copy', 'not_servable')),
    reasons    text[]  NOT NULL DEFAULT '{}',
    status     text    NOT NULL CHECK (status IN ('submitted', 'awaiting_approval', 'approved', 'refused',
                                                  'in_retrieval', 'ready', 'in_use', 'held', 'returned',
                                                  'closed', 'cancelled', 'not_servable')),
    PRIMARY KEY (request_id, line_no),
    UNIQUE (request_id, file_id)
);
CREATE INDEX request_lines_file ON request_lines (file_id);
