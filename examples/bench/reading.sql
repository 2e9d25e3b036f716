-- The reading room on top of the storage repository (dataset.sql): two files in every box,
-- every tenth of conservation grade 3 or worse; {readers} readers; {past} requests of past
-- years, all closed; and {open} open requests of 1 to 3 files each, from anywhere on the
-- shelves, some in the same box. Placeholders in braces are filled in by examples/bench.rs.

INSERT INTO files (id, fonds_id, inventory_no, file_no, title, page_count, box_id, created_by, updated_by)
OVERRIDING SYSTEM VALUE
SELECT i, b.fonds_id, 1, i, 'Hồ sơ số ' || i || ' về công tác văn thư', 20 + i % 40, b.id, 1, 1
FROM generate_series(1, 2 * {boxes}) i JOIN boxes b ON b.id = (i + 1) / 2;
SELECT setval(pg_get_serial_sequence('files', 'id'), 2 * {boxes});

INSERT INTO assessments (file_id, pages, page_count, grade, assessed_at, created_by)
SELECT f.id, int4multirange(int4range(1, f.page_count + 1)), f.page_count, 3 + f.id / 10 % 2, now() - interval '100 days', 1
FROM files f WHERE f.id % 10 = 0;

INSERT INTO readers (reader_no, full_name, identity_type, identity_no, nationality, purpose, created_by, updated_by)
SELECT 'DG-' || lpad(n::text, 6, '0'), 'Độc giả số ' || n, 'cccd', lpad(n::text, 12, '0'), 'VN', 'personal', 1, 1
FROM generate_series(1, {readers}) n;

-- History: requests of the past, each of two files, all given back and closed.
INSERT INTO reading_requests (reader_id, kind, channel, status, received_at, due_at, created_by, updated_by)
SELECT n % {readers} + 1, 'read', 'desk', 'closed', now() - interval '700 days' + n * interval '10 minutes',
       now() - interval '699 days' + n * interval '10 minutes', 1, 1
FROM generate_series(1, {past}) n;
INSERT INTO request_lines (request_id, line_no, file_id, servable, status)
SELECT r.id, l, (r.id * 7919 + l * 104729) % (2 * {boxes}) + 1, 'original', 'closed'
FROM reading_requests r CROSS JOIN generate_series(1, 2) l;

-- Open: received today, each of 1 to 3 files; a few of the files lie in the same box.
INSERT INTO reading_requests (reader_id, kind, channel, status, received_at, due_at, created_by, updated_by)
SELECT n % {readers} + 1, 'read', 'desk', 'submitted', now() - interval '1 hour', now() + interval '1 day', 1, 1
FROM generate_series(1, {open}) n;
INSERT INTO request_lines (request_id, line_no, file_id, servable, status)
SELECT r.id, l, (r.id * 15485863 + l) % (2 * {boxes}) + 1, 'original', 'submitted'
FROM reading_requests r CROSS JOIN LATERAL generate_series(1, 1 + r.id % 3) l
WHERE r.status = 'submitted';

-- Two decades of closures: the holidays, and a closed half-day or two a year.
INSERT INTO closures (first_day, last_day, part, name, created_by)
SELECT make_date(y, m, d), make_date(y, m, d) + extra, part, name, 1
FROM generate_series(2020, 2040) y,
     (VALUES (1, 1, 0, 'day', 'Tết Dương lịch'), (2, 10, 4, 'day', 'Tết Nguyên đán'),
             (4, 30, 1, 'day', 'Ngày Giải phóng miền Nam và Quốc tế Lao động'), (9, 2, 0, 'day', 'Quốc khánh'),
             (6, 15, 0, 'afternoon', 'Sinh hoạt chuyên môn'), (11, 20, 0, 'morning', 'Ngày Nhà giáo')) c (m, d, extra, part, name);
