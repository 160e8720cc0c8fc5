-- The last `amipub verify` of each product: as migrations/sqlite/0007_verify.sql.

CREATE TABLE verify_rows (
    product    TEXT NOT NULL,
    region     TEXT NOT NULL,
    item       TEXT NOT NULL,
    status     TEXT NOT NULL,
    expected   TEXT NOT NULL,
    actual     TEXT NOT NULL,
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (product, region, item)
);
