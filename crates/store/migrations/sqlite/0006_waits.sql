-- Wake-ups: what a release or job waits for (the change set it follows, or the holder of its
-- product's lock), and the change-set ends that have been heard of but not yet applied to the
-- waiters. Rows written before this migration learn what they wait on at their next save.

ALTER TABLE releases ADD COLUMN waits_on TEXT;
ALTER TABLE jobs ADD COLUMN waits_on TEXT;
CREATE INDEX releases_waits_on ON releases (waits_on) WHERE waits_on IS NOT NULL;
CREATE INDEX jobs_waits_on ON jobs (waits_on) WHERE waits_on IS NOT NULL;
CREATE INDEX releases_product_done ON releases (product, state);

CREATE TABLE wakes (
    key TEXT PRIMARY KEY,
    at  INTEGER NOT NULL
);
