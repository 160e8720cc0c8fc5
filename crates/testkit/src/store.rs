//! SQLite stores for tests: one opened on a file of the test's own (a temporary directory, or an
//! amipub home's `amipub.db`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::path::Path;

use amipub_store::SqliteStore;

/// The store URL of a database file.
pub fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The store in the database file at `path` (created and migrated when new).
pub async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(&url(path)).await.unwrap()
}

/// A new store in a temporary directory, which must outlive it.
pub async fn temp() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.db")).await;
    (dir, store)
}
