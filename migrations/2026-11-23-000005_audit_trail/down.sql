DROP TRIGGER webhooks_deactivated ON webhooks;
DROP TRIGGER webhooks_created ON webhooks;
DROP TRIGGER api_keys_revoked ON api_keys;
DROP TRIGGER api_keys_created ON api_keys;
DROP TRIGGER vocabulary_terms_updated ON vocabulary_terms;
DROP TRIGGER vocabulary_terms_created ON vocabulary_terms;
ALTER TABLE events DROP COLUMN internal, DROP COLUMN before;
-- pk_record_event() of the integration migration.
CREATE OR REPLACE FUNCTION pk_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record jsonb;
BEGIN
    IF current_setting('paperkeep.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        record := to_jsonb(OLD);
    ELSE
        record := to_jsonb(NEW);
    END IF;
    IF record ? 'pages' THEN
        record := record || jsonb_build_object('pages', pk_pages_text((record ->> 'pages')::int4multirange));
    END IF;
    INSERT INTO events (type, subject, data)
    VALUES (TG_ARGV[0], TG_ARGV[1] || (record ->> TG_ARGV[2]), record - 'search_key' - 'ancestor_ids');
    RETURN NULL;
END
$$;
