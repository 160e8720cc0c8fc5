-- The second-party path: each release's load form workbook, stored with it (one per release;
-- a retry writes a new one in its place).

CREATE TABLE forms (
    release_id TEXT PRIMARY KEY REFERENCES releases(id),
    name       TEXT NOT NULL,
    workbook   BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
