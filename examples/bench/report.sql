-- A year of conservation records on top of a storage repository, for the activity report:
-- {files} files over 20 fonds, {surveys} condition surveys and {treatments} completed
-- treatments (each with its condition after) in the last 365 days, so {records} treatment and
-- assessment records in all. One survey in 20 finds active mould, one in 25 laminated pages.
-- Placeholders in braces are filled in by examples/bench.rs.

INSERT INTO fonds (code, name, created_by, updated_by)
SELECT 'R' || n, 'Phông báo cáo ' || n, 1, 1 FROM generate_series(1, 20) n;

INSERT INTO files (fonds_id, inventory_no, file_no, title, page_count, numbering, created_by, updated_by)
SELECT (SELECT min(id) FROM fonds WHERE code LIKE 'R%') + (i - 1) % 20, 1, (i - 1) / 20 + 1,
       'Hồ sơ số ' || i, (i::bigint * 7919) % 60 + 1, CASE WHEN i % 10 = 0 THEN 'page' ELSE 'leaf' END, 1, 1
FROM generate_series(1, {files}) i;

INSERT INTO assessments (file_id, pages, page_count, grade, damages, recommended_treatments, assessed_at, created_by)
SELECT f.id, int4multirange(int4range(1, f.page_count + 1)), f.page_count, 1 + (j % 4),
       CASE WHEN j % 20 = 0 THEN '[{"type": "mould", "severity": 2, "pages": "1", "active": true}]'::jsonb
            WHEN j % 25 = 0 THEN '[{"type": "laminated", "severity": 1, "pages": "1-2", "active": false}]'::jsonb
            ELSE '[]'::jsonb END,
       CASE WHEN j % 4 >= 2 THEN '{backing}'::text[] ELSE '{}'::text[] END,
       now() - (j % 365) * interval '1 day' - (j % 1440) * interval '1 minute', 1
FROM generate_series(1, {surveys}) j
JOIN files f ON f.id = (SELECT min(id) FROM files WHERE title = 'Hồ sơ số 1') + (j::bigint * 7) % {files};

WITH after AS (
    INSERT INTO assessments (file_id, pages, page_count, grade, assessed_at, created_by)
    SELECT f.id, int4multirange(int4range(1, f.page_count / 2 + 2)), f.page_count / 2 + 1, 2,
           now() - (k % 365) * interval '1 day' - (k % 1440) * interval '1 minute', 1
    FROM generate_series(1, {treatments}) k
    JOIN files f ON f.id = (SELECT min(id) FROM files WHERE title = 'Hồ sơ số 1') + (k::bigint * 13) % {files}
    RETURNING id, file_id, pages, page_count, assessed_at
)
INSERT INTO treatments (file_id, pages, page_count, type, status, completed_at, after_assessment_id, materials,
                        created_by, updated_by)
SELECT file_id, pages, page_count, (ARRAY['backing', 'mending', 'cleaning', 'deacidification'])[1 + id % 4],
       'completed', assessed_at, id, '[{"code": "do_paper"}]', 1, 1
FROM after;
