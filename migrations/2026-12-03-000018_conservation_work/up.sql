-- Conservation as a lab plans and accounts for it: a proposal's priority and due date, the
-- hours a treatment took (in all, and by conservator; its materials carry quantities in their
-- JSON), and assessments withdrawn when recorded in error.
ALTER TABLE treatments
    ADD COLUMN priority smallint NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 3),
    ADD COLUMN due_date date,
    ADD COLUMN hours double precision CHECK (hours BETWEEN 0 AND 10000),
    ADD COLUMN conservator_hours jsonb NOT NULL DEFAULT '[]';

-- A withdrawn assessment stays in the page history, marked, and counts nowhere; withdrawing a
-- correction makes the assessment it corrected count again. Kept forever, like assessments.
CREATE TABLE assessment_withdrawals (
    assessment_id bigint      PRIMARY KEY REFERENCES assessments (id),
    reason        text        NOT NULL CHECK (btrim(reason) <> ''),
    withdrawn_at  timestamptz NOT NULL DEFAULT now(),
    withdrawn_by  bigint      NOT NULL REFERENCES api_keys (id)
);
CREATE TRIGGER assessment_withdrawals_append_only BEFORE UPDATE OR DELETE ON assessment_withdrawals
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();

-- Whether an assessment describes its pages: not withdrawn, and no correction still standing
-- supersedes it.
CREATE FUNCTION pk_assessment_counts(assessment_id bigint) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = $1)
       AND NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = $1
                       AND NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = c.id))
$$;

CREATE OR REPLACE VIEW counted_activity AS
SELECT a.file_id, (a.assessed_at AT TIME ZONE 'UTC')::date AS day, u.figure, u.item, u.units
FROM assessments a CROSS JOIN LATERAL pk_assessment_units(a.grade, a.page_count, a.damages) u
WHERE pk_assessment_counts(a.id)
UNION ALL
SELECT t.file_id, (t.completed_at AT TIME ZONE 'UTC')::date, 'treated', t.type, t.page_count::bigint
FROM treatments t WHERE t.status = 'completed';

-- The withdrawn assessment stops counting (if it counted); the one it corrected counts again.
CREATE FUNCTION pk_count_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pk_add_activity(array_agg(ROW((a.assessed_at AT TIME ZONE 'UTC')::date, f.fonds_id, f.numbering,
                                          u.figure, u.item, x.sign * u.units)::pk_activity_change))
    FROM (SELECT NEW.assessment_id AS id, -1 AS sign
          WHERE NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = NEW.assessment_id
                            AND NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = c.id))
          UNION ALL
          SELECT s.supersedes_id, 1 FROM assessments s
          WHERE s.id = NEW.assessment_id AND s.supersedes_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM assessment_withdrawals w WHERE w.assessment_id = s.supersedes_id)) x
    JOIN assessments a ON a.id = x.id
    JOIN files f ON f.id = a.file_id
    CROSS JOIN LATERAL pk_assessment_units(a.grade, a.page_count, a.damages) u;
    RETURN NULL;
END
$$;
CREATE TRIGGER assessment_withdrawals_count AFTER INSERT ON assessment_withdrawals
    FOR EACH ROW EXECUTE FUNCTION pk_count_withdrawal();

CREATE OR REPLACE VIEW assessment_records AS
SELECT a.id, a.file_id, a.pages, a.page_count, a.grade, a.damages, a.ph, a.extent_pct,
       a.recommended_treatments, a.notes, a.assessed_at, a.supersedes_id, s.id AS superseded_by,
       t.id AS treatment_id, a.created_at, a.created_by,
       w.withdrawn_at, w.withdrawn_by, w.reason AS withdrawal_reason
FROM assessments a
LEFT JOIN assessments s ON s.supersedes_id = a.id
    AND NOT EXISTS (SELECT 1 FROM assessment_withdrawals x WHERE x.assessment_id = s.id)
LEFT JOIN treatments t ON t.after_assessment_id = a.id
LEFT JOIN assessment_withdrawals w ON w.assessment_id = a.id;
