-- The decision on a request's lines of conditional access: approved or refused, by whom, why.
ALTER TABLE reading_requests
    ADD COLUMN decided_at timestamptz,
    ADD COLUMN decided_by bigint REFERENCES api_keys (id),
    ADD COLUMN decision_note text;

-- Visits to the reading room: checked in and out at the desk. The report counts User Days
-- (each reader once a calendar day) and User Hours from them.
CREATE TABLE visits (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reader_id      bigint      NOT NULL REFERENCES readers (id),
    location_id    bigint      NOT NULL REFERENCES locations (id),
    checked_in_at  timestamptz NOT NULL,
    checked_out_at timestamptz CHECK (checked_out_at > checked_in_at),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     bigint      NOT NULL REFERENCES api_keys (id),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     bigint      NOT NULL REFERENCES api_keys (id)
);
-- A reader is in the reading room once at a time.
CREATE UNIQUE INDEX visits_open ON visits (reader_id) WHERE checked_out_at IS NULL;
CREATE INDEX visits_by_time ON visits (checked_in_at);
