-- The audit trail is the events table read whole (GET /api/v1/audit-trail, admins only): every
-- write already leaves an event in its own transaction, with who and when. This adds what an
-- auditor needs besides: the row before a change, and the writes that are not the feed's
-- business (keys and webhook subscriptions), kept out of the feed as `internal`.
ALTER TABLE events
    ADD COLUMN before   jsonb,
    ADD COLUMN internal boolean NOT NULL DEFAULT false;

-- Arguments: event type, subject prefix, key column, and `internal` for trail-only events.
-- Secrets, search keys and delivery bookkeeping are left out of the row images.
CREATE OR REPLACE FUNCTION pk_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hidden  text[] := ARRAY['search_key', 'ancestor_ids', 'key_hash', 'secret', 'cursor_tx', 'cursor_position',
                            'attempts', 'failing_since', 'retry_at', 'leased_until'];
    record  jsonb;
    earlier jsonb;
    subject text;
BEGIN
    -- A restore brings the events of the exported archive with it.
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
