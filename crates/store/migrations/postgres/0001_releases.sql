-- Releases, their timelines, the inbox of received build messages and the outbox of
-- announcements: the same tables as migrations/sqlite/0001_releases.sql. SQLite numbers every
-- row (`rowid`); here that insertion order is an identity column of the same name, so the
-- queries are the same on both.

CREATE TABLE releases (
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            TEXT PRIMARY KEY,
    product       TEXT NOT NULL,
    version       TEXT NOT NULL,
    source_region TEXT NOT NULL,
    source_ami    TEXT NOT NULL,
    state         TEXT NOT NULL,
    terminal      BIGINT NOT NULL,
    next_check_at BIGINT,
    lease_owner   TEXT,
    lease_until   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX releases_due ON releases (terminal, next_check_at);
CREATE INDEX releases_product ON releases (product, state);
CREATE UNIQUE INDEX releases_source ON releases (product, source_ami, version);

CREATE TABLE timeline (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id TEXT NOT NULL REFERENCES releases (id),
    at         BIGINT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX timeline_release ON timeline (release_id, seq);

CREATE TABLE outbox (
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id         TEXT PRIMARY KEY,
    release_id TEXT NOT NULL REFERENCES releases (id),
    topic      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    sent_at    BIGINT
);
CREATE INDEX outbox_pending ON outbox (sent_at, created_at);

CREATE TABLE inbox (
    rowid       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id  TEXT PRIMARY KEY,
    received_at BIGINT NOT NULL,
    topic       TEXT NOT NULL,
    dedupe_key  TEXT,
    outcome     TEXT NOT NULL,
    release_id  TEXT,
    body        TEXT NOT NULL
);
CREATE INDEX inbox_dedupe ON inbox (dedupe_key);

CREATE TABLE products (
    slug         TEXT PRIMARY KEY,
    product_id   TEXT,
    product_code TEXT,
    offer_id     TEXT,
    spec         TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
