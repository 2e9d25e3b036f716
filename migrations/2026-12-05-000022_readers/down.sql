DROP TABLE closures;
DROP TABLE readers;
DROP SEQUENCE reader_numbers;
ALTER TABLE people DROP CONSTRAINT people_role_check;
ALTER TABLE people ADD CONSTRAINT people_role_check
    CHECK (role IN ('admin', 'storage_manager', 'conservator', 'head_conservator', 'integration', 'viewer'));
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('admin', 'storage_manager', 'conservator', 'head_conservator', 'integration', 'viewer'));
