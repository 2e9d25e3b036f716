DROP INDEX locations_path_lower;
ALTER TABLE locations DROP COLUMN search_words, DROP COLUMN search_key;
ALTER TABLE locations ADD COLUMN search_key text GENERATED ALWAYS AS
    (pk_fold(code || ' ' || path_code || ' ' || coalesce(name, ''))) STORED;
CREATE INDEX locations_search ON locations USING gin (search_key gin_trgm_ops);

DROP VIEW box_places;
ALTER TABLE boxes DROP COLUMN search_words, DROP COLUMN search_key;
ALTER TABLE boxes ADD COLUMN search_key text GENERATED ALWAYS AS (pk_fold(barcode || ' ' || coalesce(label, ''))) STORED;
CREATE INDEX boxes_search ON boxes USING gin (search_key gin_trgm_ops);
CREATE VIEW box_places AS
SELECT b.id, b.barcode, b.label, b.fonds_id, f.code AS fonds_code, b.container_type, b.width_mm,
       b.home_location_id, b.current_location_id, b.position, b.missing, b.notes, b.version, b.created_at,
       b.created_by, b.updated_at, b.updated_by, b.search_key,
       c.kind AS current_kind, c.code AS current_code, c.name AS current_name, c.path_code AS current_path_code,
       c.purpose AS current_purpose, c.path AS current_path,
       h.kind AS home_kind, h.code AS home_code, h.name AS home_name, h.path_code AS home_path_code,
       h.purpose AS home_purpose, h.path AS home_path
FROM boxes b
JOIN locations c ON c.id = b.current_location_id
JOIN locations h ON h.id = b.home_location_id
LEFT JOIN fonds f ON f.id = b.fonds_id;

ALTER TABLE fonds DROP COLUMN search_words, DROP COLUMN search_key;
ALTER TABLE fonds ADD COLUMN search_key text GENERATED ALWAYS AS
    (pk_fold(code || ' ' || name || ' ' || coalesce(creator, ''))) STORED;
CREATE INDEX fonds_search ON fonds USING gin (search_key gin_trgm_ops);

ALTER TABLE files DROP COLUMN search_words, DROP COLUMN search_key;
ALTER TABLE files ADD COLUMN search_key text GENERATED ALWAYS AS
    (pk_fold(title || ' ' || coalesce(archive_code, '') || ' ' || inventory_no || '/' || file_no)) STORED;
CREATE INDEX files_search ON files USING gin (search_key gin_trgm_ops);

DROP FUNCTION pk_title_words_of(text);
DROP FUNCTION pk_code_words(text);
DROP FUNCTION pk_title_words(text);
DROP FUNCTION pk_words(text);
