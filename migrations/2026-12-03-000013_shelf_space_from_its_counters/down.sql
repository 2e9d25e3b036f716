CREATE OR REPLACE FUNCTION pk_space(location_id bigint, OUT capacity_mm bigint, OUT used_mm bigint, OUT box_count bigint)
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(s.capacity_mm), 0), coalesce(sum(s.used_mm), 0), coalesce(sum(s.box_count), 0)
    FROM locations s
    WHERE s.kind = 'shelf' AND (s.id = location_id OR s.ancestor_ids @> ARRAY[location_id])
$$;
