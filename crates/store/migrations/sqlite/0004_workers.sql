-- Many workers: a lease's fencing token (bumped at every grant; a write must carry the one it
-- was granted), the outbox row's claim (one sender per announcement), and the row that says who holds a product's change-set lock.

ALTER TABLE releases ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN claim_owner TEXT;
ALTER TABLE outbox ADD COLUMN claim_until INTEGER;

CREATE TABLE product_locks (
    product TEXT PRIMARY KEY,
    holder  TEXT NOT NULL
);
