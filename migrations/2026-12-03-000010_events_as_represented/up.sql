-- Events carry each resource as the API shows it (what `GET {subject}` answers right after the
-- change), written by the service in the writing transaction itself (events::repo::record), so
-- an event still exists exactly when its change was committed. The triggers that wrote table
-- rows go.
DROP TRIGGER locations_created ON locations;
DROP TRIGGER locations_updated ON locations;
DROP TRIGGER locations_deleted ON locations;
DROP TRIGGER boxes_created ON boxes;
DROP TRIGGER boxes_updated ON boxes;
DROP TRIGGER movements_created ON movements;
DROP TRIGGER audits_created ON audits;
DROP TRIGGER audits_reconciled ON audits;
DROP TRIGGER fonds_created ON fonds;
DROP TRIGGER fonds_updated ON fonds;
DROP TRIGGER files_created ON files;
DROP TRIGGER files_updated ON files;
DROP TRIGGER assessments_created ON assessments;
DROP TRIGGER treatments_created ON treatments;
DROP TRIGGER treatment_transitions_created ON treatment_transitions;
DROP TRIGGER vocabulary_terms_created ON vocabulary_terms;
DROP TRIGGER vocabulary_terms_updated ON vocabulary_terms;
DROP TRIGGER api_keys_created ON api_keys;
DROP TRIGGER api_keys_revoked ON api_keys;
DROP TRIGGER webhooks_created ON webhooks;
DROP TRIGGER webhooks_deactivated ON webhooks;
DROP FUNCTION pk_record_event();
DROP FUNCTION pk_record_added_events();

-- The shape of `data`: 1 for the table rows of the events written before, 2 from now on.
ALTER TABLE events ADD COLUMN data_schema smallint NOT NULL DEFAULT 1;
ALTER TABLE events ALTER COLUMN data_schema SET DEFAULT 2;

-- A feed cursor names the event it follows by its position, which a restore keeps (it gives
-- the restored events new transaction numbers, see imports::repo::restore).
CREATE UNIQUE INDEX events_position ON events (position);

-- The feed's identity, which its cursors carry so that one of another database's feed is told
-- apart. A restore brings the exported feed's, so that its readers go on.
CREATE TABLE feed (
    id  uuid    NOT NULL DEFAULT gen_random_uuid(),
    one boolean PRIMARY KEY DEFAULT true CHECK (one)
);
INSERT INTO feed DEFAULT VALUES;
