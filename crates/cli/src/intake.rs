//! The intake handler of `amipub serve`: what one bus delivery becomes. The pure decision is
//! `domain::messages::classify`; here it meets the inbox (a message id seen before is a
//! duplicate; a product's build already taken, whatever message announced it, is too), EC2 (is
//! the source AMI there, and owned by a trusted build account?) and the store, which records the
//! inbox row, the new releases and their intake keys in one transaction before the ack.

use amipub_bus::{Disposition, Handler, Incoming};
use amipub_domain::ids::digest_hex;
use amipub_domain::messages::{Delivery, Reason, Verdict, classify};
use amipub_domain::release::build::new_release;
use amipub_domain::release::untrusted;
use amipub_domain::spec::ProductSpec;
use amipub_engine::ports::{Images, Ports, TimelineEntry};
use amipub_store::{InboxEntry, Intake};
use tokio::sync::Notify;

use crate::runtime::{Runtime, date_of};

/// Why a stream update could not be turned into builds (`intake_stream`).
pub enum StreamFailure {
    /// It may clear (the metadata server or the store is away): the delivery goes back.
    Requeue(String),
    /// It will not: the delivery is dead-lettered with the reason.
    Dead(Reason, String),
}

/// The handler.
pub struct StoreIntake<'a> {
    /// Store, engine (for EC2) and clock.
    pub rt: &'a Runtime,
    /// The products that may take builds.
    pub specs: Vec<ProductSpec>,
    /// Trusted build accounts.
    pub trusted: Vec<String>,
    /// Told when new releases were recorded.
    pub wake: &'a Notify,
}

/// A message id for a delivery without one: a digest of routing key and body.
fn digest_id(m: &Incoming) -> String {
    format!(
        "sha256:{}",
        digest_hex(&[m.routing_key.as_bytes(), &m.body], 16)
    )
}

impl StoreIntake<'_> {
    async fn dead(&self, mut entry: InboxEntry, reason: Reason, detail: String) -> Disposition {
        entry.outcome = "dead".into();
        entry.reason = Some(format!("{}: {detail}", reason.code()));
        if let Err(e) = self.rt.store.take_delivery(&entry, &[]).await {
            return Disposition::Requeue(format!(
                "cannot record message {}: {e}",
                entry.message_id
            ));
        }
        tracing::warn!(
            "intake: dead-lettered {} ({}): {} — {detail}",
            entry.message_id,
            entry.topic,
            reason.code()
        );
        Disposition::DeadLetter {
            reason: reason.code().into(),
            detail,
        }
    }

    async fn take(&self, m: &Incoming, id: String, verdict: Verdict) -> Disposition {
        let now = match self.rt.clock.now().await {
            Ok((now, _)) => now,
            Err(e) => return Disposition::Requeue(format!("cannot read the clock: {e}")),
        };
        let mut entry = InboxEntry::new(&id, now, &m.routing_key, &m.body);
        let (builds, stream) = match verdict {
            Verdict::Irrelevant => return Disposition::Ack("irrelevant"),
            Verdict::Own => return Disposition::Ack("own"),
            Verdict::Dead(reason, detail) => return self.dead(entry, reason, detail).await,
            Verdict::Builds(b) => (b, None),
            Verdict::Stream(u) => match self.stream_builds(&u).await {
                Ok(b) => (b, Some(u.stream)),
                Err(StreamFailure::Requeue(why)) => return Disposition::Requeue(why),
                Err(StreamFailure::Dead(reason, detail)) => {
                    return self.dead(entry, reason, detail).await;
                }
            },
        };
        let mut made: Vec<Intake> = Vec::new();
        let mut matched = Vec::new();
        for b in &builds {
            let key = format!("{}/{}", b.product, b.build.source_ami);
            match self.rt.store.intake_release(&key).await {
                Ok(Some(old)) => {
                    // A stream that moved to a release taken before: back (or forward again).
                    if let Some(stream) = &stream
                        && let Err(e) = self.stream_again(&b.product, &old, stream, &id, now).await
                    {
                        return Disposition::Requeue(e);
                    }
                    matched.push(old);
                    continue;
                }
                Ok(None) => {}
                Err(e) => return Disposition::Requeue(e.to_string()),
            }
            let images = self.rt.engine.ports().images();
            match images
                .inspect(&b.build.source_region, &b.build.source_ami)
                .await
            {
                Err(e) => {
                    return Disposition::Requeue(format!(
                        "cannot look at {} in {}: {}",
                        b.build.source_ami, b.build.source_region, e.detail
                    ));
                }
                Ok(None) => {
                    let detail = format!(
                        "{} does not exist in {} (or the seller account cannot see it)",
                        b.build.source_ami, b.build.source_region
                    );
                    return self.dead(entry, Reason::SourceMissing, detail).await;
                }
                Ok(Some(f)) => {
                    if let Some(detail) = untrusted(&b.build.source_ami, &f.owner, &self.trusted) {
                        return self.dead(entry, Reason::UntrustedOwner, detail).await;
                    }
                }
            }
            let Some(spec) = self.specs.iter().find(|s| s.product.slug == b.product) else {
                continue;
            };
            match new_release(
                spec,
                &b.build,
                &self.trusted,
                None,
                &date_of(now),
                &self.rt.settings.second_party.terms(),
                now,
            ) {
                Ok(r) => {
                    let first = TimelineEntry {
                        at: now,
                        event: "received".into(),
                        from: "-".into(),
                        to: r.state.name().into(),
                        detail: format!("message {id} on {}", m.routing_key),
                    };
                    matched.push(r.id.to_string());
                    made.push((key, r, first));
                }
                Err(e) => return self.dead(entry, Reason::InvalidBody, e).await,
            }
        }
        let outcome = match (builds.is_empty(), made.is_empty()) {
            (true, _) => "ignored",
            (false, true) => "duplicate",
            (false, false) => "accepted",
        };
        entry.outcome = outcome.into();
        entry.release_id = (!matched.is_empty()).then(|| matched.join(","));
        if let Err(e) = self.rt.store.take_delivery(&entry, &made).await {
            return Disposition::Requeue(format!("cannot record message {id}: {e}"));
        }
        for (_, r, _) in &made {
            amipub_engine::report::received(r);
            tracing::info!(
                "intake: {id}: release {} of {} (version {}) from {}",
                r.id,
                r.product,
                r.version,
                r.source_ami
            );
        }
        if !made.is_empty() {
            self.wake.notify_one();
        }
        Disposition::Ack(outcome)
    }
}

impl Handler for StoreIntake<'_> {
    async fn handle(&self, m: &Incoming) -> Disposition {
        let verdict = classify(
            &Delivery {
                routing_key: &m.routing_key,
                content_type: m.content_type.as_deref(),
                content_encoding: m.content_encoding.as_deref(),
                schema: m.schema.as_deref(),
                body: &m.body,
            },
            &self.specs,
        );
        match verdict {
            Verdict::Irrelevant => return Disposition::Ack("irrelevant"),
            Verdict::Own => return Disposition::Ack("own"),
            _ => {}
        }
        let id = m.message_id.clone().unwrap_or_else(|| digest_id(m));
        match self.rt.store.inbox_outcome(&id).await {
            Err(e) => Disposition::Requeue(e.to_string()),
            // Redelivered after a lost connection or crash: the copy into the dead-letter queue
            // may not have happened, so it is made again, quietly, with the reason stored.
            Ok(Some((o, reason))) if o == "dead" && m.redelivered => {
                let stored = reason.unwrap_or_default();
                let (code, detail) = stored.split_once(": ").unwrap_or((stored.as_str(), ""));
                Disposition::DeadLetter {
                    reason: Reason::from_code(code)
                        .map_or("unknown", Reason::code)
                        .into(),
                    detail: detail.to_owned(),
                }
            }
            // Sent again after being dead-lettered (a fixed trust list, a shovel from the
            // dead-letter queue): judged again.
            Ok(Some((o, _))) if o == "dead" => self.take(m, id, verdict).await,
            Ok(Some(_)) => Disposition::Ack("duplicate"),
            Ok(None) => self.take(m, id, verdict).await,
        }
    }
}
