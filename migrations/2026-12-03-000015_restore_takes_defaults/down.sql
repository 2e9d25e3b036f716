CREATE OR REPLACE FUNCTION pk_restore(tab regclass, rows jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    columns text;
    restored bigint;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
    FROM pg_attribute WHERE attrelid = tab AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_recordset(NULL::%s, $1)',
                   tab, columns, columns, tab) USING rows;
    GET DIAGNOSTICS restored = ROW_COUNT;
    RETURN restored;
END
$$;
