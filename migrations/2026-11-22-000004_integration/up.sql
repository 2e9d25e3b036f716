-- The change feed: one event per committed change, written by triggers in the writing
-- transaction itself, so an event exists exactly when its change was committed.
--
-- Readers page by (tx, position) and only ever see events of transactions older than the
-- oldest one still running (the snapshot's xmin): an event can never appear behind a cursor
-- already handed out, however transactions interleave and commit.
CREATE TABLE events (
    tx          bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
    position    bigint      GENERATED ALWAYS AS IDENTITY,
    id          uuid        NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    type        text        NOT NULL,
    subject     text        NOT NULL,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- The API key that made the change: the service sets `paperkeep.actor` when it
    -- authenticates a request.
    actor       bigint      DEFAULT nullif(current_setting('paperkeep.actor', true), '')::bigint,
    data        jsonb       NOT NULL,
    PRIMARY KEY (tx, position)
);
CREATE INDEX events_occurred ON events (occurred_at);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION pk_append_only();

-- A page set as the API writes it: `1-250, 300`.
CREATE FUNCTION pk_pages_text(int4multirange) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_agg(CASE WHEN upper(r) - lower(r) = 1 THEN lower(r)::text
                           ELSE lower(r) || '-' || (upper(r) - 1) END, ', ' ORDER BY lower(r))
    FROM unnest($1) AS r
$$;

-- Statement-level trigger body shared by every table: one event per changed row, set-based.
-- Arguments: event type; the resource path as an SQL expression over the row `r`; a condition
-- over `r` (and `o`, the row before, for updates) that keeps only the changes worth an event.
CREATE FUNCTION pk_record_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP WHEN 'UPDATE' THEN 'changed r JOIN previous o USING (id)' ELSE 'changed r' END;
BEGIN
    -- A restore brings the events of the exported archive with it.
    IF current_setting('paperkeep.restoring', true) = 'on' THEN
        RETURN NULL;
    END IF;
    EXECUTE format(
        'INSERT INTO events (type, subject, data)
         SELECT %L, %s, to_jsonb(r) - ''search_key'' - ''pages'' - ''ancestor_ids''
                || CASE WHEN to_jsonb(r) ? ''pages'' THEN jsonb_build_object(''pages'', pk_pages_text((to_jsonb(r) ->> ''pages'')::int4multirange)) ELSE ''{}'' END
         FROM %s WHERE %s ORDER BY r.id',
        TG_ARGV[0], TG_ARGV[1], source, coalesce(TG_ARGV[2], 'true'));
    RETURN NULL;
END
$$;

CREATE TRIGGER locations_created AFTER INSERT ON locations REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('location.created', '''/api/v1/locations/'' || r.id');
-- Renames, moves in the tree, capacity…: the edits that bump the version (not the running
-- totals a box movement updates).
CREATE TRIGGER locations_updated AFTER UPDATE ON locations REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('location.updated', '''/api/v1/locations/'' || r.id', 'r.version <> o.version');
CREATE TRIGGER locations_deleted AFTER DELETE ON locations REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('location.deleted', '''/api/v1/locations/'' || r.id');

CREATE TRIGGER boxes_created AFTER INSERT ON boxes REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('box.created', '''/api/v1/boxes/'' || r.id');
-- A movement has its own event (box.moved); this one is for edits and for being marked missing.
CREATE TRIGGER boxes_updated AFTER UPDATE ON boxes REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('box.updated', '''/api/v1/boxes/'' || r.id',
        'r.version <> o.version AND r.current_location_id = o.current_location_id');
-- The first placement of a box is part of box.created.
CREATE TRIGGER movements_created AFTER INSERT ON movements REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('box.moved', '''/api/v1/boxes/'' || r.box_id', 'r.from_location_id IS NOT NULL');

CREATE TRIGGER audits_created AFTER INSERT ON audits REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('audit.created', '''/api/v1/audits/'' || r.id');
CREATE TRIGGER audits_reconciled AFTER UPDATE ON audits REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('audit.reconciled', '''/api/v1/audits/'' || r.id',
        'o.reconciled_at IS NULL AND r.reconciled_at IS NOT NULL');

CREATE TRIGGER fonds_created AFTER INSERT ON fonds REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('fonds.created', '''/api/v1/fonds/'' || r.id');
CREATE TRIGGER fonds_updated AFTER UPDATE ON fonds REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('fonds.updated', '''/api/v1/fonds/'' || r.id', 'r.version <> o.version');

CREATE TRIGGER files_created AFTER INSERT ON files REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('file.created', '''/api/v1/files/'' || r.id');
CREATE TRIGGER files_updated AFTER UPDATE ON files REFERENCING OLD TABLE AS previous NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('file.updated', '''/api/v1/files/'' || r.id', 'r.version <> o.version');

CREATE TRIGGER assessments_created AFTER INSERT ON assessments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('assessment.created', '''/api/v1/assessments/'' || r.id');

CREATE TRIGGER treatments_created AFTER INSERT ON treatments REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('treatment.created', '''/api/v1/treatments/'' || r.id');
-- The opening transition is part of treatment.created.
CREATE TRIGGER treatment_transitions_created AFTER INSERT ON treatment_transitions REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pk_record_events('treatment.transitioned', '''/api/v1/treatments/'' || r.treatment_id',
        'r.from_status IS NOT NULL');

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
