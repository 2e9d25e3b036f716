-- A restore fills a column that an older export does not have with the column's default, as
-- an INSERT leaving it out would (a key present with null stays null).
CREATE OR REPLACE FUNCTION pk_restore(tab regclass, rows jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    columns text;
    picked text;
    restored bigint;
BEGIN
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
           string_agg(CASE WHEN d.adbin IS NULL THEN format('r.%I', a.attname)
                           ELSE format('CASE WHEN j ? %L THEN r.%I ELSE %s END', a.attname, a.attname,
                                       pg_get_expr(d.adbin, d.adrelid)) END,
                      ', ' ORDER BY a.attnum)
      INTO columns, picked
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = tab AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s '
                   'FROM jsonb_array_elements($1) j, jsonb_populate_record(NULL::%s, j) r',
                   tab, columns, picked, tab) USING rows;
    GET DIAGNOSTICS restored = ROW_COUNT;
    RETURN restored;
END
$$;
