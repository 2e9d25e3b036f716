-- Boxes on shelves, every movement, shelf audits.

-- What each shelf holds, kept with every move: the length and number of boxes whose space it
-- is (boxes standing on it, and boxes of this home shelf that are out in a workspace).
ALTER TABLE locations
    ADD COLUMN used_mm   integer NOT NULL DEFAULT 0 CHECK (used_mm >= 0),
    ADD COLUMN box_count integer NOT NULL DEFAULT 0 CHECK (box_count >= 0),
    ADD CONSTRAINT locations_within_capacity CHECK (used_mm <= coalesce(capacity_mm, 0));

-- Shelving space of a location: its own counters for a shelf, the sum over the shelves below
-- it otherwise.
CREATE FUNCTION pk_space(location_id bigint, OUT capacity_mm bigint, OUT used_mm bigint, OUT box_count bigint)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(s.capacity_mm), 0), coalesce(sum(s.used_mm), 0), coalesce(sum(s.box_count), 0)
    FROM locations s
    WHERE s.kind = 'shelf' AND (s.id = location_id OR s.ancestor_ids @> ARRAY[location_id])
$$;

-- The chain of places from the building down to the location, [{id, kind, code, name}…],
-- kept with the tree like path_code: a box look-up shows it without aggregating anything.
ALTER TABLE locations ADD COLUMN path jsonb;
UPDATE locations l SET path =
    (SELECT jsonb_agg(jsonb_build_object('id', a.id, 'kind', a.kind, 'code', a.code, 'name', a.name)
                      ORDER BY cardinality(a.ancestor_ids))
     FROM locations a WHERE a.id = ANY (l.ancestor_ids || l.id));
ALTER TABLE locations ALTER COLUMN path SET NOT NULL;

CREATE TABLE boxes (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    barcode             text        NOT NULL CHECK (barcode <> '' AND barcode = btrim(barcode)),
    label               text,
    fonds_code          text,
    container_type      text        NOT NULL DEFAULT 'box' CHECK (container_type IN ('box', 'portfolio', 'other')),
    width_mm            integer     NOT NULL DEFAULT 125 CHECK (width_mm BETWEEN 1 AND 1000),
    home_location_id    bigint      NOT NULL REFERENCES locations (id),
    current_location_id bigint      NOT NULL REFERENCES locations (id),
    -- Position on the current shelf, as the storage manager numbers it.
    position            integer     CHECK (position >= 1),
    -- Set when an audit did not find the box where it is recorded; cleared when it moves.
    missing             boolean     NOT NULL DEFAULT false,
    notes               text,
    search_key          text        GENERATED ALWAYS AS
                            (pk_fold(barcode || ' ' || coalesce(label, '') || ' ' || coalesce(fonds_code, ''))) STORED,
    version             integer     NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          bigint      NOT NULL REFERENCES api_keys (id),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          bigint      NOT NULL REFERENCES api_keys (id)
);

-- Barcodes compare ignoring case; the look-up behind every reader's request uses this index.
CREATE UNIQUE INDEX boxes_barcode ON boxes (lower(barcode));
CREATE INDEX boxes_current ON boxes (current_location_id, position);
CREATE INDEX boxes_home ON boxes (home_location_id);
CREATE INDEX boxes_fonds ON boxes (lower(fonds_code));
CREATE INDEX boxes_search ON boxes USING gin (search_key gin_trgm_ops);

-- A box with both its places, for reading boxes in one statement.
CREATE VIEW box_places AS
SELECT b.id, b.barcode, b.label, b.fonds_code, b.container_type, b.width_mm, b.home_location_id,
       b.current_location_id, b.position, b.missing, b.notes, b.version, b.created_at, b.created_by,
       b.updated_at, b.updated_by, b.search_key,
       c.kind AS current_kind, c.code AS current_code, c.name AS current_name, c.path_code AS current_path_code,
       c.purpose AS current_purpose, c.path AS current_path,
       h.kind AS home_kind, h.code AS home_code, h.name AS home_name, h.path_code AS home_path_code,
       h.purpose AS home_purpose, h.path AS home_path
FROM boxes b
JOIN locations c ON c.id = b.current_location_id
JOIN locations h ON h.id = b.home_location_id;

CREATE TABLE audits (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    location_id   bigint      NOT NULL REFERENCES locations (id),
    -- Barcodes scanned more than once (each counted once).
    duplicates    text[]      NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint      NOT NULL REFERENCES api_keys (id),
    reconciled_at timestamptz,
    reconciled_by bigint      REFERENCES api_keys (id)
);
CREATE INDEX audits_location ON audits (location_id, id);

-- What an audit found, one row per barcode: expected and scanned (found), expected and not
-- scanned (missing), scanned but recorded elsewhere (unexpected) or not known at all (unknown).
CREATE TABLE audit_findings (
    audit_id             bigint NOT NULL REFERENCES audits (id),
    barcode              text   NOT NULL,
    outcome              text   NOT NULL CHECK (outcome IN ('found', 'missing', 'unexpected', 'unknown')),
    box_id               bigint REFERENCES boxes (id),
    -- For an unexpected box: where it was recorded when scanned here.
    recorded_location_id bigint REFERENCES locations (id),
    PRIMARY KEY (audit_id, barcode),
    CHECK ((outcome = 'unknown') = (box_id IS NULL)),
    CHECK ((outcome = 'unexpected') = (recorded_location_id IS NOT NULL))
);

-- Append-only history of where each box went. The first row of a box is its intake.
CREATE TABLE movements (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    box_id           bigint      NOT NULL REFERENCES boxes (id),
    from_location_id bigint      REFERENCES locations (id),
    to_location_id   bigint      NOT NULL REFERENCES locations (id),
    reason           text        NOT NULL CHECK (reason IN ('intake', 'reshelve', 'conservation', 'reading_room',
                                     'digitization', 'exhibition', 'loan', 'quarantine', 'return', 'relocation',
                                     'audit_correction')),
    note             text,
    position         integer     CHECK (position >= 1),
    audit_id         bigint      REFERENCES audits (id),
    moved_at         timestamptz NOT NULL DEFAULT now(),
    moved_by         bigint      NOT NULL REFERENCES api_keys (id)
);
CREATE INDEX movements_box ON movements (box_id, id);
CREATE INDEX movements_from ON movements (from_location_id);
CREATE INDEX movements_to ON movements (to_location_id);

-- History is never rewritten.
CREATE FUNCTION pk_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER movements_append_only BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
CREATE TRIGGER audit_findings_append_only BEFORE UPDATE OR DELETE ON audit_findings
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
