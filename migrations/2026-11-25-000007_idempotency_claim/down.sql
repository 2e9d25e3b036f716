ALTER TABLE idempotency_keys
    ALTER status DROP NOT NULL, ALTER headers DROP NOT NULL, ALTER body DROP NOT NULL;
DROP FUNCTION pk_record_idempotency_key(bigint, text, bytea, smallint, jsonb, bytea, int);
DROP FUNCTION pk_claim_idempotency_key(bigint);
