//! `amipub apply --tags`: the configured and provenance tags on a product's resources made
//! before they were configured (or that lost some): each seller-side copy a stored release made
//! and its snapshots, the SSM parameters of its finished releases in each Region, and the
//! product and its offer (the configured tags). Adding a
//! tag a resource holds already changes nothing, so it can run any number of times.

use std::collections::BTreeMap;

use amipub_domain::release::{Release, State};
use amipub_domain::tags::{missing, of_mirror, of_parameter, of_versioned_parameter};

use crate::lifecycle_ports::{LifecyclePorts, Listings, Mirrors};
use crate::parameters::parameter_names;
use crate::ports::{Parameters, PortError};
use crate::product::Product;

/// What tagging did, in lines for people.
pub async fn retag<P: LifecyclePorts>(
    ports: &P,
    product: &Product,
    stored: &[Release],
) -> Result<Vec<String>, PortError> {
    let slug = product.spec.product.slug.as_str();
    let mut lines = Vec::new();
    let mirrors = ports.mirrors().mirrors(slug).await?;
    let all: Vec<String> = mirrors.iter().flat_map(|m| m.snapshots.clone()).collect();
    // Without them (a policy from before this read, say), the images' tags still decide.
    let snaps = match ports.mirrors().snapshot_tags(&all).await {
        Ok(s) => s,
        Err(e) => {
            lines.push(format!(
                "  snapshot tags not read ({e}): compared the images' own; an AccessDenied means the policy lacks what amipub iam-policy prints"
            ));
            BTreeMap::new()
        }
    };
    for m in mirrors {
        let Some(r) = stored
            .iter()
            .find(|r| r.mirror_ami.as_deref() == Some(m.ami.as_str()))
        else {
            continue;
        };
        let wanted = of_mirror(&product.tags, r);
        // What the copy or any of its snapshots lacks (CreateTags tags them all at once).
        let held = std::iter::once(&m.tags).chain(m.snapshots.iter().filter_map(|s| snaps.get(s)));
        let lacks: BTreeMap<String, String> = held
            .flat_map(|h| missing(&wanted, h))
            .map(|k| (k.to_owned(), wanted[k].clone()))
            .collect();
        if lacks.is_empty() {
            continue;
        }
        ports.mirrors().add_tags(&m, &lacks).await?;
        let keys: Vec<&str> = lacks.keys().map(String::as_str).collect();
        lines.push(format!(
            "  tagged {} and {} snapshot(s): {}",
            m.ami,
            m.snapshots.len(),
            keys.join(", ")
        ));
    }
    // Each (Region, name) once: aliases such as `latest` are names of every release, and get
    // no release's provenance; a versioned name is its release's own.
    let alias = of_parameter(&product.tags, slug);
    let mut wanted: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    let done = stored
        .iter()
        .filter(|r| r.product == slug && r.state == State::Done);
    for r in done {
        let names = parameter_names(product, r).map_err(|e| {
            PortError::new(
                amipub_domain::release::FailureKind::InvalidInput,
                format!("SSM templates: {e}"),
            )
        })?;
        let versioned = of_versioned_parameter(&product.tags, r);
        for region in r.regions.keys() {
            for (i, name) in names.iter().enumerate() {
                let tags = if i == 0 { &versioned } else { &alias };
                wanted.insert((region.to_string(), name.clone()), tags.clone());
            }
        }
    }
    let (mut tagged, mut regions) = (0usize, std::collections::BTreeSet::new());
    for ((region, name), tags) in &wanted {
        if ports.parameters().add_tags(region, name, tags).await? {
            tagged += 1;
            regions.insert(region.clone());
        }
    }
    lines.push(format!(
        "  tagged {tagged} SSM parameter(s) in {} Region(s)",
        regions.len()
    ));
    lines.extend(retag_entities(ports, product).await?);
    Ok(lines)
}

/// The configured tags the product and its offer lack, added (a listing amipub did not create
/// gets no `amipub:product`: its entities are judged by the configured tags alone).
async fn retag_entities<P: LifecyclePorts>(
    ports: &P,
    product: &Product,
) -> Result<Vec<String>, PortError> {
    let p = &product.spec.product;
    let mut lines = Vec::new();
    if product.tags.is_empty() {
        return Ok(lines);
    }
    for id in [&p.id, &p.offer_id].into_iter().flatten() {
        // What was tagged before stays said: a listing read that fails is a line, not an error.
        let held = match ports.listings().entity_tags(id).await {
            Ok(Some(held)) => held,
            Ok(None) => continue,
            Err(e) => {
                lines.push(format!(
                    "  tags of {id} not read ({e}); an AccessDenied means the policy lacks what amipub iam-policy prints"
                ));
                continue;
            }
        };
        let lacks: BTreeMap<String, String> = missing(&product.tags, &held)
            .into_iter()
            .map(|k| (k.to_owned(), product.tags[k].clone()))
            .collect();
        if lacks.is_empty() {
            continue;
        }
        if let Err(e) = ports.listings().tag_entity(id, &lacks).await {
            lines.push(format!("  {id} not tagged ({e})"));
            continue;
        }
        let keys: Vec<&str> = lacks.keys().map(String::as_str).collect();
        lines.push(format!("  tagged {id}: {}", keys.join(", ")));
    }
    Ok(lines)
}
