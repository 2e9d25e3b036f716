-- Boxes found again and written off. A missing box keeps its space where it is recorded, so
-- that it can be found there, until it is written off (lost) or an audit of that shelf needs
-- the space for the boxes it found standing there.
ALTER TABLE boxes
    ADD COLUMN holds_space boolean NOT NULL DEFAULT true,
    ADD COLUMN lost_at timestamptz,
    ADD CONSTRAINT boxes_only_missing_give_up_space CHECK (holds_space OR missing),
    ADD CONSTRAINT boxes_lost_are_missing_without_space CHECK (lost_at IS NULL OR (missing AND NOT holds_space));

ALTER TABLE movements DROP CONSTRAINT movements_reason_check;
ALTER TABLE movements ADD CONSTRAINT movements_reason_check
    CHECK (reason IN ('intake', 'reshelve', 'conservation', 'reading_room', 'digitization', 'exhibition', 'loan',
                      'quarantine', 'return', 'relocation', 'audit_correction', 'found', 'lost'));

INSERT INTO vocabulary_terms (vocabulary, code, label_vi, label_en, position)
VALUES ('movement_reason', 'found', 'tìm thấy', 'found', 12),
       ('movement_reason', 'lost', 'xác nhận thất lạc', 'written off as lost', 13);

CREATE OR REPLACE VIEW box_places AS
SELECT b.id, b.barcode, b.label, b.fonds_id, f.code AS fonds_code, b.container_type, b.width_mm,
       b.home_location_id, b.current_location_id, b.position, b.missing, b.notes, b.version, b.created_at,
       b.created_by, b.updated_at, b.updated_by, b.search_key, b.search_words,
       c.kind AS current_kind, c.code AS current_code, c.name AS current_name, c.path_code AS current_path_code,
       c.purpose AS current_purpose, c.path AS current_path,
       h.kind AS home_kind, h.code AS home_code, h.name AS home_name, h.path_code AS home_path_code,
       h.purpose AS home_purpose, h.path AS home_path,
       b.holds_space, b.lost_at
FROM boxes b
JOIN locations c ON c.id = b.current_location_id
JOIN locations h ON h.id = b.home_location_id
LEFT JOIN fonds f ON f.id = b.fonds_id;
