//! The outbox's two senders. The command line prints each pending announcement to stdout as one
//! JSON line; `amipub serve` hands them to the bus (`StoreOutbox`, marked sent after the broker's
//! confirm). Both merge each `published` announcement into the feed file (the latest version per
//! product and architecture, with its Marketplace AMI per Region and its AMI alias) before marking
//! the row. The feed is written to a temporary file and renamed, so a reader never sees half of
//! it; a crash before the mark re-sends the same message id, which the feed absorbs.

use std::path::Path;

use amipub_bus::{Outbox, Outgoing};
use amipub_domain::messages::PUBLISHED;
use amipub_store::SqlStore;
use anyhow::Context;
use serde_json::{Value, json};

/// Sends every pending announcement; returns how many.
pub async fn deliver(store: &SqlStore, feed_file: &str) -> anyhow::Result<usize> {
    let pending = store.outbox_pending(100).await?;
    for row in &pending {
        let body: Value = serde_json::from_str(&row.body)
            .with_context(|| format!("outbox row {} holds invalid JSON", row.id))?;
        if row.schema == PUBLISHED {
            merge_feed(Path::new(feed_file), &body)?;
        }
        println!(
            "{}",
            json!({ "id": row.id, "schema": row.schema, "topic": row.topic, "body": body })
        );
        crate::halt::halt_point("outbox:printed");
        store.outbox_attempt(&row.id, true).await?;
    }
    Ok(pending.len())
}

/// How long a sender's claim on outbox rows lasts: a sender that died leaves them to another
/// after this.
pub const CLAIM_SECS: i64 = 120;

/// The outbox as the bus sender sees it: rows claimed for this worker, so that of many workers
/// one sends each.
pub struct StoreOutbox {
    /// The store.
    pub store: SqlStore,
    /// The feed file.
    pub feed_file: String,
    /// The worker the rows are claimed for.
    pub worker: String,
}

impl Outbox for StoreOutbox {
    async fn pending(&self) -> Result<Vec<Outgoing>, String> {
        let rows = self
            .store
            .outbox_claim(&self.worker, 100, CLAIM_SECS)
            .await
            .map_err(|e| e.to_string())?;
        Ok(rows
            .into_iter()
            .map(|r| Outgoing {
                id: r.id,
                schema: r.schema,
                topic: r.topic,
                body: r.body,
            })
            .collect())
    }

    async fn sent(&self, row: &Outgoing) -> Result<(), String> {
        // The broker has it: mark it first, so a feed file that cannot be written never makes
        // the same announcement go out again and again.
        self.store
            .outbox_attempt(&row.id, true)
            .await
            .map_err(|e| e.to_string())?;
        if row.schema == PUBLISHED {
            let merged = serde_json::from_str::<Value>(&row.body)
                .map_err(|e| anyhow::anyhow!("outbox row {} holds invalid JSON: {e}", row.id))
                .and_then(|body| merge_feed(Path::new(&self.feed_file), &body));
            if let Err(e) = merged {
                tracing::error!(
                    "feed: {e:#}; the announcement went out, the feed file lacks it until the next one"
                );
            }
        }
        Ok(())
    }
}

/// The feed with `body` merged in: `products.<slug>.<arch>` becomes this release.
pub fn merged(mut feed: Value, body: &Value) -> Value {
    if !feed.is_object() {
        feed = json!({});
    }
    let slug = body["product"].as_str().unwrap_or("unknown").to_owned();
    let arch = body["architecture"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    feed["products"][&slug][&arch] = json!({
        "version": body["version_title"],
        "product_id": body["product_id"],
        "release": body["release"],
        "regions": body["marketplace_regions"],
        "ssm_parameters": body["ssm_parameters"],
        "ami_alias": body["ami_alias"],
    });
    feed
}

/// Merges an announcement into the feed file under an exclusive lock of `<feed>.lock`, so
/// workers sharing the file never lose each other's entries.
pub fn merge_feed(path: &Path, body: &Value) -> anyhow::Result<()> {
    let lock_path = path.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let merged = merge_locked(path, body);
    drop(lock);
    merged
}

fn merge_locked(path: &Path, body: &Value) -> anyhow::Result<()> {
    let old: Value = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "the feed file {} is not JSON; move it away and amipub writes a new one",
                path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let new = merged(old, body);
    crate::files::write_atomic(path, &serde_json::to_string_pretty(&new)?, "json.tmp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_keeps_one_entry_per_product_and_arch() {
        let a = json!({"product": "p", "architecture": "x86_64", "version_title": "1",
                       "marketplace_regions": {"us-east-1": "ami-1"}});
        let b = json!({"product": "p", "architecture": "x86_64", "version_title": "2",
                       "marketplace_regions": {"us-east-1": "ami-2"},
                       "ami_alias": "/aws/service/marketplace/prod-p/2"});
        let c = json!({"product": "p", "architecture": "arm64", "version_title": "2"});
        let feed = merged(merged(merged(json!(null), &a), &b), &c);
        assert_eq!(feed["products"]["p"]["x86_64"]["version"], "2");
        assert_eq!(
            feed["products"]["p"]["x86_64"]["regions"]["us-east-1"],
            "ami-2"
        );
        assert_eq!(
            feed["products"]["p"]["x86_64"]["ami_alias"],
            "/aws/service/marketplace/prod-p/2"
        );
        assert_eq!(feed["products"]["p"]["arm64"]["version"], "2");
        // Merging the same message again changes nothing.
        assert_eq!(merged(feed.clone(), &c), feed);
    }
}
