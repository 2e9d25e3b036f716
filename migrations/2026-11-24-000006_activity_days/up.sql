-- The activity report's page figures, added up per UTC day as the records are written, so that
-- a year's report sums a few thousand rows instead of joining a million records to their files.
-- Derived from the records (the triggers below keep it; `counted_activity` recomputes it), not
-- history: a correction or a file's change of numbering moves units between rows.
CREATE TABLE activity_days (
    day       date   NOT NULL,
    fonds_id  bigint NOT NULL REFERENCES fonds (id),
    numbering text   NOT NULL,  -- the file's, saying whether the units are pages or leaves
    figure    text   NOT NULL CHECK (figure IN ('assessed', 'laminated', 'treated')),
    item      text   NOT NULL,  -- the grade assessed, the treatment type, '' for laminated
    units     bigint NOT NULL,
    PRIMARY KEY (day, fonds_id, numbering, figure, item)
);

-- What one assessment adds: its pages at its grade, and the pages it found laminated.
CREATE FUNCTION pk_assessment_units(grade smallint, page_count integer, damages jsonb)
RETURNS TABLE (figure text, item text, units bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'assessed', grade::text, page_count::bigint
    UNION ALL
    SELECT 'laminated', '', sum(pk_pages_count(d ->> 'pages'))
    FROM jsonb_array_elements(damages) d WHERE d ->> 'type' = 'laminated' HAVING count(*) > 0
$$;

-- Every record's units as the report counts them: assessments not superseded by a correction,
-- and completed treatments, on the UTC day they were made.
CREATE VIEW counted_activity AS
SELECT a.file_id, (a.assessed_at AT TIME ZONE 'UTC')::date AS day, u.figure, u.item, u.units
FROM assessments a CROSS JOIN LATERAL pk_assessment_units(a.grade, a.page_count, a.damages) u
WHERE NOT EXISTS (SELECT 1 FROM assessments c WHERE c.supersedes_id = a.id)
UNION ALL
SELECT t.file_id, (t.completed_at AT TIME ZONE 'UTC')::date, 'treated', t.type, t.page_count::bigint
FROM treatments t WHERE t.status = 'completed';

CREATE TYPE pk_activity_change AS (day date, fonds_id bigint, numbering text, figure text, item text, units bigint);

-- Adds signed units to the days' figures. The rows are locked in key order, so writers that
-- touch the same days cannot deadlock on them.
CREATE FUNCTION pk_add_activity(changes pk_activity_change[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO activity_days (day, fonds_id, numbering, figure, item, units)
    SELECT c.day, c.fonds_id, c.numbering, c.figure, c.item, sum(c.units)
    FROM unnest(changes) c
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.units) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (day, fonds_id, numbering, figure, item) DO UPDATE SET units = activity_days.units + excluded.units
$$;

-- New assessments count; the ones their corrections supersede stop counting.
CREATE FUNCTION pk_count_assessments() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pk_add_activity(array_agg(ROW((a.assessed_at AT TIME ZONE 'UTC')::date, f.fonds_id, f.numbering,
                                          u.figure, u.item, a.sign * u.units)::pk_activity_change))
    FROM (SELECT n.file_id, n.assessed_at, n.grade, n.page_count, n.damages, 1 AS sign FROM new_assessments n
          UNION ALL
          SELECT s.file_id, s.assessed_at, s.grade, s.page_count, s.damages, -1
          FROM assessments s JOIN new_assessments n ON s.id = n.supersedes_id) a
    JOIN files f ON f.id = a.file_id
    CROSS JOIN LATERAL pk_assessment_units(a.grade, a.page_count, a.damages) u;
    RETURN NULL;
END
$$;
CREATE TRIGGER assessments_counted AFTER INSERT ON assessments
    REFERENCING NEW TABLE AS new_assessments FOR EACH STATEMENT EXECUTE FUNCTION pk_count_assessments();

-- A treatment counts once it is completed, the workflow's last state.
CREATE FUNCTION pk_count_treatments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    completed bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        completed := ARRAY(SELECT id FROM new_treatments WHERE status = 'completed');
    ELSE
        completed := ARRAY(SELECT n.id FROM new_treatments n JOIN old_treatments o USING (id)
                           WHERE n.status = 'completed' AND o.status <> 'completed');
    END IF;
    PERFORM pk_add_activity(array_agg(ROW((t.completed_at AT TIME ZONE 'UTC')::date, f.fonds_id, f.numbering,
                                          'treated', t.type, t.page_count)::pk_activity_change))
    FROM new_treatments t JOIN files f ON f.id = t.file_id
    WHERE t.id IN (SELECT unnest(completed));
    RETURN NULL;
END
$$;
CREATE TRIGGER treatments_counted AFTER INSERT ON treatments
    REFERENCING NEW TABLE AS new_treatments FOR EACH STATEMENT EXECUTE FUNCTION pk_count_treatments();
CREATE TRIGGER treatments_completed AFTER UPDATE ON treatments
    REFERENCING OLD TABLE AS old_treatments NEW TABLE AS new_treatments
    FOR EACH STATEMENT EXECUTE FUNCTION pk_count_treatments();

-- A file whose numbering changes takes its units from leaves to pages or back.
CREATE FUNCTION pk_recount_files() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    renumbered bigint[] := ARRAY(SELECT o.id FROM old_files o JOIN new_files n USING (id)
                                 WHERE (o.fonds_id, o.numbering) IS DISTINCT FROM (n.fonds_id, n.numbering));
BEGIN
    IF cardinality(renumbered) > 0 THEN
        PERFORM pk_add_activity(array_agg(ROW(c.day, f.fonds_id, f.numbering, c.figure, c.item,
                                              f.sign * c.units)::pk_activity_change))
        FROM (SELECT o.id, o.fonds_id, o.numbering, -1 AS sign FROM old_files o
              UNION ALL
              SELECT n.id, n.fonds_id, n.numbering, 1 FROM new_files n) f
        JOIN counted_activity c ON c.file_id = f.id
        WHERE c.file_id = ANY (renumbered);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER files_recounted AFTER UPDATE ON files
    REFERENCING OLD TABLE AS old_files NEW TABLE AS new_files FOR EACH STATEMENT EXECUTE FUNCTION pk_recount_files();

-- The records already written.
SELECT pk_add_activity(array_agg(ROW(c.day, f.fonds_id, f.numbering, c.figure, c.item, c.units)::pk_activity_change))
FROM counted_activity c JOIN files f ON f.id = c.file_id;

-- The report's distinct counts (files treated by type, boxes moved by reason) read these in
-- order, without visiting the tables.
CREATE INDEX treatments_completed_by_type ON treatments (type, file_id, completed_at) WHERE status = 'completed';
CREATE INDEX movements_by_reason ON movements (reason, box_id, moved_at) WHERE from_location_id IS NOT NULL;
-- A fonds' files, to count only theirs (boxes have boxes_fonds).
CREATE INDEX files_fonds ON files (fonds_id, id);
-- Surveys finding active mould or insects are few: the report reads just them.
CREATE INDEX assessments_active_pests ON assessments (assessed_at) INCLUDE (file_id, id)
    WHERE damages @> '[{"type": "mould", "active": true}]' OR damages @> '[{"type": "insects", "active": true}]'
       OR damages @> '[{"type": "termites", "active": true}]';
