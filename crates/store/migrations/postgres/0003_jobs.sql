-- Lifecycle jobs: as migrations/sqlite/0003_jobs.sql.

CREATE TABLE jobs (
    rowid         BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    product       TEXT NOT NULL,
    state         TEXT NOT NULL,
    terminal      BIGINT NOT NULL,
    next_check_at BIGINT,
    lease_owner   TEXT,
    lease_until   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    body          TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (terminal, next_check_at);
CREATE INDEX jobs_product ON jobs (product, state);

CREATE TABLE job_timeline (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id     TEXT NOT NULL REFERENCES jobs (id),
    at         BIGINT NOT NULL,
    event      TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX job_timeline_job ON job_timeline (job_id, seq);
