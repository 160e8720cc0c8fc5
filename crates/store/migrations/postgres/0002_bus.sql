-- The bus: as migrations/sqlite/0002_bus.sql.

ALTER TABLE outbox ADD COLUMN schema TEXT NOT NULL DEFAULT 'amipub.release.published.v1';
ALTER TABLE inbox ADD COLUMN reason TEXT;

CREATE TABLE intake_keys (
    dedupe_key  TEXT PRIMARY KEY,
    release_id  TEXT NOT NULL REFERENCES releases (id),
    message_id  TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
