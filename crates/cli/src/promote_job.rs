//! Recording a job from a spec in `products_dir`, as `amipub serve` does it for the console's
//! promote button, for a Fedora CoreOS stream that went back to an older release and for new
//! instance types: the spec file's text carries the ids the store knows for the product (a spec
//! written before the listing was created has none), and one job of a kind per product is in
//! flight at a time.

use std::collections::BTreeMap;
use std::path::PathBuf;

use amipub_domain::job::{Job, JobKind, JobRequest};
use amipub_domain::lifecycle::approval::record_ids;
use amipub_domain::spec::ProductSpec;
use amipub_domain::validate::{has_errors, validate_text};

use crate::runtime::Runtime;

/// A spec in `products_dir` that parses, with its file.
pub struct Spec {
    /// The file.
    pub path: PathBuf,
    /// The spec.
    pub spec: ProductSpec,
    /// The file's text.
    pub text: String,
}

/// The specs in `products_dir` that parse (the others are skipped, said at debug level: this
/// runs for pages that refresh).
pub fn specs(products_dir: &str) -> Vec<Spec> {
    let paths = crate::cmd::validate::specs_in(products_dir).unwrap_or_default();
    paths
        .into_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            match validate_text(&text) {
                (Some(spec), problems) if !has_errors(&problems) => Some(Spec { path, spec, text }),
                _ => {
                    tracing::debug!("{} has errors; amipub validate lists them", path.display());
                    None
                }
            }
        })
        .collect()
}

/// The spec of product `slug` in `products_dir`.
pub fn spec_of(products_dir: &str, slug: &str) -> anyhow::Result<Spec> {
    specs(products_dir)
        .into_iter()
        .find(|s| s.spec.product.slug == slug)
        .ok_or_else(|| anyhow::anyhow!("no spec in {products_dir} is product {slug}"))
}

/// Records a promote job of `s` with `args` (`version`, `alias`, `by`, …) at `now`; refused
/// while another promote job of the product is in flight.
pub async fn record_promote(
    rt: &Runtime,
    s: Spec,
    args: BTreeMap<String, String>,
    now: i64,
) -> anyhow::Result<Job> {
    record_job(rt, JobKind::Promote, s, args, now).await
}

/// Records a job of `kind` for `s` with `args` at `now`; refused while another job of that
/// kind of the product is in flight.
pub async fn record_job(
    rt: &Runtime,
    kind: JobKind,
    s: Spec,
    args: BTreeMap<String, String>,
    now: i64,
) -> anyhow::Result<Job> {
    let slug = s.spec.product.slug.as_str();
    if let Some(j) = rt.store.active_job(kind.label(), slug).await? {
        anyhow::bail!(
            "a {} job of {slug} is in flight already ({}, {})",
            kind.label(),
            j.id,
            j.state.name()
        );
    }
    let mut text = s.text;
    let ids = rt.store.product_ids(slug).await?;
    let p = &s.spec.product;
    let product_id = p.id.clone().or(ids.as_ref().map(|i| i.product_id.clone()));
    if let Some(pid) = product_id {
        let offer = p
            .offer_id
            .clone()
            .or(ids.as_ref().and_then(|i| i.offer_id.clone()));
        let code = p
            .product_code
            .clone()
            .or(ids.as_ref().and_then(|i| i.product_code.clone()));
        text = record_ids(&text, &pid, offer.as_deref(), code.as_deref())
            .map_err(|e| anyhow::anyhow!("cannot carry the ids in the job's spec: {e}"))?;
    }
    let request = JobRequest {
        kind,
        product: slug.to_owned(),
        spec: text,
        args,
    };
    let job = Job::new(request, now);
    rt.engine.record_job(&job, now).await?;
    Ok(job)
}
