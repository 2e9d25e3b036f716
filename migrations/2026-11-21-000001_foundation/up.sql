-- Foundation: API keys and the storage location tree.

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Accent- and case-insensitive folding for search ("Phòng kho" -> "phong kho", "Đ" -> "d").
-- unaccent() is only STABLE (its dictionary could change); pinning the dictionary makes the
-- wrapper safe to declare IMMUTABLE so it can feed generated columns and indexes.
CREATE FUNCTION pk_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, normalize($1, NFC)));

-- Numbers inside codes compare as numbers: bay 2 sorts before bay 10.
CREATE COLLATION IF NOT EXISTS pk_natural (provider = icu, locale = 'und-u-kn-true');

CREATE TABLE api_keys (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('admin', 'storage_manager', 'conservator',
                                                     'head_conservator', 'integration', 'viewer')),
    -- The first characters of the key, shown so people can tell their keys apart.
    prefix      text        NOT NULL,
    -- SHA-256 of the whole key; the key itself is never stored.
    key_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint      REFERENCES api_keys (id),
    revoked_at  timestamptz,
    revoked_by  bigint      REFERENCES api_keys (id)
);

CREATE TABLE locations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id    bigint      REFERENCES locations (id),
    kind         text        NOT NULL CHECK (kind IN ('building', 'room', 'unit', 'bay', 'shelf', 'workspace')),
    code         text        NOT NULL CHECK (code <> '' AND position('-' in code) = 0),
    name         text,
    -- Derived from the ancestors' codes joined with '-', maintained on insert and rename.
    path_code    text        COLLATE pk_natural NOT NULL,
    -- Ids of the ancestors, root first; lets a subtree be found with one indexed lookup.
    ancestor_ids bigint[]    NOT NULL DEFAULT '{}',
    capacity_mm  integer     CHECK (capacity_mm BETWEEN 1 AND 100000),
    purpose      text        CHECK (purpose IN ('conservation_lab', 'reading_room', 'digitization',
                                                'quarantine', 'exhibition', 'loan', 'other')),
    notes        text,
    search_key   text        GENERATED ALWAYS AS (pk_fold(code || ' ' || path_code || ' ' || coalesce(name, ''))) STORED,
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   bigint      NOT NULL REFERENCES api_keys (id),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint      NOT NULL REFERENCES api_keys (id),
    CONSTRAINT locations_shelf_capacity CHECK ((kind = 'shelf') = (capacity_mm IS NOT NULL)),
    CONSTRAINT locations_workspace_purpose CHECK ((kind = 'workspace') = (purpose IS NOT NULL))
);

-- Codes are unique among siblings, ignoring case; roots are siblings of each other.
CREATE UNIQUE INDEX locations_sibling_code ON locations (coalesce(parent_id, 0), pk_fold(code));
CREATE INDEX locations_parent ON locations (parent_id);
CREATE INDEX locations_ancestors ON locations USING gin (ancestor_ids);
CREATE INDEX locations_path ON locations (path_code, id);
CREATE INDEX locations_search ON locations USING gin (search_key gin_trgm_ops);
