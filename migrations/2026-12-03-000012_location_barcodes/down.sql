DROP TRIGGER locations_barcode ON locations;
DROP FUNCTION pk_location_barcode();
DROP INDEX locations_barcode;
ALTER TABLE locations DROP COLUMN barcode;
