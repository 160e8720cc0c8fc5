-- Recurring work of the workers (the daily check of new instance types): when it is next due.
-- A worker takes a due one by moving next_at forward in one UPDATE, so of many workers one
-- does it.

CREATE TABLE schedules (
    name    TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL
);
