//! Wake-ups: on PostgreSQL a worker listens on the `amipub_work` channel, which the schema's
//! triggers notify when a release or job is inserted, changes state or is given back, so idle
//! workers move at once instead of at their next poll
//! (<https://www.postgresql.org/docs/current/sql-listen.html>). Notifications only wake: what
//! to do still comes from the rows, and a missed one costs one poll interval. SQLite has one
//! process and no channel; its wait is the poll alone.

use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::backend::Backend;
use crate::db::SqlStore;

/// The channel the schema's triggers notify.
pub const CHANNEL: &str = "amipub_work";

/// A worker's source of wake-ups.
pub struct Wakeups {
    listener: Option<PgListener>,
    url: Option<String>,
}

impl std::fmt::Debug for Wakeups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wakeups")
            .field("listening", &self.listener.is_some())
            .finish()
    }
}

impl SqlStore {
    /// Wake-ups for a worker of this store (none on SQLite).
    pub fn wakeups(&self) -> Wakeups {
        let url = match self.backend {
            Backend::Postgres => self.connect.resolve().ok().map(|(_, u)| u),
            Backend::Sqlite => None,
        };
        Wakeups {
            listener: None,
            url,
        }
    }
}

impl Wakeups {
    /// Whether notifications can arrive (PostgreSQL).
    pub fn available(&self) -> bool {
        self.url.is_some()
    }

    /// Waits for a notification or `poll`, whichever comes first; whether one came. A lost
    /// connection is opened again at the next wait; meanwhile the wait is the poll.
    pub async fn wait(&mut self, poll: Duration) -> bool {
        let Some(url) = &self.url else {
            tokio::time::sleep(poll).await;
            return false;
        };
        if self.listener.is_none() {
            self.listener = listen(url).await;
        }
        let Some(listener) = self.listener.as_mut() else {
            tokio::time::sleep(poll).await;
            return false;
        };
        match tokio::time::timeout(poll, listener.try_recv()).await {
            Ok(Ok(Some(_))) => true,
            Ok(Ok(None)) => false,
            Ok(Err(e)) => {
                tracing::debug!("store: the notification connection failed: {e}");
                self.listener = None;
                false
            }
            Err(_) => false,
        }
    }
}

async fn listen(url: &str) -> Option<PgListener> {
    let mut l = match PgListener::connect(url).await {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!("store: cannot listen for notifications: {e}");
            return None;
        }
    };
    match l.listen(CHANNEL).await {
        Ok(()) => Some(l),
        Err(e) => {
            tracing::debug!("store: LISTEN {CHANNEL} failed: {e}");
            None
        }
    }
}
