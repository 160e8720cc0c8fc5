//! The Fedora CoreOS part of the intake: a `coreos.stream.metadata.update` becomes, per product
//! bound to the stream, the build of the stream's release (its metadata fetched from
//! `[coreos] stream_url`), which then goes the way of any build. A stream that moved to a
//! release amipub already published is a rollback (or, after one, a roll forward): no new
//! version, but a promote job per product that points its aliases back at that release's
//! Marketplace AMIs, announced as `alias-moved` with reason `rollback`.

use std::collections::BTreeMap;

use amipub_domain::job::JobKind;
use amipub_domain::messages::coreos::{
    StreamStep, StreamUpdate, parse_stream, stream_build, stream_step, stream_url,
};
use amipub_domain::messages::{Matched, Reason};
use amipub_domain::release::{Release, State};
use amipub_domain::spec::ProductSpec;
use amipub_domain::template;
use amipub_engine::Product;
use amipub_engine::parameters::variables;
use amipub_engine::ports::{Parameters, Ports, Store};

use crate::fetch;
use crate::intake::{StoreIntake, StreamFailure};

/// The largest stream metadata document read (Fedora's are about 50 KiB).
const MAX_STREAM: usize = 8 << 20;

impl StoreIntake<'_> {
    /// The builds the products bound to the updated stream take from its metadata.
    pub(crate) async fn stream_builds(
        &self,
        u: &StreamUpdate,
    ) -> Result<Vec<Matched>, StreamFailure> {
        if u.products.is_empty() {
            return Ok(Vec::new());
        }
        let url = stream_url(&self.rt.settings.coreos.stream_url, &u.stream);
        let text = match fetch::get(&url, MAX_STREAM).await {
            Ok(t) => t,
            Err(e) if e.may_clear() => return Err(StreamFailure::Requeue(e.to_string())),
            Err(e) => {
                let detail = format!(
                    "{e}: the metadata of stream {} cannot be read (check [coreos] stream_url)",
                    u.stream
                );
                return Err(StreamFailure::Dead(Reason::SourceUnreadable, detail));
            }
        };
        let dead = |detail: String| StreamFailure::Dead(Reason::InvalidBody, detail);
        let stream = parse_stream(&text).map_err(|e| dead(format!("{url}: {e}")))?;
        if stream.stream != u.stream {
            return Err(dead(format!(
                "{url} holds stream {:?}, not {:?}",
                stream.stream, u.stream
            )));
        }
        // A product the stream has no image for is skipped and said; the others go on.
        let (mut builds, mut missing) = (Vec::new(), Vec::new());
        for spec in self.bound(&u.products) {
            let Some(rule) = &spec.intake else { continue };
            let slug = &spec.product.slug;
            match stream_build(&stream, rule) {
                Ok(build) => builds.push(Matched {
                    product: slug.clone(),
                    build,
                }),
                Err(e) => {
                    tracing::warn!("intake: product {slug}: {e}");
                    missing.push(format!("product {slug}: {e}"));
                }
            }
        }
        if builds.is_empty() && !missing.is_empty() {
            return Err(StreamFailure::Dead(Reason::NoSourceAmi, missing.join("; ")));
        }
        Ok(builds)
    }

    fn bound<'s>(&'s self, slugs: &'s [String]) -> impl Iterator<Item = &'s ProductSpec> {
        self.specs
            .iter()
            .filter(|s| slugs.contains(&s.product.slug))
    }

    /// The stream moved to a release taken before (`release_id`): when it is finished and the
    /// product's `latest` alias leads elsewhere, records the promote job that points the
    /// aliases back at it (a rollback) or forward again. An error may clear: the delivery goes
    /// back to the broker.
    pub(crate) async fn stream_again(
        &self,
        slug: &str,
        release_id: &str,
        stream: &str,
        message_id: &str,
        now: i64,
    ) -> Result<(), String> {
        let Some(spec) = self.specs.iter().find(|s| s.product.slug == slug) else {
            return Ok(());
        };
        let aliases: Vec<String> = spec
            .ssm
            .iter()
            .flat_map(|s| s.aliases.keys().cloned())
            .collect();
        let r = match self.rt.store.get(release_id).await {
            Ok(Some(r)) if !aliases.is_empty() => r,
            Ok(_) => return Ok(()),
            Err(e) => return Err(e.to_string()),
        };
        let store = self.rt.engine.ports().store();
        let newest = store
            .recent_done(slug, 1)
            .await
            .map_err(|e| e.detail)?
            .first()
            .is_some_and(|n| n.id == r.id);
        let there = self.alias_there(spec, &r).await?;
        let reason = match stream_step(r.state == State::Done, newest, there) {
            StreamStep::Nothing => return Ok(()),
            StreamStep::Rollback => "rollback",
            StreamStep::Promote => "promote",
        };
        if let Some(j) = self
            .rt
            .store
            .active_job(JobKind::Promote.label(), slug)
            .await
            .map_err(|e| e.to_string())?
        {
            if j.arg("version") == Some(r.version.as_str()) {
                // That job moves the aliases there already.
                tracing::info!(
                    "intake: stream {stream} is at {} again; promote job {} of {slug} takes the aliases there",
                    r.version,
                    j.id
                );
                return Ok(());
            }
            // Another version's promotion is under way (promotions write a few parameters and
            // end): the update comes back after it, so the stream still decides.
            return Err(format!(
                "promote job {} of {slug} (to {}) is under way; stream {stream} wants {}",
                j.id,
                j.arg("version").unwrap_or("?"),
                r.version
            ));
        }
        let args = BTreeMap::from([
            ("version".to_owned(), r.version.clone()),
            ("alias".to_owned(), aliases.join(",")),
            ("by".to_owned(), format!("stream {stream}")),
            ("reason".to_owned(), reason.to_owned()),
            ("stream".to_owned(), stream.to_owned()),
            ("message".to_owned(), message_id.to_owned()),
        ]);
        let products_dir = &self.rt.settings.products_dir;
        let file = match crate::promote_job::spec_of(products_dir, slug) {
            Ok(f) => f,
            Err(e) => {
                // Waiting would not bring the file back: said, and the message is taken.
                tracing::error!(
                    "intake: cannot move {slug}'s aliases to {}: {e:#}",
                    r.version
                );
                return Ok(());
            }
        };
        let job = crate::promote_job::record_promote(self.rt, file, args, now)
            .await
            .map_err(|e| format!("{e:#}"))?;
        tracing::info!(
            "intake: stream {stream} is at {} again: {reason} of {slug} ({}) by job {}",
            r.version,
            aliases.join(", "),
            job.id
        );
        Ok(())
    }

    /// Whether the product's first alias (`latest` when it has one) already holds the release's
    /// Marketplace AMI in the release's source Region.
    async fn alias_there(&self, spec: &ProductSpec, r: &Release) -> Result<bool, String> {
        let Some(ssm) = &spec.ssm else {
            return Ok(true);
        };
        let Some(tpl) = ssm.aliases.get("latest").or(ssm.aliases.values().next()) else {
            return Ok(true);
        };
        // A Region the release has a Marketplace AMI in: its source Region when it has one.
        let found = r
            .regions
            .get_key_value(r.source_region.as_str())
            .or_else(|| r.regions.iter().next());
        let Some((region, ami)) = found else {
            return Ok(true);
        };
        let region = region.as_str();
        let product = Product::new(spec.clone(), "");
        let Ok(name) = template::render(tpl, &variables(&product, r)) else {
            // The spec validates its templates; one that does not render moves nothing.
            return Ok(true);
        };
        let held = self
            .rt
            .engine
            .ports()
            .parameters()
            .get(region, &name)
            .await
            .map_err(|e| e.detail)?;
        Ok(held.as_deref() == Some(ami.as_str()))
    }
}
