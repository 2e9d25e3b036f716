-- Files to search by words, for the benchmarks: {files} files over {fonds} fonds of equal size,
-- with titles as a provincial archive writes them — a kind of record, a subject, the agency that
-- made it and a year (`Tập công văn về công tác cán bộ của Sở Nội vụ năm 1976`) — combined from
-- 15 kinds, 40 subjects, 20 agencies and 51 years; a third with an archive code. So a word is in
-- a few percent of the files or more, and two to four of them in a hundredth or less.
-- Placeholders in braces are filled in by examples/bench.rs.

INSERT INTO api_keys (name, role, prefix, key_hash) VALUES ('bench', 'admin', 'pk_bench', sha256('{key}'::bytea));

INSERT INTO fonds (id, code, name, created_by, updated_by) OVERRIDING SYSTEM VALUE
SELECT n, 'F' || n, 'Phông số ' || n, 1, 1 FROM generate_series(1, {fonds}) n;
SELECT setval(pg_get_serial_sequence('fonds', 'id'), {fonds});

WITH parts AS (SELECT
    ARRAY['Hồ sơ về việc', 'Tập công văn về', 'Báo cáo về', 'Tập quyết định của Ủy ban nhân dân tỉnh về',
          'Tờ trình về', 'Biên bản họp về', 'Kế hoạch', 'Chỉ thị về', 'Thông báo về', 'Tập báo cáo tổng kết',
          'Hồ sơ hội nghị', 'Đề án', 'Tập tài liệu về', 'Công văn trao đổi về', 'Nghị quyết về'] AS kinds,
    ARRAY['công tác cán bộ', 'tổ chức bộ máy', 'tuyển dụng cán bộ, công chức', 'thi đua, khen thưởng',
          'xây dựng cơ bản', 'giáo dục phổ thông', 'y tế cơ sở', 'cải cách hành chính', 'xếp lương, nâng bậc lương',
          'thành lập đơn vị hành chính cấp xã', 'địa giới hành chính', 'quản lý đất đai', 'thủy lợi',
          'giao thông nông thôn', 'chính sách thương binh, liệt sĩ', 'công tác tôn giáo', 'công tác dân tộc miền núi',
          'phòng chống lụt bão', 'kế hoạch nhà nước', 'tài chính ngân sách', 'văn hóa thông tin', 'công tác lưu trữ',
          'công tác thanh tra', 'quốc phòng địa phương', 'dân số kế hoạch hóa gia đình', 'hợp tác xã nông nghiệp',
          'công nghiệp địa phương', 'thương nghiệp quốc doanh', 'bầu cử Hội đồng nhân dân',
          'đào tạo, bồi dưỡng cán bộ', 'bảo vệ rừng', 'chăn nuôi gia súc', 'lương thực, thực phẩm', 'điện lực',
          'bưu điện', 'phát thanh truyền hình', 'thể dục thể thao', 'du lịch', 'khoa học kỹ thuật',
          'an ninh trật tự'] AS subjects,
    ARRAY['của Sở Nội vụ', 'của Ủy ban nhân dân tỉnh', 'của Sở Giáo dục và Đào tạo', 'của Sở Y tế',
          'của Ban Tổ chức chính quyền', 'của huyện Tiên Lữ', 'của huyện Kim Động', 'của thị xã Hưng Yên',
          'của Sở Tài chính', 'của Sở Nông nghiệp', 'của Ty Thủy lợi', 'của Ty Giao thông', 'của Sở Văn hóa',
          'của Công an tỉnh', 'của Bộ Nội vụ', 'của Hội đồng nhân dân tỉnh', 'của Sở Lao động', 'của Sở Xây dựng',
          'của Ban Thi đua', 'của Sở Công nghiệp'] AS agencies)
INSERT INTO files (id, fonds_id, inventory_no, file_no, archive_code, title, date_from, date_to, page_count,
                   created_by, updated_by)
OVERRIDING SYSTEM VALUE
SELECT i, (i - 1) / ({files} / {fonds}) + 1, ((i - 1) % ({files} / {fonds})) / 1000 + 1,
       (i - 1) % ({files} / {fonds}) % 1000 + 1,
       CASE WHEN i % 3 = 0 THEN 'HS-' || lpad(i::text, 7, '0') END,
       kinds[1 + i * 7919 % 15] || ' ' || subjects[1 + i * 104729 % 40] || ' ' || agencies[1 + i * 15485863 % 20]
           || ' năm ' || (1955 + i * 32452843 % 51),
       make_date((1955 + i * 32452843 % 51)::int, 1, 1), make_date((1955 + i * 32452843 % 51)::int, 12, 31),
       (i * 7919) % 60 + 1, 1, 1
FROM parts, generate_series(1::bigint, {files}) i;
SELECT setval(pg_get_serial_sequence('files', 'id'), {files});
