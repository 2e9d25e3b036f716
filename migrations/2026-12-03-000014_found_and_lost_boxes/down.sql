DROP VIEW box_places;
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
DELETE FROM vocabulary_terms WHERE vocabulary = 'movement_reason' AND code IN ('found', 'lost');
ALTER TABLE movements DROP CONSTRAINT movements_reason_check;
ALTER TABLE movements ADD CONSTRAINT movements_reason_check
    CHECK (reason IN ('intake', 'reshelve', 'conservation', 'reading_room', 'digitization', 'exhibition', 'loan',
                      'quarantine', 'return', 'relocation', 'audit_correction'));
ALTER TABLE boxes DROP COLUMN lost_at, DROP COLUMN holds_space;
