-- Wake-ups: as migrations/sqlite/0006_waits.sql, and a stored wake-up notifies every worker
-- (https://www.postgresql.org/docs/current/sql-notify.html).

ALTER TABLE releases ADD COLUMN waits_on TEXT;
ALTER TABLE jobs ADD COLUMN waits_on TEXT;
CREATE INDEX releases_waits_on ON releases (waits_on) WHERE waits_on IS NOT NULL;
CREATE INDEX jobs_waits_on ON jobs (waits_on) WHERE waits_on IS NOT NULL;
CREATE INDEX releases_product_done ON releases (product, state);

CREATE TABLE wakes (
    key TEXT PRIMARY KEY,
    at  BIGINT NOT NULL
);

CREATE TRIGGER wakes_wake AFTER INSERT ON wakes
    FOR EACH ROW EXECUTE FUNCTION amipub_wake();
