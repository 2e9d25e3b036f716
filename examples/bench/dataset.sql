-- A repository for the benchmarks: {boxes} boxes, 8 to a shelf (125 mm boxes on 1200 mm
-- shelves), 5 shelves to a bay, 10 bays to a unit, 25 units to a stack room, in one building;
-- {movements_per_box} movements per box (intake, then out to the reading room and back);
-- a reading room and a conservation lab. Counters are set as the service would keep them.
-- Placeholders in braces are filled in by examples/bench.rs.

INSERT INTO api_keys (name, role, prefix, key_hash) VALUES ('bench', 'admin', 'pk_bench', sha256('{key}'::bytea));

-- A storage manager signed in to the app, for its locate and move pages: their session's token
-- is the key too.
INSERT INTO api_keys (name, role, prefix, key_hash, person)
VALUES ('Người quản lý kho', 'storage_manager', '@kho', sha256('unusable {key}'::bytea), true);
INSERT INTO people (username, display_name, role, password_hash, actor_id)
SELECT 'kho', 'Người quản lý kho', 'storage_manager', 'no password: signed in by the session below', id
FROM api_keys WHERE person;
INSERT INTO sessions (token_hash, person_id, csrf_token) SELECT sha256('{key}'::bytea), id, 'bench' FROM people;

INSERT INTO locations (id, parent_id, kind, code, name, path_code, path, ancestor_ids, created_by, updated_by)
OVERRIDING SYSTEM VALUE VALUES (1, NULL, 'building', 'K1', 'Kho lưu trữ 1', 'K1',
    '[{"id": 1, "kind": "building", "code": "K1", "name": "Kho lưu trữ 1"}]', '{}', 1, 1);

CREATE TEMPORARY TABLE levels (kind text, count int, per_parent int, prefix text, first_id bigint, parent_first_id bigint);
INSERT INTO levels VALUES
    ('room',  {rooms},   {rooms}, 'P', 2, 1),
    ('unit',  {units},   25,      'G', 2 + {rooms}, 2),
    ('bay',   {bays},    10,      '',  2 + {rooms} + {units}, 2 + {rooms}),
    ('shelf', {shelves}, 5,       '',  2 + {rooms} + {units} + {bays}, 2 + {rooms} + {units});

DO $$
DECLARE level record;
BEGIN
    FOR level IN SELECT * FROM levels ORDER BY first_id LOOP
        INSERT INTO locations (id, parent_id, kind, code, name, path_code, path, ancestor_ids, capacity_mm, used_mm,
                               box_count, created_by, updated_by)
        OVERRIDING SYSTEM VALUE
        SELECT level.first_id + n - 1, p.id, level.kind, c.code, NULL, p.path_code || '-' || c.code,
               p.path || jsonb_build_array(jsonb_build_object('id', level.first_id + n - 1, 'kind', level.kind,
                                                              'code', c.code, 'name', NULL)),
               p.ancestor_ids || p.id,
               CASE WHEN level.kind = 'shelf' THEN 1200 END,
               CASE WHEN level.kind = 'shelf' THEN 1000 ELSE 0 END,
               CASE WHEN level.kind = 'shelf' THEN 8 ELSE 0 END, 1, 1
        FROM generate_series(1, level.count) n
        JOIN locations p ON p.id = CASE WHEN level.kind = 'room' THEN 1
                                        ELSE level.parent_first_id + (n - 1) / level.per_parent END,
        LATERAL (SELECT level.prefix || ((n - 1) % level.per_parent + 1) AS code) c;
    END LOOP;
END $$;

SELECT setval(pg_get_serial_sequence('locations', 'id'), (SELECT max(id) FROM locations));
INSERT INTO locations (parent_id, kind, code, name, path_code, path, ancestor_ids, purpose, created_by, updated_by)
SELECT 1, 'workspace', code, name, 'K1-' || code, '[]', '{1}', purpose, 1, 1
FROM (VALUES ('RR', 'Phòng đọc', 'reading_room'), ('LAB', 'Phòng tu bổ', 'conservation_lab')) w (code, name, purpose);
UPDATE locations w SET path = b.path || jsonb_build_array(jsonb_build_object('id', w.id, 'kind', w.kind,
                                                                             'code', w.code, 'name', w.name))
FROM locations b WHERE b.id = 1 AND w.kind = 'workspace';


-- 50 fonds; box i has id i, barcode HS000000i and belongs to fonds i % 50 + 1.
INSERT INTO fonds (id, code, name, created_by, updated_by) OVERRIDING SYSTEM VALUE
SELECT n, 'F' || n, 'Phông số ' || n, 1, 1 FROM generate_series(1, 50) n;
SELECT setval(pg_get_serial_sequence('fonds', 'id'), 50);
INSERT INTO boxes (id, barcode, label, fonds_id, width_mm, home_location_id, current_location_id, position,
                   created_by, updated_by)
OVERRIDING SYSTEM VALUE
SELECT i, 'HS' || lpad(i::text, 7, '0'), 'Hộp ' || i, i % 50 + 1, 125, shelf, shelf, (i - 1) % 8 + 1, 1, 1
FROM generate_series(1, {boxes}) i, LATERAL (SELECT {first_shelf} + (i - 1) / 8 AS shelf) s;
SELECT setval(pg_get_serial_sequence('boxes', 'id'), {boxes});


INSERT INTO movements (box_id, from_location_id, to_location_id, reason, moved_at, moved_by)
SELECT b.id,
       CASE WHEN j = 0 THEN NULL WHEN j % 2 = 1 THEN b.home_location_id ELSE rr.id END,
       CASE WHEN j % 2 = 1 THEN rr.id ELSE b.home_location_id END,
       CASE WHEN j = 0 THEN 'intake' WHEN j % 2 = 1 THEN 'reading_room' ELSE 'return' END,
       now() - interval '365 days' + j * interval '60 days', 1
FROM boxes b CROSS JOIN generate_series(0, {movements_per_box} - 1) j
CROSS JOIN (SELECT id FROM locations WHERE code = 'RR') rr
ORDER BY b.id, j;
