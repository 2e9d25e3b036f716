DROP VIEW assessment_records;
CREATE VIEW assessment_records AS
SELECT a.id, a.file_id, a.pages, a.page_count, a.grade, a.damages, a.ph, a.extent_pct,
       a.recommended_treatments, a.notes, a.assessed_at, a.supersedes_id, s.id AS superseded_by,
       t.id AS treatment_id, a.created_at, a.created_by
FROM assessments a
LEFT JOIN assessments s ON s.supersedes_id = a.id
LEFT JOIN treatments t ON t.after_assessment_id = a.id;
DROP TRIGGER assessment_withdrawals_count ON assessment_withdrawals;
DROP FUNCTION pk_count_withdrawal();
CREATE OR REPLACE VIEW counted_activity AS
SELECT a.file_id, (a.assessed_at AT TIME ZONE 'UTC')::date AS day, u.figure, u.item, u.units
FROM assessments a CROSS JOIN LATERAL pk_assessment_units(a.grade, a.page_count, a.damages) u
WHERE NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = a.id)
UNION ALL
SELECT t.file_id, (t.completed_at AT TIME ZONE 'UTC')::date, 'treated', t.type, t.page_count::bigint
FROM treatments t WHERE t.status = 'completed';
DROP FUNCTION pk_assessment_counts(bigint);
DROP TABLE assessment_withdrawals;
ALTER TABLE treatments DROP COLUMN priority, DROP COLUMN due_date, DROP COLUMN hours, DROP COLUMN conservator_hours;
