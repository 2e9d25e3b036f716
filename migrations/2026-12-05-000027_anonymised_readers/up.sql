-- Readers' personal data anonymised after the rules' time without losing the counts: the row
-- stays (its visits, requests and hand-overs still count), its name and documents are gone.
ALTER TABLE readers ADD COLUMN anonymised_at timestamptz;
ALTER TABLE readers DROP CONSTRAINT readers_check1;
ALTER TABLE readers ADD CONSTRAINT readers_referral
    CHECK (purpose = 'personal' OR referral IS NOT NULL OR anonymised_at IS NOT NULL);

-- The change feed is never rewritten, but for one thing: the events of a reader being
-- anonymised, whose data (and before) the transaction doing it names in
-- `paperkeep.anonymising`; nothing else of them changes.
CREATE FUNCTION pk_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.subject = current_setting('paperkeep.anonymising', true)
       AND to_jsonb(NEW) - 'data' - 'before' = to_jsonb(OLD) - 'data' - 'before' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
DROP TRIGGER events_append_only ON events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pk_events_append_only();
