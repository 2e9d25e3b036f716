-- A location's shelving space, as before, but a shelf answers from its own counters without
-- probing the ancestors' index for shelves below it (it has none), and in PL/pgSQL, whose
-- plans are kept for the connection: a SQL function with a FROM is planned again by every
-- statement that calls it, which was half the cost of scanning a shelf's label.
CREATE OR REPLACE FUNCTION pk_space(location_id bigint, OUT capacity_mm bigint, OUT used_mm bigint, OUT box_count bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    SELECT l.capacity_mm, l.used_mm, l.box_count INTO capacity_mm, used_mm, box_count
    FROM locations l WHERE l.id = location_id AND l.kind = 'shelf';
    IF NOT FOUND THEN
        SELECT coalesce(sum(s.capacity_mm), 0), coalesce(sum(s.used_mm), 0), coalesce(sum(s.box_count), 0)
        INTO capacity_mm, used_mm, box_count
        FROM locations s WHERE s.kind = 'shelf' AND s.ancestor_ids @> ARRAY[location_id];
    END IF;
END
$$;
