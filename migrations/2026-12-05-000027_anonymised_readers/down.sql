DROP TRIGGER events_append_only ON events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
DROP FUNCTION pk_events_append_only();
ALTER TABLE readers DROP CONSTRAINT readers_referral;
ALTER TABLE readers ADD CONSTRAINT readers_check1 CHECK (purpose = 'personal' OR referral IS NOT NULL);
ALTER TABLE readers DROP COLUMN anonymised_at;
