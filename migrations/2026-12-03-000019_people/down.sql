DROP TABLE sessions;
DROP TABLE people;
ALTER TABLE api_keys DROP COLUMN person;
