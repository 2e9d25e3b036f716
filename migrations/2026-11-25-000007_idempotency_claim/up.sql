-- Claims an idempotency key for the calling transaction (`lock` is the key's advisory lock, see
-- db::idempotency::claim), or fails at once, as the unique violation it stands for, when another
-- request holds it. Called in the message that begins the request's transaction.
CREATE FUNCTION pk_claim_idempotency_key(lock bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock(lock) THEN
        RAISE unique_violation USING
            MESSAGE = 'a request with this idempotency key is running',
            TABLE = 'idempotency_keys', CONSTRAINT = 'idempotency_keys_pkey';
    END IF;
END
$$;

-- Every record has its answer (a key is recorded with the answer, in one statement).
ALTER TABLE idempotency_keys
    ALTER status SET NOT NULL, ALTER headers SET NOT NULL, ALTER body SET NOT NULL;

-- Records an idempotency key with its answer, in place of an expired record of the key; fails
-- as a unique violation when a live record is there (a request with the key committed first).
-- A function so that PostgreSQL keeps the INSERT's plan: the service sends the call as text.
CREATE FUNCTION pk_record_idempotency_key(
    api_key_id bigint, key text, fingerprint bytea, status smallint, headers jsonb, body bytea, kept_hours int
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO idempotency_keys AS kept (api_key_id, key, fingerprint, status, headers, body)
    VALUES (api_key_id, key, fingerprint, status, headers, body)
    ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
    SET fingerprint = excluded.fingerprint, created_at = now(), status = excluded.status,
        headers = excluded.headers, body = excluded.body
    WHERE kept.created_at <= now() - make_interval(hours => kept_hours);
    IF NOT FOUND THEN
        RAISE unique_violation USING
            MESSAGE = 'a request with this idempotency key committed first',
            TABLE = 'idempotency_keys', CONSTRAINT = 'idempotency_keys_pkey';
    END IF;
END
$$;
