DROP INDEX locations_kind;
