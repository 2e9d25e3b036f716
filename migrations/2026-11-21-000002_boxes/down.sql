DROP TABLE movements;
DROP TABLE audit_findings;
DROP TABLE audits;
DROP FUNCTION pk_append_only();
DROP VIEW box_places;
DROP TABLE boxes;
DROP FUNCTION pk_space(bigint);
ALTER TABLE locations DROP CONSTRAINT locations_within_capacity, DROP COLUMN box_count, DROP COLUMN used_mm,
    DROP COLUMN path;
