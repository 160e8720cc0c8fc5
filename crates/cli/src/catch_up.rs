//! Catching up after an outage: the build messages archived in datagrepper between two times
//! are read page by page, oldest first, and each one whose topic an intake rule listens to goes
//! through the same intake as a delivery from the bus. The inbox makes it safe: a message the
//! bus delivered (before, during or after) is a duplicate by its id, and a build taken under
//! another id is one by its source AMI. A store or AWS error that may clear is retried a few
//! times; past that the catch-up stops and says to run it again (nothing is lost by stopping).

use std::collections::BTreeMap;
use std::time::Duration;

use amipub_bus::{Disposition, Handler, Incoming};
use amipub_domain::messages::datagrepper::{Archived, category, parse_page, search_url};
use amipub_domain::messages::topic_matches;

use crate::fetch;
use crate::intake::StoreIntake;

/// The largest page read.
const MAX_PAGE: usize = 32 << 20;
/// How many times a page or a message is tried before the catch-up stops.
const TRIES: u32 = 5;

/// What a catch-up did: messages by outcome.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Messages read.
    pub read: u64,
    /// Pages read.
    pub pages: u64,
    /// Outcome → count (`accepted`, `duplicate`, `ignored`, `irrelevant`, `dead`).
    pub outcomes: BTreeMap<String, u64>,
}

impl Tally {
    fn count(&mut self, outcome: &str) {
        *self.outcomes.entry(outcome.to_owned()).or_default() += 1;
    }

    /// One line for people.
    pub fn words(&self) -> String {
        let parts: Vec<String> = self
            .outcomes
            .iter()
            .map(|(o, n)| format!("{o} {n}"))
            .collect();
        format!(
            "{} messages on {} page(s): {}",
            self.read,
            self.pages,
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        )
    }
}

/// Reads datagrepper at `base` for the topics the intake rules of `intake` listen to, between
/// `start` and `end` (epoch seconds), and feeds each message through `intake`; `progress` hears
/// each page.
pub async fn catch_up(
    intake: &StoreIntake<'_>,
    base: &str,
    (start, end): (i64, i64),
    mut progress: impl FnMut(&Tally, u64),
) -> anyhow::Result<Tally> {
    let patterns: Vec<String> = intake
        .specs
        .iter()
        .filter_map(|s| s.intake.as_ref().map(|i| i.topic.clone()))
        .collect();
    let mut categories = patterns
        .iter()
        .map(|p| category(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!(e))?;
    categories.sort();
    categories.dedup();
    let mut tally = Tally::default();
    if categories.is_empty() {
        return Ok(tally);
    }
    let mut page = 1;
    loop {
        let url = search_url(base, &categories, start, end, page);
        let text = get_page(&url).await?;
        let found = parse_page(&text).map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        tally.pages += 1;
        for m in &found.raw_messages {
            tally.read += 1;
            if !patterns.iter().any(|p| topic_matches(p, &m.topic)) {
                tally.count("irrelevant");
                continue;
            }
            let outcome = take(intake, m).await?;
            tally.count(&outcome);
        }
        progress(&tally, found.pages);
        if page >= found.pages || found.raw_messages.is_empty() {
            return Ok(tally);
        }
        page += 1;
    }
}

async fn get_page(url: &str) -> anyhow::Result<Vec<u8>> {
    let mut tried = 0;
    loop {
        tried += 1;
        match fetch::get(url, MAX_PAGE).await {
            Ok(t) => return Ok(t),
            Err(e) if e.may_clear() && tried < TRIES => {
                tracing::warn!("catch-up: {e}; trying again");
                tokio::time::sleep(pause(tried)).await;
            }
            Err(e) => anyhow::bail!("{e}; nothing is lost: run amipub catch-up again"),
        }
    }
}

/// One archived message through the intake; its outcome.
async fn take(intake: &StoreIntake<'_>, m: &Archived) -> anyhow::Result<String> {
    let incoming = Incoming {
        message_id: Some(m.id.clone()),
        routing_key: m.topic.clone(),
        content_type: Some("application/json".into()),
        content_encoding: Some("utf-8".into()),
        schema: m.schema().map(str::to_owned),
        body: serde_json::to_vec(&m.body)?,
        redelivered: false,
    };
    let mut tried = 0;
    loop {
        tried += 1;
        match intake.handle(&incoming).await {
            Disposition::Ack(outcome) => return Ok(outcome.to_owned()),
            Disposition::DeadLetter { reason, detail } => {
                tracing::warn!("catch-up: {} ({}): {reason}: {detail}", m.id, m.topic);
                return Ok("dead".to_owned());
            }
            Disposition::Requeue(why) if tried < TRIES => {
                tracing::warn!("catch-up: {}: {why}; trying again", m.id);
                tokio::time::sleep(pause(tried)).await;
            }
            Disposition::Requeue(why) => anyhow::bail!(
                "message {} ({}) cannot be taken now: {why}; nothing is lost: run amipub catch-up again",
                m.id,
                m.topic
            ),
        }
    }
}

/// 1 s doubling, at most 16 s.
fn pause(tried: u32) -> Duration {
    Duration::from_secs(1 << tried.saturating_sub(1).min(4))
}
