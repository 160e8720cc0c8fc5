//! Which database a store URL names and how to reach it: SQLite (a file of this machine, the
//! embedded default) or PostgreSQL (one database shared by many workers). Every query goes
//! through sqlx's `Any` driver and is written once; the few spots where the two dialects differ
//! ask `Backend`.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::StoreError;

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A SQLite file (or an in-memory database).
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Backend {
    /// The backend a URL names.
    pub fn of(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Url(redact(url)))
        }
    }

    /// The database's own clock in epoch seconds, as SQL: leases are timed by it, so workers on
    /// machines whose clocks disagree still agree on when a lease ran out.
    pub(crate) fn now(self) -> &'static str {
        match self {
            Backend::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            Backend::Postgres => "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp())) AS BIGINT)",
        }
    }

    /// What a claim's SELECT ends with. PostgreSQL locks the rows it picks and other workers
    /// skip them (<https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE>);
    /// SQLite has one writer at a time and no row locks.
    pub(crate) fn skip_locked(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// The name `amipub status` and the logs use.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where the store is and how to reach it: `[store]` with its secret already read.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Connect {
    /// `sqlite://PATH`, `sqlite::memory:`, a plain path, or `postgres://user@host[:port]/db`.
    pub url: String,
    /// The database password (from `password_env` or `password_file`), never in the URL.
    pub password: Option<String>,
    /// PostgreSQL `sslmode` (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`).
    pub sslmode: Option<String>,
    /// A CA bundle the server's certificate must chain to.
    pub ca_file: Option<String>,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("url", &redact(&self.url))
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("sslmode", &self.sslmode)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl From<&String> for Connect {
    fn from(url: &String) -> Self {
        Self::from(url.as_str())
    }
}

impl From<&str> for Connect {
    fn from(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            ..Self::default()
        }
    }
}

/// SSL modes PostgreSQL clients accept
/// (<https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION>).
const SSL_MODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

/// Connections a PostgreSQL worker keeps: the engine, the intake, the sender and the HTTP
/// gauges each need at most one at a time.
const PG_POOL: u32 = 6;
/// SQLite: one writer at a time anyway; a few for readers.
const SQLITE_POOL: u32 = 4;
/// How long a SQLite writer waits for another before giving up (milliseconds).
const BUSY_TIMEOUT_MS: u32 = 10_000;
/// How long opening waits for a database that does not answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Connect {
    /// The backend and the URL to connect with (a plain path becomes `sqlite://PATH`).
    pub fn resolve(&self) -> Result<(Backend, String), StoreError> {
        let url = if !self.url.contains("://") && !self.url.starts_with("sqlite:") {
            format!("sqlite://{}", self.url)
        } else {
            self.url.clone()
        };
        let backend = Backend::of(&url)?;
        match backend {
            Backend::Sqlite => Ok((backend, sqlite_url(&url))),
            Backend::Postgres => Ok((backend, self.postgres_url(&url)?)),
        }
    }

    fn postgres_url(&self, url: &str) -> Result<String, StoreError> {
        let mut parsed = url::Url::parse(url).map_err(|_| StoreError::Url(redact(url)))?;
        if parsed.password().is_some() {
            return Err(StoreError::Url(format!(
                "{} carries a password: remove it and set [store] password_env or password_file",
                redact(url)
            )));
        }
        if let Some(p) = &self.password {
            parsed
                .set_password(Some(p))
                .map_err(|_| StoreError::Url(redact(url)))?;
        }
        if let Some(mode) = &self.sslmode {
            if !SSL_MODES.contains(&mode.as_str()) {
                return Err(StoreError::Setting(format!(
                    "[store] sslmode {mode:?} is not one of {}",
                    SSL_MODES.join(", ")
                )));
            }
            parsed.query_pairs_mut().append_pair("sslmode", mode);
        }
        if let Some(ca) = &self.ca_file {
            if !std::path::Path::new(ca).is_file() {
                return Err(StoreError::Setting(format!(
                    "[store] ca_file {ca} is not a readable file"
                )));
            }
            parsed.query_pairs_mut().append_pair("sslrootcert", ca);
        }
        Ok(parsed.to_string())
    }

    /// A pool on the database (no schema check).
    pub(crate) async fn pool(&self) -> Result<(Backend, AnyPool), StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = self.resolve()?;
        let options: AnyConnectOptions = url.parse()?;
        let pool = match backend {
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(PG_POOL)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await?
            }
            Backend::Sqlite => sqlite_pool(&url, options).await?,
        };
        Ok((backend, pool))
    }
}

/// `mode=rwc` (create the file when missing) unless the URL says otherwise.
fn sqlite_url(url: &str) -> String {
    if url.contains(":memory:") || url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// SQLite with WAL (readers never block the writer), a busy timeout instead of "database is
/// locked", foreign keys on, and every commit on disk before amipub acts on it (a bus message
/// is acked only after its release is stored).
async fn sqlite_pool(url: &str, options: AnyConnectOptions) -> Result<AnyPool, StoreError> {
    let memory = url.contains(":memory:");
    // An in-memory database exists once per connection: keep exactly one.
    let size = if memory { 1 } else { SQLITE_POOL };
    let pool = AnyPoolOptions::new()
        .max_connections(size)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                let mut pragmas =
                    format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;");
                if !memory {
                    pragmas.push_str(" PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
                }
                conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// Creates the schema `name` in the PostgreSQL database at `url` and returns a URL whose
/// connections work in it (benchmarks and tests get a database of their own this way).
pub async fn scratch_schema(url: &str, name: &str) -> Result<String, StoreError> {
    on_schema(url, "CREATE SCHEMA", name, "").await?;
    let sep = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{sep}options=-c%20search_path%3D{name}"))
}

/// Drops a schema `scratch_schema` made, with everything in it.
pub async fn drop_schema(url: &str, name: &str) -> Result<(), StoreError> {
    on_schema(url, "DROP SCHEMA", name, " CASCADE").await
}

/// Runs `<verb> <name><tail>` on the database at `url`; `name` must be a plain identifier.
async fn on_schema(url: &str, verb: &str, name: &str, tail: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::Setting(format!(
            "{name:?} is not a plain schema name"
        )));
    }
    let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
    conn.execute(sqlx::AssertSqlSafe(format!("{verb} {name}{tail}")))
        .await?;
    conn.close().await?;
    Ok(())
}

/// A URL with any password replaced, fit for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_goes_into_the_url_and_never_into_its_debug_form() {
        let c = Connect {
            url: "postgres://amipub@db.example:5432/amipub".into(),
            password: Some("s3cr:t@".into()),
            sslmode: Some("verify-full".into()),
            ca_file: None,
        };
        let (backend, url) = c.resolve().unwrap();
        assert_eq!(backend, Backend::Postgres);
        assert!(url.starts_with("postgres://amipub:s3cr%3At%40@db.example:5432/amipub?"));
        assert!(url.ends_with("sslmode=verify-full"));
        assert!(!format!("{c:?}").contains("s3cr"));
        assert!(!redact(&url).contains("s3cr"));
    }

    #[test]
    fn paths_become_sqlite_and_other_schemes_are_refused_by_name() {
        let (b, url) = Connect::from("state/amipub.db").resolve().unwrap();
        assert_eq!(
            (b, url.as_str()),
            (Backend::Sqlite, "sqlite://state/amipub.db?mode=rwc")
        );
        let e = Connect::from("mysql://db/amipub").resolve().unwrap_err();
        assert!(e.to_string().contains("mysql://db/amipub"), "{e}");
        let e = Connect {
            sslmode: Some("always".into()),
            ..Connect::from("postgres://db/amipub")
        }
        .resolve()
        .unwrap_err();
        assert!(e.to_string().contains("sslmode"), "{e}");
        let e = Connect::from("postgres://u:pw@db/amipub")
            .resolve()
            .unwrap_err();
        assert!(
            e.to_string().contains("password_env") && !e.to_string().contains("pw@"),
            "{e}"
        );
    }
}
