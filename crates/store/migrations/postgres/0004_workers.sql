-- Many workers: as migrations/sqlite/0004_workers.sql, and a wake-up for every worker when
-- there is new work or work was freed: a release or job inserted, one that changed state, or
-- one whose lease was given back (https://www.postgresql.org/docs/current/sql-notify.html).

ALTER TABLE releases ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE outbox ADD COLUMN claim_until BIGINT;

CREATE TABLE product_locks (
    product TEXT PRIMARY KEY,
    holder  TEXT NOT NULL
);

CREATE FUNCTION amipub_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('amipub_work', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER releases_wake AFTER INSERT ON releases
    FOR EACH ROW EXECUTE FUNCTION amipub_wake();
CREATE TRIGGER releases_moved AFTER UPDATE ON releases
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
        OR (OLD.lease_owner IS NOT NULL AND NEW.lease_owner IS NULL))
    EXECUTE FUNCTION amipub_wake();
CREATE TRIGGER jobs_wake AFTER INSERT ON jobs
    FOR EACH ROW EXECUTE FUNCTION amipub_wake();
CREATE TRIGGER jobs_moved AFTER UPDATE ON jobs
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state
        OR (OLD.lease_owner IS NOT NULL AND NEW.lease_owner IS NULL))
    EXECUTE FUNCTION amipub_wake();
