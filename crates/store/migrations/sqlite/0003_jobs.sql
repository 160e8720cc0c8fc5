-- Lifecycle jobs (create, sync, visibility, promote, cleanup): the whole domain value as JSON
-- (`body`) with the columns workers claim by, leased like releases, and their own timeline.

CREATE TABLE jobs (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    product       TEXT NOT NULL,
    state         TEXT NOT NULL,
    terminal      INTEGER NOT NULL,
    next_check_at INTEGER,
    lease_owner   TEXT,
    lease_until   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (terminal, next_check_at);
CREATE INDEX jobs_product ON jobs (product, state);

CREATE TABLE job_timeline (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    at         INTEGER NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX job_timeline_job ON job_timeline (job_id, seq);
