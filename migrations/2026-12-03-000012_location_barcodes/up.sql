-- Every location has a barcode for its label, so that a shelf can be scanned: given, or made
-- from the location's id (`LOC-000123`) when it is created; unique ignoring case, and unlike
-- a path code never changed by a rename.
ALTER TABLE locations ADD COLUMN barcode text;
UPDATE locations SET barcode = 'LOC-' || lpad(id::text, 6, '0');
ALTER TABLE locations
    ALTER COLUMN barcode SET NOT NULL,
    ADD CONSTRAINT locations_barcode_trimmed CHECK (barcode <> '' AND barcode = btrim(barcode));
CREATE UNIQUE INDEX locations_barcode ON locations (lower(barcode));

-- A location inserted without one (null or empty) gets one from its id (the identity is
-- assigned before BEFORE triggers run).
CREATE FUNCTION pk_location_barcode() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.barcode := coalesce(nullif(NEW.barcode, ''), 'LOC-' || lpad(NEW.id::text, 6, '0'));
    RETURN NEW;
END
$$;
CREATE TRIGGER locations_barcode BEFORE INSERT ON locations
    FOR EACH ROW EXECUTE FUNCTION pk_location_barcode();
