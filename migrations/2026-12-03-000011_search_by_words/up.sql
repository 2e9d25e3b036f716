-- Search by words: every word of a query must be a word of the record (in any order, ignoring
-- case and accents); a quoted phrase, words in that order. Vietnamese syllables are often two
-- or three letters (`so`, `vu`), which trigrams match poorly: each record gets a tsvector of
-- its words (the simple configuration over pk_fold's folding, so no stemming and no stop
-- words), its title-like words weighted A (a file's title, a fonds' name and creator, a box's
-- label, a location's name) and its codes, numbers and years B. `search_key` keeps the codes
-- alone, for finding a part of a code or barcode (trigrams). See db::search.

-- A query as websearch_to_tsquery reads it (the service passes only words and quoted phrases).
CREATE FUNCTION pk_words(q text) RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN websearch_to_tsquery('simple', pk_fold(q));

-- The same query, its words found in the title-like text only (weight A).
CREATE FUNCTION pk_title_words(q text) RETURNS tsquery LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(pk_words(q)::text, '(''(?:[^'']|'''')*'')', '\1:A', 'g')::tsquery;

-- Codes read as words: `HS-000123` is `hs 000123`.
CREATE FUNCTION pk_code_words(codes text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', translate(pk_fold(codes), '-', ' ')), 'B');

CREATE FUNCTION pk_title_words_of(title text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN setweight(to_tsvector('simple', pk_fold(title)), 'A');

ALTER TABLE files DROP COLUMN search_key;
ALTER TABLE files
    ADD COLUMN search_key text GENERATED ALWAYS AS
        (pk_fold(coalesce(archive_code, '') || ' ' || inventory_no || '/' || file_no)) STORED,
    ADD COLUMN search_words tsvector GENERATED ALWAYS AS
        (pk_title_words_of(title)
         || pk_code_words(coalesce(archive_code, '') || ' ' || inventory_no || '/' || file_no || ' '
                          || coalesce(extract(year FROM date_from)::int::text, '') || ' '
                          || coalesce(extract(year FROM date_to)::int::text, ''))) STORED;
CREATE INDEX files_search ON files USING gin (search_key gin_trgm_ops);
CREATE INDEX files_words ON files USING gin (search_words);

ALTER TABLE fonds DROP COLUMN search_key;
ALTER TABLE fonds
    ADD COLUMN search_key text GENERATED ALWAYS AS (pk_fold(code)) STORED,
    ADD COLUMN search_words tsvector GENERATED ALWAYS AS
        (pk_title_words_of(name || ' ' || coalesce(creator, '')) || pk_code_words(code)) STORED;
CREATE INDEX fonds_search ON fonds USING gin (search_key gin_trgm_ops);
CREATE INDEX fonds_words ON fonds USING gin (search_words);

DROP VIEW box_places;
ALTER TABLE boxes DROP COLUMN search_key;
ALTER TABLE boxes
    ADD COLUMN search_key text GENERATED ALWAYS AS (pk_fold(barcode)) STORED,
    ADD COLUMN search_words tsvector GENERATED ALWAYS AS
        (pk_title_words_of(coalesce(label, '')) || pk_code_words(barcode)) STORED;
CREATE INDEX boxes_search ON boxes USING gin (search_key gin_trgm_ops);
CREATE INDEX boxes_words ON boxes USING gin (search_words);
CREATE VIEW box_places AS
SELECT b.id, b.barcode, b.label, b.fonds_id, f.code AS fonds_code, b.container_type, b.width_mm,
       b.home_location_id, b.current_location_id, b.position, b.missing, b.notes, b.version, b.created_at,
       b.created_by, b.updated_at, b.updated_by, b.search_key, b.search_words,
       c.kind AS current_kind, c.code AS current_code, c.name AS current_name, c.path_code AS current_path_code,
       c.purpose AS current_purpose, c.path AS current_path,
       h.kind AS home_kind, h.code AS home_code, h.name AS home_name, h.path_code AS home_path_code,
       h.purpose AS home_purpose, h.path AS home_path
FROM boxes b
JOIN locations c ON c.id = b.current_location_id
JOIN locations h ON h.id = b.home_location_id
LEFT JOIN fonds f ON f.id = b.fonds_id;

ALTER TABLE locations DROP COLUMN search_key;
ALTER TABLE locations
    ADD COLUMN search_key text GENERATED ALWAYS AS (pk_fold(path_code)) STORED,
    ADD COLUMN search_words tsvector GENERATED ALWAYS AS
        (pk_title_words_of(coalesce(name, '')) || pk_code_words(code || ' ' || path_code)) STORED;
CREATE INDEX locations_search ON locations USING gin (search_key gin_trgm_ops);
CREATE INDEX locations_words ON locations USING gin (search_words);
-- A path code as typed comes first in a search.
CREATE INDEX locations_path_lower ON locations (lower(path_code));
