//! Stores for tests, on either backend: SQLite in a file of the test's own (a temporary
//! directory, or an amipub home's `amipub.db`), PostgreSQL in a schema of the test's own inside
//! the test run's database (`AMIPUB_TEST_POSTGRES`, which `scripts/test` creates and drops;
//! else the local server's `postgres` database). `on_both_stores!` runs one test body on both.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use amipub_store::{Backend, Connect, SqlStore};

/// The store URL of a database file.
pub fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// The store in the database file at `path` (created and migrated when new).
pub async fn open(path: &Path) -> SqlStore {
    SqlStore::open(url(path).as_str()).await.unwrap()
}

/// A new store in a temporary directory, which must outlive it.
pub async fn temp() -> (tempfile::TempDir, SqlStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("s.db")).await;
    (dir, store)
}

/// The test run's PostgreSQL database.
pub fn postgres_base() -> String {
    std::env::var("AMIPUB_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A new, empty schema of the test run's database, and the store URL that works in it.
pub async fn postgres_schema() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!(
        "t_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let base = postgres_base();
    amipub_store::backend::scratch_schema(&base, &schema)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {base} does not answer ({e}); run the tests with ./scripts/test, \
                 which starts it, or set AMIPUB_TEST_POSTGRES"
            )
        })
}

/// A store of a test's own on `backend`: migrated and empty.
pub struct TestStore {
    /// The store.
    pub store: SqlStore,
    /// How to open it again.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// A fresh store on `backend`.
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = url(&dir.path().join("s.db"));
                let store = SqlStore::open(url.as_str()).await.unwrap();
                Self {
                    store,
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let url = postgres_schema().await;
                let store = SqlStore::connect(&Connect::from(url.as_str()))
                    .await
                    .unwrap();
                store.migrate().await.unwrap();
                Self {
                    store,
                    url,
                    _dir: None,
                }
            }
        }
    }
}

/// Runs one async test body on each backend: `on_both_stores!(name, |s| { … })` makes the
/// tests `name::sqlite` and `name::postgres`, each with `s: &SqlStore` fresh and migrated (and
/// `t: &TestStore` when written `|s, t|`).
#[macro_export]
macro_rules! on_both_stores {
    ($name:ident, |$s:ident| $body:block) => {
        $crate::on_both_stores!($name, |$s, _t| $body);
    };
    ($name:ident, |$s:ident, $t:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let t = $crate::store::TestStore::new(amipub_store::Backend::Sqlite).await;
                let ($s, $t) = (&t.store, &t);
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let t = $crate::store::TestStore::new(amipub_store::Backend::Postgres).await;
                let ($s, $t) = (&t.store, &t);
                $body
            }
        }
    };
}
