-- The reading room's desk staff: a role of their own.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('admin', 'storage_manager', 'conservator', 'head_conservator', 'reading_room', 'integration', 'viewer'));
ALTER TABLE people DROP CONSTRAINT people_role_check;
ALTER TABLE people ADD CONSTRAINT people_role_check
    CHECK (role IN ('admin', 'storage_manager', 'conservator', 'head_conservator', 'reading_room', 'integration', 'viewer'));

-- Readers (độc giả), as registered at the desk (phiếu đăng ký). The identity document's number
-- is kept normalised (no spaces, upper case); only the roles that serve readers see it whole.
CREATE SEQUENCE reader_numbers;
CREATE TABLE readers (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- DG-000123: printed on the reader card as a Code 128 barcode.
    reader_no       text        NOT NULL UNIQUE,
    full_name       text        NOT NULL CHECK (full_name <> ''),
    identity_type   text        NOT NULL CHECK (identity_type IN ('cccd', 'cmnd', 'passport', 'other')),
    identity_no     text        NOT NULL CHECK (identity_no ~ '^[A-Z0-9]{5,20}$'),
    nationality     text        NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
    organisation    text,
    purpose         text        NOT NULL CHECK (purpose IN ('personal', 'official')),
    -- For official research: the referral letter's number and date (giấy giới thiệu).
    referral        text        CHECK (purpose = 'official' OR referral IS NULL),
    topic           text,
    -- A reader card, for use of five days or more.
    card_expires_on date,
    suspended_at    timestamptz,
    suspended_why   text,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint      NOT NULL REFERENCES api_keys (id),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      bigint      NOT NULL REFERENCES api_keys (id),
    CHECK (purpose = 'personal' OR referral IS NOT NULL)
);
-- One registration per identity document.
CREATE UNIQUE INDEX readers_identity ON readers (identity_type, identity_no);
CREATE INDEX readers_name ON readers (pk_fold(full_name) text_pattern_ops);

-- The days the archive is closed beyond weekends: holidays (Tết, 30/4–1/5, 2/9…) and closed
-- half-days. Ranges never overlap, so a day is closed once.
CREATE TABLE closures (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_day  date        NOT NULL,
    last_day   date        NOT NULL CHECK (last_day >= first_day),
    -- A half-day closure is of one day.
    part       text        NOT NULL DEFAULT 'day' CHECK (part IN ('day', 'morning', 'afternoon')),
    name       text        NOT NULL CHECK (name <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint      NOT NULL REFERENCES api_keys (id),
    CHECK (part = 'day' OR first_day = last_day),
    EXCLUDE USING gist (daterange(first_day, last_day, '[]') WITH &&)
);
