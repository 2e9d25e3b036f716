ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_api_key_id_fkey FOREIGN KEY (api_key_id) REFERENCES api_keys (id);

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
