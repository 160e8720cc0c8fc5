-- The bus: each announcement keeps its schema (the fedora_messaging_schema header), the inbox
-- keeps why a message was dead-lettered, and each product's build is taken once, whatever
-- message announced it (product + source AMI).

ALTER TABLE outbox ADD COLUMN schema TEXT NOT NULL DEFAULT 'amipub.release.published.v1';
ALTER TABLE inbox ADD COLUMN reason TEXT;

CREATE TABLE intake_keys (
    dedupe_key  TEXT PRIMARY KEY,
    release_id  TEXT NOT NULL REFERENCES releases (id),
    message_id  TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
