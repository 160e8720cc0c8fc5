//! The outbox's two senders. The command line (without a `[bus]`) prints each pending
//! announcement to stdout as one JSON line; `amipub serve` hands them to the bus (`StoreOutbox`,
//! marked sent after the broker's confirm). Both merge each `published` announcement into the
//! feed file (the latest version per product and architecture, with its Marketplace AMI per
//! Region and its AMI alias) before marking the row. The feed is written to a temporary file and renamed, so a reader never sees half of
//! it; a crash before the mark re-sends the same message id, which the feed absorbs.

use std::path::{Path, PathBuf};

use amipub_bus::{Outbox, Outgoing};
use amipub_domain::messages::PUBLISHED;
use amipub_domain::messages::outbound::ALIAS_MOVED;
use amipub_store::SqlStore;
use anyhow::Context;
use serde_json::{Value, json};

/// The files announcements are merged into: the feed, and the per-stream documents.
#[derive(Debug, Clone)]
pub struct FeedFiles {
    /// The feed file.
    pub feed: PathBuf,
    /// The directory of the per-stream documents (`stream_doc`).
    pub streams_dir: PathBuf,
}

impl FeedFiles {
    /// The files `settings` names.
    pub fn of(settings: &amipub_domain::settings::Settings) -> Self {
        Self {
            feed: PathBuf::from(&settings.feed_file),
            streams_dir: PathBuf::from(&settings.coreos.streams_dir),
        }
    }
}

/// Rows read at once.
const PAGE: i64 = 100;
/// Most pages one `deliver` reads: a bound however fast rows are added meanwhile.
const MAX_PAGES: usize = 100;

/// Sends every pending announcement, a page at a time; returns how many.
pub async fn deliver(store: &SqlStore, files: &FeedFiles) -> anyhow::Result<usize> {
    let mut sent = 0;
    for _ in 0..MAX_PAGES {
        let n = deliver_page(store, files).await?;
        sent += n;
        if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    Ok(sent)
}

/// Sends one page of pending announcements; returns how many.
async fn deliver_page(store: &SqlStore, files: &FeedFiles) -> anyhow::Result<usize> {
    let pending = store.outbox_pending(PAGE).await?;
    for row in &pending {
        let body: Value = serde_json::from_str(&row.body)
            .with_context(|| format!("outbox row {} holds invalid JSON", row.id))?;
        if feeds(&row.schema) {
            merge_feed(files, &row.schema, &body)?;
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
    /// The feed file and the stream documents.
    pub files: FeedFiles,
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
        crate::halt::halt_point(&format!("outbox:confirmed:{}", row.schema));
        // The broker has it: mark it first, so a feed file that cannot be written never makes
        // the same announcement go out again and again.
        self.store
            .outbox_attempt(&row.id, true)
            .await
            .map_err(|e| e.to_string())?;
        if feeds(&row.schema) {
            let merged = serde_json::from_str::<Value>(&row.body)
                .map_err(|e| anyhow::anyhow!("outbox row {} holds invalid JSON: {e}", row.id))
                .and_then(|body| merge_feed(&self.files, &row.schema, &body));
            if let Err(e) = merged {
                tracing::error!(
                    "feed: {e:#}; the announcement went out, the feed file lacks it until the next one"
                );
            }
        }
        Ok(())
    }
}

/// Whether announcements of `schema` change the feed file.
pub fn feeds(schema: &str) -> bool {
    schema == PUBLISHED || schema == ALIAS_MOVED
}

/// How many alias moves the feed keeps per product and architecture (the newest).
const ALIAS_HISTORY: usize = 100;

/// The feed with an announcement merged in: a published one makes `products.<slug>.<arch>`
/// this release (a release points every alias at itself, so earlier `aliases` go); an
/// alias-moved one sets `aliases.<alias>` there (where it points instead); both add a line to
/// its `alias_history` (newest last), which a new release keeps.
pub fn merged(mut feed: Value, schema: &str, body: &Value) -> Value {
    if !feed.is_object() {
        feed = json!({});
    }
    let slug = body["product"].as_str().unwrap_or("unknown").to_owned();
    let arch = body["architecture"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    let entry =
        crate::stream_doc::object_at(crate::stream_doc::object_at(&mut feed, "products"), &slug);
    let entry = crate::stream_doc::object_at(entry, &arch);
    let mut history = entry["alias_history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut aliases = match schema {
        ALIAS_MOVED if entry["aliases"].is_object() => entry["aliases"].clone(),
        _ => Value::Null,
    };
    let line = if schema == ALIAS_MOVED {
        let to: serde_json::Map<String, Value> = body["regions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(region, m)| (region.clone(), m["to"].clone()))
            .collect();
        let alias = body["alias"].as_str().unwrap_or("latest");
        *crate::stream_doc::object_at(&mut aliases, alias) =
            json!({ "version": body["to_version"], "regions": to });
        json!({ "alias": alias, "version": body["to_version"], "reason": body["reason"],
                "release_id": body["release_id"] })
    } else {
        *entry = json!({
            "version": body["version_title"],
            "product_id": body["product_id"],
            "release": body["release"],
            "regions": body["marketplace_regions"],
            "ssm_parameters": body["ssm_parameters"],
            "ami_alias": body["ami_alias"],
        });
        json!({ "alias": null, "version": body["version_title"], "reason": "release",
                "release_id": body["release_id"] })
    };
    // A message merged again (sent again after a crash) adds no second line.
    if history.last() != Some(&line) {
        history.push(line);
    }
    let skip = history.len().saturating_sub(ALIAS_HISTORY);
    entry["alias_history"] = Value::Array(history.split_off(skip));
    if !aliases.is_null() {
        entry["aliases"] = aliases;
    }
    feed
}

/// Merges an announcement into the feed file and, for a Fedora CoreOS product, its stream's
/// document, each under an exclusive lock of `<file>.lock`, so workers sharing the files never
/// lose each other's entries.
pub fn merge_feed(files: &FeedFiles, schema: &str, body: &Value) -> anyhow::Result<()> {
    locked(&files.feed, |old| merged(old, schema, body))?;
    if let Some((stream, path)) = crate::stream_doc::target(&files.streams_dir, schema, body) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        locked(&path, |old| {
            crate::stream_doc::merged(old, &stream, schema, body, &now)
        })?;
    }
    Ok(())
}

/// Rewrites the JSON file `path` as `change` makes it, under an exclusive lock of `<file>.lock`.
fn locked(path: &Path, change: impl FnOnce(Value) -> Value) -> anyhow::Result<()> {
    let lock_path = path.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let merged = merge_locked(path, change);
    drop(lock);
    merged
}

fn merge_locked(path: &Path, change: impl FnOnce(Value) -> Value) -> anyhow::Result<()> {
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
    let new = change(old);
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
        let m = |f: Value, b: &Value| merged(f, PUBLISHED, b);
        let feed = m(m(m(json!(null), &a), &b), &c);
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
        assert_eq!(m(feed.clone(), &c), feed);
    }

    #[test]
    fn alias_moves_are_kept_in_order_and_survive_a_new_release() {
        let one = json!({"product": "p", "architecture": "x86_64", "version_title": "1",
                         "release_id": "r-1", "marketplace_regions": {"us-east-1": "ami-1"}});
        let two = json!({"product": "p", "architecture": "x86_64", "version_title": "2",
                         "release_id": "r-2", "marketplace_regions": {"us-east-1": "ami-2"}});
        let back = json!({"product": "p", "architecture": "x86_64", "alias": "latest",
                          "reason": "rollback", "to_version": "1", "release_id": "r-1",
                          "regions": {"us-east-1": {"from": "ami-2", "to": "ami-1"}}});
        let feed = merged(merged(json!({}), PUBLISHED, &one), PUBLISHED, &two);
        let feed = merged(feed, ALIAS_MOVED, &back);
        let feed = merged(feed, ALIAS_MOVED, &back);
        let entry = &feed["products"]["p"]["x86_64"];
        assert_eq!(entry["aliases"]["latest"]["regions"]["us-east-1"], "ami-1");
        let reasons: Vec<&str> = entry["alias_history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["reason"].as_str().unwrap())
            .collect();
        assert_eq!(reasons, ["release", "release", "rollback"]);
        let three = json!({"product": "p", "architecture": "x86_64", "version_title": "3",
                           "release_id": "r-3", "marketplace_regions": {"us-east-1": "ami-3"}});
        let feed = merged(feed, PUBLISHED, &three);
        let entry = &feed["products"]["p"]["x86_64"];
        assert_eq!(entry["alias_history"].as_array().unwrap().len(), 4);
        assert!(entry["aliases"].is_null(), "{entry}");
    }
}
