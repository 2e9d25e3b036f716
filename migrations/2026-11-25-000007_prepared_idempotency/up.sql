-- The two statements an Idempotency-Key adds to a request, as PL/pgSQL functions: PL/pgSQL keeps
-- their plans for the connection's life, where the same SQL sent as text (which Diesel never
-- prepares) was planned on every request.

-- In the request's transaction: the active API key with `key_hash`, named the actor of what
-- follows; a transaction-scoped lock on its idempotency `key` (false when another request with
-- the key holds it); and what an earlier request with `key` left within `hours`.
CREATE FUNCTION pk_claim_idempotency_key(key_hash bytea, key text, hours integer)
RETURNS TABLE (key_id bigint, role text, free boolean, fingerprint bytea, status smallint, headers jsonb, body bytea)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT k.id, k.role, pg_try_advisory_xact_lock(hashtextextended(pk_claim_idempotency_key.key, k.id)),
           i.fingerprint, i.status, i.headers, i.body
    FROM api_keys k
    LEFT JOIN idempotency_keys i ON i.api_key_id = k.id AND i.key = pk_claim_idempotency_key.key
                                AND i.created_at > now() - make_interval(hours => hours)
    WHERE k.key_hash = pk_claim_idempotency_key.key_hash AND k.revoked_at IS NULL
      AND set_config('paperkeep.actor', k.id::text, false) IS NOT NULL;
END
$$;

-- Stores the answer given to `key` (removing anyone's expired keys on the way); false if a
-- live record of the key is already there, which the caller answers by rolling back.
CREATE FUNCTION pk_record_idempotency_key(api_key_id bigint, key text, fingerprint bytea, status smallint,
                                          headers jsonb, body bytea, hours integer)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    recorded bigint;
BEGIN
    DELETE FROM idempotency_keys i
    WHERE i.created_at <= now() - make_interval(hours => hours)
      AND (i.api_key_id, i.key) <> (pk_record_idempotency_key.api_key_id, pk_record_idempotency_key.key);
    INSERT INTO idempotency_keys AS kept (api_key_id, key, fingerprint, status, headers, body)
    VALUES (api_key_id, key, fingerprint, status, headers, body)
    ON CONFLICT ON CONSTRAINT idempotency_keys_pkey DO UPDATE
    SET fingerprint = excluded.fingerprint, created_at = now(), status = excluded.status,
        headers = excluded.headers, body = excluded.body
    WHERE kept.created_at <= now() - make_interval(hours => hours);
    GET DIAGNOSTICS recorded = ROW_COUNT;
    RETURN recorded = 1;
END
$$;
