//! What can go wrong in the store, and how the engine sees it (a `PortError` it may retry).

use amipub_domain::release::FailureKind;
use amipub_engine::ports::PortError;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or queried.
    #[error("state database: {0}")]
    Db(#[from] sqlx::Error),
    /// A stored row does not decode (written by a newer amipub, or edited by hand).
    #[error("state database row {id}: {detail}")]
    Corrupt {
        /// The row.
        id: String,
        /// What is wrong.
        detail: String,
    },
    /// `store.url` names no database amipub can use.
    #[error(
        "store.url {0} is not supported: use sqlite://PATH (or a plain file path) or postgres://USER@HOST/DB"
    )]
    Url(String),
    /// Another `[store]` setting is wrong.
    #[error("{0}")]
    Setting(String),
    /// The database's schema is not the one this amipub uses.
    #[error("{0}")]
    Schema(String),
}

impl From<StoreError> for PortError {
    fn from(e: StoreError) -> Self {
        // Database trouble (disk full, locked too long, connection lost) may clear; the engine
        // retries.
        PortError::new(FailureKind::ServerFault, e.to_string())
    }
}
