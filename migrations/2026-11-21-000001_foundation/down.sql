DROP TABLE locations;
DROP TABLE api_keys;
DROP COLLATION pk_natural;
DROP FUNCTION pk_fold(text);
DROP EXTENSION pg_trgm;
DROP EXTENSION unaccent;
