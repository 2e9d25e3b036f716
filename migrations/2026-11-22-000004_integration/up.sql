-- The change feed: one event per committed change, written by triggers in the writing
-- transaction itself, so an event exists exactly when its change was committed.
--
-- Readers page by (tx, position) and only ever see events of transactions older than the
-- oldest one still running (the snapshot's xmin): an event can never appear behind a cursor
-- already handed out, however transactions interleave and commit.
CREATE TABLE events (
    tx          bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    position    bigint      GENERATED ALWAYS AS IDENTITY,
    -- Random, so unique without an index to keep (nothing looks events up by id).
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    type        text        NOT NULL,
    subject     text        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- The API key that made the change: the service sets `paperkeep.actor` when it
    -- authenticates a request.
    actor       bigint      DEFAULT nullif(current_setting('paperkeep.actor', true), '')::bigint,
    data        jsonb       NOT NULL,
    PRIMARY KEY (tx, position)
);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();

-- The feed's horizon: the oldest transaction of this database still running when the calling
-- statement's snapshot was taken (or the snapshot's end if none). Every event of an older
-- transaction is committed (or gone) for good. Transactions of other databases of the cluster,
-- known by the activity view, are left out; any that cannot be told apart count, which only
-- holds the feed back, never lets it skip. STABLE: it reads the caller's snapshot.
CREATE FUNCTION pk_feed_horizon() RETURNS bigint LANGUAGE sql STABLE AS $$
    WITH snapshot AS (SELECT pg_current_snapshot() AS s),
    elsewhere AS (
        SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
        WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL)
    SELECT coalesce(min(running::text::bigint), min(pg_snapshot_xmax(s)::text::bigint))
    FROM snapshot LEFT JOIN LATERAL pg_snapshot_xip(s) AS running
         ON running::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)
$$;

-- A page set as the API writes it: `1-250, 300`.
CREATE FUNCTION pk_pages_text(int4multirange) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_agg(CASE WHEN upper(r) - lower(r) = 1 THEN lower(r)::text
                           ELSE lower(r) || '-' || (upper(r) - 1) END, ', ' ORDER BY lower(r))
    FROM unnest($1) AS r
$$;

-- The trigger body shared by every table: one event per changed row. Row-level, so that the
-- WHEN conditions below (evaluated without calling any function) keep the changes that are not
-- worth an event, such as the running totals a box movement updates, free.
-- Arguments: event type; the start of the resource path; the column whose value ends it.
CREATE FUNCTION pk_record_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record jsonb;
BEGIN
    -- A restore brings the events of the exported archive with it.
    IF current_setting('paperkeep.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        record := to_jsonb(OLD);
    ELSE
        record := to_jsonb(NEW);
    END IF;
    IF record ? 'pages' THEN
        record := record || jsonb_build_object('pages', pk_pages_text((record ->> 'pages')::int4multirange));
    END IF;
    INSERT INTO events (type, subject, data)
    VALUES (TG_ARGV[0], TG_ARGV[1] || (record ->> TG_ARGV[2]), record - 'search_key' - 'ancestor_ids');
    RETURN NULL;
END
$$;

CREATE TRIGGER locations_created AFTER INSERT ON locations
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('location.created', '/api/v1/locations/', 'id');
-- Renames, moves in the tree, capacity…: the edits that bump the version.
CREATE TRIGGER locations_updated AFTER UPDATE ON locations FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('location.updated', '/api/v1/locations/', 'id');
CREATE TRIGGER locations_deleted AFTER DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('location.deleted', '/api/v1/locations/', 'id');

CREATE TRIGGER boxes_created AFTER INSERT ON boxes
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('box.created', '/api/v1/boxes/', 'id');
-- A movement has its own event (box.moved); this one is for edits and for being marked missing.
CREATE TRIGGER boxes_updated AFTER UPDATE ON boxes
    FOR EACH ROW WHEN (OLD.version <> NEW.version AND OLD.current_location_id = NEW.current_location_id)
    EXECUTE FUNCTION pk_record_event('box.updated', '/api/v1/boxes/', 'id');
-- The first placement of a box is part of box.created.
CREATE TRIGGER movements_created AFTER INSERT ON movements FOR EACH ROW WHEN (NEW.from_location_id IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('box.moved', '/api/v1/boxes/', 'box_id');

CREATE TRIGGER audits_created AFTER INSERT ON audits
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('audit.created', '/api/v1/audits/', 'id');
CREATE TRIGGER audits_reconciled AFTER UPDATE ON audits
    FOR EACH ROW WHEN (OLD.reconciled_at IS NULL AND NEW.reconciled_at IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('audit.reconciled', '/api/v1/audits/', 'id');

CREATE TRIGGER fonds_created AFTER INSERT ON fonds
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('fonds.created', '/api/v1/fonds/', 'id');
CREATE TRIGGER fonds_updated AFTER UPDATE ON fonds FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('fonds.updated', '/api/v1/fonds/', 'id');

CREATE TRIGGER files_created AFTER INSERT ON files
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('file.created', '/api/v1/files/', 'id');
CREATE TRIGGER files_updated AFTER UPDATE ON files FOR EACH ROW WHEN (OLD.version <> NEW.version)
    EXECUTE FUNCTION pk_record_event('file.updated', '/api/v1/files/', 'id');

CREATE TRIGGER assessments_created AFTER INSERT ON assessments
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('assessment.created', '/api/v1/assessments/', 'id');

CREATE TRIGGER treatments_created AFTER INSERT ON treatments
    FOR EACH ROW EXECUTE FUNCTION pk_record_event('treatment.created', '/api/v1/treatments/', 'id');
-- The opening transition is part of treatment.created.
CREATE TRIGGER treatment_transitions_created AFTER INSERT ON treatment_transitions
    FOR EACH ROW WHEN (NEW.from_status IS NOT NULL)
    EXECUTE FUNCTION pk_record_event('treatment.transitioned', '/api/v1/treatments/', 'treatment_id');

-- Idempotency-Key records: a POST's key, scoped to the API key that sent it, is recorded in the
-- transaction that does the work (so a committed write and its key are never apart), and the
-- answer is stored right after. Kept 24 hours.
CREATE TABLE idempotency_keys (
    api_key_id  bigint      NOT NULL REFERENCES api_keys (id),
    key         text        NOT NULL,
    fingerprint bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    status      smallint,
    headers     jsonb,
    body        bytea,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- How many units a page set written as the API writes it (`1-250, 300`) holds.
CREATE FUNCTION pk_pages_count(text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(sum(CASE WHEN part LIKE '%-%' THEN split_part(part, '-', 2)::bigint - split_part(part, '-', 1)::bigint + 1
                             ELSE 1 END), 0)
    FROM unnest(string_to_array(replace($1, ' ', ''), ',')) AS part
    WHERE part <> ''
$$;

-- Period figures select movements by date.
CREATE INDEX movements_moved ON movements (moved_at);

-- Restores exported rows (a JSON array of row objects) into `tab`, leaving out generated
-- columns, keeping ids; returns how many.
CREATE FUNCTION pk_restore(tab regclass, rows jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    columns text;
    restored bigint;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO columns
    FROM pg_attribute WHERE attrelid = tab AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
    EXECUTE format('INSERT INTO %s (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_recordset(NULL::%s, $1)',
                   tab, columns, columns, tab) USING rows;
    GET DIAGNOSTICS restored = ROW_COUNT;
    RETURN restored;
END
$$;

-- Webhook subscriptions. Each one follows the change feed with its own cursor, so deliveries
-- come from the committed events themselves: a crash loses nothing (at worst an event is sent
-- twice, with the same webhook-id).
CREATE TABLE webhooks (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url             text        NOT NULL CHECK (url ~ '^https?://'),
    types           text[]      NOT NULL DEFAULT '{}',
    description     text,
    -- `whsec_…` (Standard Webhooks); kept to sign, shown once at creation.
    secret          text        NOT NULL,
    active          boolean     NOT NULL DEFAULT true,
    cursor_tx       bigint      NOT NULL,
    cursor_position bigint      NOT NULL,
    -- The event at the head that keeps failing: attempts so far, since when, next try.
    attempts        integer     NOT NULL DEFAULT 0,
    failing_since   timestamptz,
    retry_at        timestamptz,
    -- An instance is sending the head event until then (no connection is held meanwhile).
    leased_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      bigint      NOT NULL REFERENCES api_keys (id)
);

CREATE TABLE webhook_deliveries (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  bigint      NOT NULL REFERENCES webhooks (id),
    event_id    uuid        NOT NULL,
    event_type  text        NOT NULL,
    attempt     integer     NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    status      smallint,
    error       text,
    outcome     text        NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'given_up'))
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE TRIGGER webhook_deliveries_append_only BEFORE UPDATE OR DELETE ON webhook_deliveries
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();
