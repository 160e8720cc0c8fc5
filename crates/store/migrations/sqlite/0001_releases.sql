-- Releases, their timelines, the inbox of received build messages and the outbox of
-- announcements. A release row keeps the whole domain value as JSON (`body`) and copies the
-- columns the engine queries by.

CREATE TABLE releases (
    id            TEXT PRIMARY KEY,
    product       TEXT NOT NULL,
    version       TEXT NOT NULL,
    source_region TEXT NOT NULL,
    source_ami    TEXT NOT NULL,
    state         TEXT NOT NULL,
    terminal      INTEGER NOT NULL,
    next_check_at INTEGER,
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX releases_due ON releases (terminal, next_check_at);
CREATE INDEX releases_product ON releases (product, state);
CREATE UNIQUE INDEX releases_source ON releases (product, source_ami, version);

CREATE TABLE timeline (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id TEXT NOT NULL REFERENCES releases (id),
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX timeline_release ON timeline (release_id, seq);

CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    release_id TEXT NOT NULL REFERENCES releases (id),
    topic      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox (sent_at, created_at);

CREATE TABLE inbox (
    message_id  TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL,
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
    updated_at   INTEGER NOT NULL
);
