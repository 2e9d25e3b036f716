-- People who use the staff app. Each signs in with a password and acts through an actor of
-- its own, an api_keys row that no bearer key opens (`person`), so that every write they make
-- records them exactly as a key is recorded: in the records' created_by, the feed and the trail.
ALTER TABLE api_keys ADD COLUMN person boolean NOT NULL DEFAULT false;

CREATE TABLE people (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
    display_name  text        NOT NULL CHECK (display_name <> '' AND display_name = btrim(display_name)),
    role          text        NOT NULL CHECK (role IN ('admin', 'storage_manager', 'conservator', 'head_conservator',
                                                       'integration', 'viewer')),
    -- Argon2id, in the PHC string format (algorithm, parameters, salt and hash).
    password_hash text        NOT NULL,
    language      text        NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    actor_id      bigint      NOT NULL UNIQUE REFERENCES api_keys (id),
    disabled_at   timestamptz,
    version       integer     NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    bigint      REFERENCES api_keys (id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    bigint      REFERENCES api_keys (id)
);
CREATE UNIQUE INDEX people_username ON people (username);

-- Signed-in sessions, shared by every instance of the service: the cookie's token is kept only
-- as its SHA-256; a session ends when its person signs out, is disabled, or leaves it idle.
CREATE TABLE sessions (
    token_hash   bytea       PRIMARY KEY,
    person_id    bigint      NOT NULL REFERENCES people (id),
    -- Sent back by every form and htmx request of the session (with the same-origin check).
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX sessions_person ON sessions (person_id) WHERE ended_at IS NULL;
