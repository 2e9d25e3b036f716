-- A box that holds space on a shelf has a place on it, a position no other box there has: the
-- shelf it stands on, or its home while it is out (space_shelf_id, kept by a trigger from the
-- box's places). A box that gives its space up gives its position up too.
ALTER TABLE boxes ADD COLUMN space_shelf_id bigint;

CREATE FUNCTION pk_box_space_shelf() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.space_shelf_id := CASE
        WHEN NOT NEW.holds_space THEN NULL
        WHEN NEW.current_location_id = NEW.home_location_id THEN NEW.home_location_id
        WHEN (SELECT kind FROM locations WHERE id = NEW.current_location_id) = 'shelf' THEN NEW.current_location_id
        ELSE NEW.home_location_id END;
    IF NEW.space_shelf_id IS NULL THEN
        NEW.position := NULL;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER boxes_space_shelf BEFORE INSERT OR UPDATE OF current_location_id, home_location_id, holds_space
    ON boxes FOR EACH ROW EXECUTE FUNCTION pk_box_space_shelf();
UPDATE boxes SET holds_space = holds_space;

-- Boxes that hold space without a place of their own (none, or one an earlier box has) take
-- the lowest free positions of their shelves, in id order. Run here, and by a restore of an
-- export made before positions were unique.
CREATE FUNCTION pk_place_boxes() RETURNS void LANGUAGE sql AS $$
    WITH held AS (
        SELECT id, space_shelf_id, position,
               row_number() OVER (PARTITION BY space_shelf_id, position ORDER BY id) AS nth
        FROM boxes WHERE space_shelf_id IS NOT NULL),
    unplaced AS (
        SELECT id, space_shelf_id, row_number() OVER (PARTITION BY space_shelf_id ORDER BY id) AS n
        FROM held WHERE position IS NULL OR nth > 1),
    free AS (
        SELECT s.space_shelf_id, p, row_number() OVER (PARTITION BY s.space_shelf_id ORDER BY p) AS n
        FROM (SELECT space_shelf_id, count(*)::int AS boxes FROM held
              WHERE space_shelf_id IN (SELECT space_shelf_id FROM unplaced) GROUP BY space_shelf_id) s,
             generate_series(1, s.boxes) p
        WHERE NOT EXISTS (SELECT 1 FROM held h
                          WHERE h.space_shelf_id = s.space_shelf_id AND h.position = p AND h.nth = 1))
    UPDATE boxes b SET position = f.p
    FROM unplaced u JOIN free f USING (space_shelf_id, n)
    WHERE b.id = u.id
$$;
SELECT pk_place_boxes();

-- Checked at commit, so that boxes of one request can trade places.
ALTER TABLE boxes ADD CONSTRAINT boxes_one_per_position UNIQUE (space_shelf_id, position) DEFERRABLE INITIALLY DEFERRED;
