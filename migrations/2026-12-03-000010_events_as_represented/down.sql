DROP TABLE feed;
DROP INDEX events_position;
ALTER TABLE events DROP COLUMN data_schema;

-- The row triggers of migrations 4, 5 and 8, as they were.
CREATE FUNCTION pk_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hidden  text[] := ARRAY['search_key', 'ancestor_ids', 'key_hash', 'secret', 'cursor_tx', 'cursor_position',
                            'attempts', 'failing_since', 'retry_at', 'leased_until'];
    record  jsonb;
    earlier jsonb;
    subject text;
BEGIN
    IF current_setting('paperkeep.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        record := to_jsonb(OLD);
    ELSE
        record := to_jsonb(NEW);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        earlier := to_jsonb(OLD);
    END IF;
    IF record ? 'pages' THEN
        record := record || jsonb_build_object('pages', pk_pages_text((record ->> 'pages')::int4multirange));
    END IF;
    IF TG_TABLE_NAME = 'vocabulary_terms' THEN
        subject := TG_ARGV[1] || (record ->> 'vocabulary') || '/terms/' || (record ->> 'code');
    ELSE
        subject := TG_ARGV[1] || (record ->> TG_ARGV[2]);
    END IF;
    INSERT INTO events (type, subject, data, before, internal)
    VALUES (TG_ARGV[0], subject, record - hidden, earlier - hidden, coalesce(TG_ARGV[3] = 'internal', false));
    RETURN NULL;
END
$$;

CREATE FUNCTION pk_record_added_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('paperkeep.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO events (type, subject, data)
    SELECT TG_ARGV[0], TG_ARGV[1] || (record ->> TG_ARGV[2]), record - 'search_key' - 'ancestor_ids'
    FROM (SELECT to_jsonb(added) AS record FROM added) AS rows;
    RETURN NULL;
END
$$;

CREATE TRIGGER locations_created AFTER INSERT ON locations
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('location.created', '/api/v1/locations/', 'id');
CREATE TRIGGER locations_updated AFTER UPDATE ON locations FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('location.updated', '/api/v1/locations/', 'id');
CREATE TRIGGER locations_deleted AFTER DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('location.deleted', '/api/v1/locations/', 'id');
CREATE TRIGGER boxes_created AFTER INSERT ON boxes
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('box.created', '/api/v1/boxes/', 'id');
CREATE TRIGGER boxes_updated AFTER UPDATE ON boxes
    FOR EACH ROW WHEN (OLD.version <> NEW.version AND OLD.current_location_id = NEW.current_location_id)
    EXECUTE FUNCTION pk_record_event('box.updated', '/api/v1/boxes/', 'id');
CREATE TRIGGER movements_created AFTER INSERT ON movements FOR EACH ROW WHEN (NEW.from_location_id IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('box.moved', '/api/v1/boxes/', 'box_id');
CREATE TRIGGER audits_created AFTER INSERT ON audits
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('audit.created', '/api/v1/audits/', 'id');
CREATE TRIGGER audits_reconciled AFTER UPDATE ON audits
    FOR EACH ROW WHEN (OLD.reconciled_at IS NULL AND NEW.reconciled_at IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('audit.reconciled', '/api/v1/audits/', 'id');
CREATE TRIGGER fonds_created AFTER INSERT ON fonds
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('fonds.created', '/api/v1/fonds/', 'id');
CREATE TRIGGER fonds_updated AFTER UPDATE ON fonds FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('fonds.updated', '/api/v1/fonds/', 'id');
CREATE TRIGGER files_created AFTER INSERT ON files REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_added_events('file.created', '/api/v1/files/', 'id');
CREATE TRIGGER files_updated AFTER UPDATE ON files FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('file.updated', '/api/v1/files/', 'id');
CREATE TRIGGER assessments_created AFTER INSERT ON assessments
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('assessment.created', '/api/v1/assessments/', 'id');
CREATE TRIGGER treatments_created AFTER INSERT ON treatments
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('treatment.created', '/api/v1/treatments/', 'id');
CREATE TRIGGER treatment_transitions_created AFTER INSERT ON treatment_transitions
    FOR EACH ROW WHEN (NEW.from_status IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('treatment.transitioned', '/api/v1/treatments/', 'treatment_id');
CREATE TRIGGER vocabulary_terms_created AFTER INSERT ON vocabulary_terms
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('vocabulary_term.created', '/api/v1/vocabularies/', 'code');
CREATE TRIGGER vocabulary_terms_updated AFTER UPDATE ON vocabulary_terms FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('vocabulary_term.updated', '/api/v1/vocabularies/', 'code');
CREATE TRIGGER api_keys_created AFTER INSERT ON api_keys
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('api_key.created', '/api/v1/api-keys/', 'id', 'internal');
CREATE TRIGGER api_keys_revoked AFTER UPDATE ON api_keys
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('api_key.revoked', '/api/v1/api-keys/', 'id', 'internal');
CREATE TRIGGER webhooks_created AFTER INSERT ON webhooks
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('webhook.created', '/api/v1/webhooks/', 'id', 'internal');
CREATE TRIGGER webhooks_deactivated AFTER UPDATE ON webhooks FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
    EXECUTE FUNCTION pk_record_event('webhook.deactivated', '/api/v1/webhooks/', 'id', 'internal');
