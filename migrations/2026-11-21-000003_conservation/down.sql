DROP TABLE treatment_transitions;
DROP VIEW assessment_records;
DROP TABLE treatments;
DROP TABLE assessments;
DROP TABLE vocabulary_terms;
DROP TABLE files;
DROP VIEW box_places;
DROP INDEX boxes_fonds;
ALTER TABLE boxes DROP COLUMN search_key;
ALTER TABLE boxes ADD COLUMN fonds_code text;
UPDATE boxes b SET fonds_code = f.code FROM fonds f WHERE f.id = b.fonds_id;
ALTER TABLE boxes DROP COLUMN fonds_id;
ALTER TABLE boxes ADD COLUMN search_key text GENERATED ALWAYS AS
    (pk_fold(barcode || ' ' || coalesce(label, '') || ' ' || coalesce(fonds_code, ''))) STORED;
CREATE INDEX boxes_fonds ON boxes (lower(fonds_code));
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
DROP TABLE fonds;
DROP EXTENSION btree_gist;
