-- Holdings (fonds, files) and page-level conservation (vocabularies, assessments, treatments).

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE fonds (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text        NOT NULL CHECK (code <> '' AND code = btrim(code)),
    name        text        NOT NULL,
    creator     text,
    year_from   integer,
    year_to     integer,
    notes       text,
    search_key  text        GENERATED ALWAYS AS (pk_fold(code || ' ' || name || ' ' || coalesce(creator, ''))) STORED,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint      NOT NULL REFERENCES api_keys (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint      NOT NULL REFERENCES api_keys (id),
    CHECK (year_from <= year_to)
);
CREATE UNIQUE INDEX fonds_code ON fonds (lower(code));
CREATE INDEX fonds_search ON fonds USING gin (search_key gin_trgm_ops);

-- Boxes belong to a fonds for real: the fonds codes boxes carried become fonds.
ALTER TABLE boxes ADD COLUMN fonds_id bigint REFERENCES fonds (id);
INSERT INTO fonds (code, name, created_by, updated_by)
SELECT DISTINCT ON (lower(fonds_code)) fonds_code, fonds_code, created_by, created_by
FROM boxes WHERE fonds_code IS NOT NULL ORDER BY lower(fonds_code), id;
UPDATE boxes b SET fonds_id = f.id FROM fonds f WHERE lower(f.code) = lower(b.fonds_code);
DROP VIEW box_places;
DROP INDEX boxes_fonds;
ALTER TABLE boxes DROP COLUMN search_key, DROP COLUMN fonds_code;
ALTER TABLE boxes ADD COLUMN search_key text GENERATED ALWAYS AS (pk_fold(barcode || ' ' || coalesce(label, ''))) STORED;
CREATE INDEX boxes_search ON boxes USING gin (search_key gin_trgm_ops);
CREATE INDEX boxes_fonds ON boxes (fonds_id);
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

CREATE TABLE files (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fonds_id     bigint      NOT NULL REFERENCES fonds (id),
    -- mục lục số and hồ sơ số: the file's number within its inventory within its fonds.
    inventory_no integer     NOT NULL CHECK (inventory_no >= 1),
    file_no      integer     NOT NULL CHECK (file_no >= 1),
    -- mã hồ sơ, since 2025.
    archive_code text        CHECK (archive_code <> ''),
    title        text        NOT NULL,
    date_from    date,
    date_to      date,
    -- The numbered units of the file, leaves (tờ) or pages (trang) as `numbering` says.
    page_count   integer     NOT NULL CHECK (page_count BETWEEN 1 AND 100000),
    numbering    text        NOT NULL DEFAULT 'leaf' CHECK (numbering IN ('leaf', 'page')),
    box_id       bigint      REFERENCES boxes (id),
    access       text        NOT NULL DEFAULT 'open' CHECK (access IN ('open', 'restricted', 'closed')),
    notes        text,
    search_key   text        GENERATED ALWAYS AS (pk_fold(title || ' ' || coalesce(archive_code, '') || ' '
                                                          || inventory_no || '/' || file_no)) STORED,
    version      integer     NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   bigint      NOT NULL REFERENCES api_keys (id),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   bigint      NOT NULL REFERENCES api_keys (id),
    CONSTRAINT files_number UNIQUE (fonds_id, inventory_no, file_no),
    CHECK (date_from <= date_to)
);
CREATE UNIQUE INDEX files_archive_code ON files (lower(archive_code));
CREATE INDEX files_box ON files (box_id);
CREATE INDEX files_search ON files USING gin (search_key gin_trgm_ops);

-- Terms of the controlled vocabularies, with Vietnamese and English labels. Terms are retired,
-- never deleted: records keep the codes they were written with.
CREATE TABLE vocabulary_terms (
    vocabulary  text        NOT NULL CHECK (vocabulary IN ('condition_grade', 'damage_type', 'treatment_type',
                                                           'material', 'movement_reason')),
    code        text        NOT NULL CHECK (code ~ '^[a-z0-9_]{1,40}$'),
    label_vi    text        NOT NULL,
    label_en    text        NOT NULL,
    -- For materials: lining_paper, adhesive, deacidifying_agent, film or other.
    category    text,
    position    integer     NOT NULL,
    retired_at  timestamptz,
    version     integer     NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  bigint      REFERENCES api_keys (id),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  bigint      REFERENCES api_keys (id),
    PRIMARY KEY (vocabulary, code)
);

INSERT INTO vocabulary_terms (vocabulary, code, label_vi, label_en, category, position)
SELECT vocabulary, code, label_vi, label_en, category, row_number() OVER (PARTITION BY vocabulary ORDER BY n)
FROM (VALUES
    (1, 'condition_grade', '1', 'tốt', 'good', NULL),
    (2, 'condition_grade', '2', 'hư hỏng nhẹ', 'fair', NULL),
    (3, 'condition_grade', '3', 'hư hỏng nặng', 'poor', NULL),
    (4, 'condition_grade', '4', 'không sử dụng được', 'unusable', NULL),
    (10, 'damage_type', 'torn', 'rách', 'torn', NULL),
    (11, 'damage_type', 'holes', 'thủng', 'holes, losses', NULL),
    (12, 'damage_type', 'brittle', 'giòn, gẫy nát', 'brittle', NULL),
    (13, 'damage_type', 'crumbling', 'mủn', 'crumbling', NULL),
    (14, 'damage_type', 'acid', 'axit ăn mòn', 'acid degradation', NULL),
    (15, 'damage_type', 'ink_corrosion', 'mực ăn mòn', 'ink corrosion', NULL),
    (16, 'damage_type', 'faded_ink', 'mực phai, nhoè', 'faded or bled ink', NULL),
    (17, 'damage_type', 'thin_paper', 'giấy mỏng', 'thin paper', NULL),
    (18, 'damage_type', 'stains', 'ố, ố vàng', 'stains, yellowing', NULL),
    (19, 'damage_type', 'foxing', 'đốm ố', 'foxing', NULL),
    (20, 'damage_type', 'blocked', 'dính bết', 'blocked leaves', NULL),
    (21, 'damage_type', 'mould', 'nấm mốc', 'mould', NULL),
    (22, 'damage_type', 'insects', 'côn trùng, mọt', 'insects', NULL),
    (23, 'damage_type', 'termites', 'mối', 'termites', NULL),
    (24, 'damage_type', 'rodents', 'chuột', 'rodents', NULL),
    (25, 'damage_type', 'water', 'ẩm, ướt', 'water damage', NULL),
    (26, 'damage_type', 'cockling', 'cong vênh', 'cockling', NULL),
    (27, 'damage_type', 'rusty_fasteners', 'ghim gỉ', 'rusty fasteners', NULL),
    (28, 'damage_type', 'laminated', 'đã ép plastic', 'previously laminated', NULL),
    (40, 'treatment_type', 'backing', 'bồi nền', 'lining, backing', NULL),
    (41, 'treatment_type', 'mending', 'vá, dán', 'mending, infill', NULL),
    (42, 'treatment_type', 'deacidification', 'khử axit', 'deacidification', NULL),
    (43, 'treatment_type', 'cleaning', 'vệ sinh tài liệu', 'surface cleaning', NULL),
    (44, 'treatment_type', 'flattening', 'làm phẳng', 'humidification and flattening', NULL),
    (45, 'treatment_type', 'disinfection', 'khử trùng', 'disinfection, fumigation', NULL),
    (46, 'treatment_type', 'encapsulation', 'bọc màng polyester', 'polyester encapsulation', NULL),
    (47, 'treatment_type', 'lamination', 'ép plastic', 'heat lamination', NULL),
    (48, 'treatment_type', 'rehousing', 'thay bìa, thay hộp', 'new cover or box', NULL),
    (60, 'material', 'do_paper', 'giấy dó', 'dó paper (Vietnamese handmade bark paper)', 'lining_paper'),
    (61, 'material', 'kozo_tissue', 'giấy kōzo Nhật Bản', 'Japanese kōzo tissue', 'lining_paper'),
    (62, 'material', 'cmc', 'keo CMC', 'CMC (carboxymethyl cellulose)', 'adhesive'),
    (63, 'material', 'wheat_starch', 'hồ tinh bột mì', 'wheat starch paste', 'adhesive'),
    (64, 'material', 'methyl_cellulose', 'methyl cellulose', 'methyl cellulose', 'adhesive'),
    (65, 'material', 'calcium_hydroxide', 'canxi hydroxit', 'calcium hydroxide', 'deacidifying_agent'),
    (66, 'material', 'magnesium_oxide', 'magie oxit', 'magnesium oxide', 'deacidifying_agent'),
    (67, 'material', 'polyester_film', 'màng polyester', 'polyester film', 'film'),
    (80, 'movement_reason', 'intake', 'nhập kho', 'intake', NULL),
    (81, 'movement_reason', 'reshelve', 'xếp lại lên giá', 'reshelve', NULL),
    (82, 'movement_reason', 'conservation', 'đưa đi tu bổ', 'conservation', NULL),
    (83, 'movement_reason', 'reading_room', 'phục vụ độc giả', 'reading room', NULL),
    (84, 'movement_reason', 'digitization', 'số hoá', 'digitization', NULL),
    (85, 'movement_reason', 'exhibition', 'triển lãm', 'exhibition', NULL),
    (86, 'movement_reason', 'loan', 'cho mượn', 'loan', NULL),
    (87, 'movement_reason', 'quarantine', 'cách ly', 'quarantine', NULL),
    (88, 'movement_reason', 'return', 'trả về vị trí', 'return', NULL),
    (89, 'movement_reason', 'relocation', 'chuyển vị trí', 'relocation', NULL),
    (90, 'movement_reason', 'audit_correction', 'điều chỉnh sau kiểm tra', 'audit correction', NULL)
) AS seed (n, vocabulary, code, label_vi, label_en, category);

-- Condition surveys of page ranges. Append-only: a correction is a new assessment naming the
-- one it supersedes. A page's current condition is the latest assessment covering it that no
-- other supersedes.
CREATE TABLE assessments (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id                bigint           NOT NULL REFERENCES files (id),
    pages                  int4multirange   NOT NULL CHECK (NOT isempty(pages)),
    page_count             integer          NOT NULL CHECK (page_count >= 1),
    grade                  smallint         NOT NULL CHECK (grade BETWEEN 1 AND 4),
    -- [{type, severity 1–3, pages (normalised text, within the assessment's), active}]
    damages                jsonb            NOT NULL DEFAULT '[]',
    ph                     double precision CHECK (ph BETWEEN 0 AND 14),
    extent_pct             double precision CHECK (extent_pct BETWEEN 0 AND 100),
    recommended_treatments text[]           NOT NULL DEFAULT '{}',
    notes                  text,
    assessed_at            timestamptz      NOT NULL DEFAULT now(),
    supersedes_id          bigint           UNIQUE REFERENCES assessments (id),
    created_at             timestamptz      NOT NULL DEFAULT now(),
    created_by             bigint           NOT NULL REFERENCES api_keys (id)
);
CREATE INDEX assessments_file ON assessments (file_id, assessed_at);
CREATE INDEX assessments_assessed ON assessments (assessed_at);
-- The assessments that can put pages in the treatment queue.
CREATE INDEX assessments_calling ON assessments (file_id) WHERE grade >= 3 OR recommended_treatments <> '{}';

CREATE TABLE treatments (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_id              bigint         NOT NULL REFERENCES files (id),
    pages                int4multirange NOT NULL CHECK (NOT isempty(pages)),
    page_count           integer        NOT NULL CHECK (page_count >= 1),
    type                 text           NOT NULL,
    method               text           NOT NULL DEFAULT 'manual' CHECK (method IN ('manual', 'machine')),
    -- [{code, detail}], e.g. {"code": "do_paper", "detail": "9 g/m²"}
    materials            jsonb          NOT NULL DEFAULT '[]',
    conservators         text[]         NOT NULL DEFAULT '{}',
    reversible           boolean,
    before_assessment_id bigint         REFERENCES assessments (id),
    after_assessment_id  bigint         REFERENCES assessments (id),
    notes                text,
    status               text           NOT NULL CHECK (status IN ('proposed', 'approved', 'in_progress',
                                                                   'completed', 'cancelled')),
    approved_at          timestamptz,
    approved_by          bigint         REFERENCES api_keys (id),
    started_at           timestamptz,
    completed_at         timestamptz,
    cancelled_at         timestamptz,
    version              integer        NOT NULL DEFAULT 1,
    created_at           timestamptz    NOT NULL DEFAULT now(),
    created_by           bigint         NOT NULL REFERENCES api_keys (id),
    updated_at           timestamptz    NOT NULL DEFAULT now(),
    updated_by           bigint         NOT NULL REFERENCES api_keys (id),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL AND after_assessment_id IS NOT NULL)),
    CHECK (started_at <= completed_at),
    -- A page is in at most one open treatment of a type, whatever runs concurrently.
    CONSTRAINT treatments_one_open_per_page EXCLUDE USING gist (file_id WITH =, type WITH =, pages WITH &&)
        WHERE (status IN ('proposed', 'approved', 'in_progress'))
);
CREATE INDEX treatments_file ON treatments (file_id);
-- Finds the treatment whose result an assessment records (assessment_records).
CREATE INDEX treatments_after ON treatments (after_assessment_id);
CREATE INDEX treatments_completed ON treatments (completed_at) WHERE status = 'completed';

-- An assessment with what points at it: the correction that supersedes it, and the treatment
-- whose result it records.
CREATE VIEW assessment_records AS
SELECT a.id, a.file_id, a.pages, a.page_count, a.grade, a.damages, a.ph, a.extent_pct,
       a.recommended_treatments, a.notes, a.assessed_at, a.supersedes_id, s.id AS superseded_by,
       t.id AS treatment_id, a.created_at, a.created_by
FROM assessments a
LEFT JOIN assessments s ON s.supersedes_id = a.id
LEFT JOIN treatments t ON t.after_assessment_id = a.id;

-- Every step of a treatment's workflow, kept.
CREATE TABLE treatment_transitions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    treatment_id bigint      NOT NULL REFERENCES treatments (id),
    from_status  text,
    to_status    text        NOT NULL,
    note         text,
    at           timestamptz NOT NULL DEFAULT now(),
    by           bigint      NOT NULL REFERENCES api_keys (id)
);
CREATE INDEX treatment_transitions_treatment ON treatment_transitions (treatment_id, id);

CREATE TRIGGER assessments_append_only BEFORE UPDATE OR DELETE ON assessments
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
CREATE TRIGGER treatment_transitions_append_only BEFORE UPDATE OR DELETE ON treatment_transitions
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
