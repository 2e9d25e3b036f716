DROP FUNCTION pk_record_idempotency_key(bigint, text, bytea, smallint, jsonb, bytea, integer);
DROP FUNCTION pk_claim_idempotency_key(bytea, text, integer);
