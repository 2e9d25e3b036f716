-- A key is recorded by a plain INSERT sent with COMMIT (db::idempotency::record): a record of
-- the key already there makes it fail, as the unique violation it is. Expired records no longer
-- need replacing in place: the service removes them (db::idempotency::sweep) within a minute of
-- their 24 hours, and honours a record for as long as it is there.
DROP FUNCTION pk_record_idempotency_key(bigint, text, bytea, smallint, jsonb, bytea, int);

-- A record's API key is the caller just authenticated, and API keys are never deleted (a revoked
-- key stays, for the trail): the check could never fail, and it cost every keyed POST a lookup
-- and a lock on the API key's row.
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_api_key_id_fkey;
