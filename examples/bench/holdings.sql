-- Holdings and conservation records for the benchmarks: {files} files over {fonds} fonds of
-- equal size, each fonds' files together (1 to 60 leaves each, about 30 on average; the first 40 files have 100), {surveys}
-- condition surveys (grades 1-4; grades 3-4 recommend backing) and {treatments} completed
-- backings, each with its condition after. Placeholders in braces are filled in by
-- examples/bench.rs.

INSERT INTO api_keys (name, role, prefix, key_hash) VALUES ('bench', 'admin', 'pk_bench', sha256('{key}'::bytea));

-- Someone signed in to the app, for its page map: their session's token is the key too.
INSERT INTO api_keys (name, role, prefix, key_hash, person)
VALUES ('Người xem', 'viewer', '@xem', sha256('unusable {key}'::bytea), true);
INSERT INTO people (username, display_name, role, password_hash, actor_id)
SELECT 'xem', 'Người xem', 'viewer', 'no password: signed in by the session below', id FROM api_keys WHERE person;
INSERT INTO sessions (token_hash, person_id, csrf_token) SELECT sha256('{key}'::bytea), id, 'bench' FROM people;

INSERT INTO fonds (id, code, name, created_by, updated_by) OVERRIDING SYSTEM VALUE
SELECT n, 'F' || n, 'Phông số ' || n, 1, 1 FROM generate_series(1, {fonds}) n;
SELECT setval(pg_get_serial_sequence('fonds', 'id'), {fonds});

-- Each fonds' files are entered together (ids in a block); numbers run within its inventories.
INSERT INTO files (id, fonds_id, inventory_no, file_no, title, page_count, created_by, updated_by)
OVERRIDING SYSTEM VALUE
SELECT i, (i - 1) / ({files} / {fonds}) + 1, ((i - 1) % ({files} / {fonds})) / 1000 + 1,
       (i - 1) % ({files} / {fonds}) % 1000 + 1, 'Hồ sơ số ' || i || ' của Sở Nội vụ',
       CASE WHEN i <= 40 THEN 100 ELSE (i::bigint * 7919) % 60 + 1 END, 1, 1
FROM generate_series(1, {files}) i;
SELECT setval(pg_get_serial_sequence('files', 'id'), {files});

INSERT INTO assessments (file_id, pages, page_count, grade, recommended_treatments, assessed_at, created_by)
SELECT f.id, int4multirange(int4range(1, f.page_count + 1)), f.page_count, grade,
       CASE WHEN grade >= 3 THEN '{backing}'::text[] ELSE '{}'::text[] END,
       now() - (400 + j % 365) * interval '1 day', 1
FROM generate_series(1, {surveys}) j
JOIN files f ON f.id = (j::bigint * 7) % {files} + 1,
LATERAL (SELECT 1 + ((j::bigint * 48271) % 97) % 4 AS grade) g;

WITH after AS (
    INSERT INTO assessments (file_id, pages, page_count, grade, assessed_at, created_by)
    SELECT f.id, int4multirange(int4range(1, f.page_count / 2 + 2)), f.page_count / 2 + 1, 2,
           now() - (k % 365) * interval '1 day', 1
    FROM generate_series(1, {treatments}) k JOIN files f ON f.id = (k::bigint * 13) % {files} + 1
    RETURNING id, file_id, pages, page_count, assessed_at
)
INSERT INTO treatments (file_id, pages, page_count, type, status, completed_at, after_assessment_id, materials,
                        created_by, updated_by)
SELECT file_id, pages, page_count, 'backing', 'completed', assessed_at, id, '[{"code": "do_paper"}]', 1, 1
FROM after;

-- The page map's file, the last: 2,000 leaves surveyed in 40 runs of 50 (grades 1 to 4 in turn,
-- live mould on the first ten leaves of every fifth run) and five open treatments.
UPDATE files SET page_count = 2000 WHERE id = {files};
INSERT INTO assessments (file_id, pages, page_count, grade, damages, recommended_treatments, assessed_at, created_by)
SELECT {files}, int4multirange(int4range(r * 50 + 1, r * 50 + 51)), 50, r % 4 + 1,
       CASE WHEN r % 5 = 0
            THEN jsonb_build_array(jsonb_build_object('type', 'mould', 'severity', 2, 'active', true,
                                                      'pages', (r * 50 + 1) || '-' || (r * 50 + 10)))
            ELSE '[]'::jsonb END,
       CASE WHEN r % 4 >= 2 THEN '{backing}'::text[] ELSE '{}'::text[] END, now() - interval '1 day', 1
FROM generate_series(0, 39) r;
INSERT INTO treatments (file_id, pages, page_count, type, status, created_by, updated_by)
SELECT {files}, int4multirange(int4range(t * 400 + 101, t * 400 + 151)), 50, 'backing', 'proposed', 1, 1
FROM generate_series(0, 4) t;

-- The files' events, for the feed's scenario (made from the rows here, about the size of what
-- the service writes).
INSERT INTO events (type, subject, data)
SELECT 'file.created', '/api/v1/files/' || id, to_jsonb(f) - 'search_words' - 'search_key' FROM files f ORDER BY id;
