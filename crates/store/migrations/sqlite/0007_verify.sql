-- The last `amipub verify` of each product: one row per checked thing (the listing, its
-- visibility, each Region's Marketplace AMIs and SSM parameters, leftovers), replaced as a whole
-- by the next run, for the console and the API.

CREATE TABLE verify_rows (
    product    TEXT NOT NULL,
    region     TEXT NOT NULL,
    item       TEXT NOT NULL,
    status     TEXT NOT NULL,
    expected   TEXT NOT NULL,
    actual     TEXT NOT NULL,
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (product, region, item)
);
