//! A release's SSM parameters: their names (from the spec's templates and the release's
//! variables) and the step that writes them in every Region and reads them back. Regions are
//! independent (SSM's quotas are per Region), so several are worked on at once.

use std::collections::BTreeMap;

use amipub_domain::ids::Region;
use amipub_domain::lifecycle::parameters::{Held, RegionPlan, plan_region};
use amipub_domain::release::timing::LOCATED_FRESH_SECS;
use amipub_domain::release::{FailureKind, Release};
use amipub_domain::template;
use futures_util::{StreamExt, stream};

use crate::ports::{Images, Parameters, PortError, Ports};
use crate::product::Product;

/// How many Regions' parameters are written at once.
const REGIONS_AT_ONCE: usize = 8;

/// Template variables of a release for SSM names and topics.
pub fn variables(product: &Product, r: &Release) -> BTreeMap<&'static str, String> {
    let mut vars: BTreeMap<&'static str, String> = BTreeMap::new();
    for name in template::NOTES_VARS {
        if let Some(v) = r.vars.get(*name) {
            vars.insert(name, v.clone());
        }
    }
    vars.insert("version", r.version.clone());
    vars.insert("slug", r.product.clone());
    vars.entry("arch")
        .or_insert_with(|| product.spec.product.architecture.clone());
    if let Some(id) = &product.spec.product.id {
        vars.insert("product_id", id.clone());
    }
    vars
}

/// The parameter names of a release: (versioned, aliases).
pub fn parameter_names(product: &Product, r: &Release) -> Result<Vec<String>, String> {
    names_with(product, &variables(product, r))
}

/// The parameter names for already computed template variables.
pub(crate) fn names_with(
    product: &Product,
    vars: &BTreeMap<&'static str, String>,
) -> Result<Vec<String>, String> {
    let Some(ssm) = &product.spec.ssm else {
        return Ok(Vec::new());
    };
    let mut names = vec![template::render(&ssm.versioned, vars).map_err(|e| e.to_string())?];
    for tpl in ssm.aliases.values() {
        names.push(template::render(tpl, vars).map_err(|e| e.to_string())?);
    }
    Ok(names)
}

/// The tags a new parameter gets: the versioned one belongs to one release, aliases move.
struct ParameterTags {
    versioned: BTreeMap<String, String>,
    alias: BTreeMap<String, String>,
}

/// What one Region's parameters came to.
enum Outcome {
    /// Written (or already right) and read back.
    Checked,
    /// The Marketplace AMI is not launchable there yet; nothing written.
    Skipped,
}

/// Writes the release's parameters in every Region it was found in and reads them back; returns
/// the check in words. A Region is skipped (and said so) unless its Marketplace AMI is launchable
/// there now (seen available within `LOCATED_FRESH_SECS`, else asked again), so no parameter ever
/// points at an image buyers cannot start. The versioned name comes first and is immutable:
/// holding another AMI is an error, never overwritten. Aliases follow (promotion). Per Region the
/// values are read in one batch, only those that differ are written, and only those are read
/// back, in one batch.
pub(crate) async fn write_parameters<P: Ports>(
    ports: &P,
    product: &Product,
    r: &Release,
    now: i64,
) -> Result<String, PortError> {
    let names = parameter_names(product, r)
        .map_err(|e| PortError::new(FailureKind::InvalidInput, format!("SSM templates: {e}")))?;
    let tags = ParameterTags {
        versioned: amipub_domain::tags::of_versioned_parameter(&product.tags, r),
        alias: amipub_domain::tags::of_parameter(&product.tags, &r.product),
    };
    let outcomes: Vec<(&Region, Result<Outcome, PortError>)> = stream::iter(&r.regions)
        .map(|(region, ami)| {
            let fresh = r
                .located_at
                .get(region)
                .is_some_and(|at| now - at <= LOCATED_FRESH_SECS);
            let names = &names;
            let on = (names.as_slice(), &tags);
            async move { (region, in_region(ports, region, ami, on, fresh).await) }
        })
        .buffer_unordered(REGIONS_AT_ONCE)
        .collect()
        .await;
    let mut skipped: Vec<&str> = Vec::new();
    let mut checked = 0usize;
    for (region, outcome) in outcomes {
        match outcome? {
            Outcome::Checked => checked += 1,
            Outcome::Skipped => skipped.push(region.as_str()),
        }
    }
    skipped.sort_unstable();
    Ok(words(r, names.len(), checked, &skipped))
}

/// One Region's part of `write_parameters`.
async fn in_region<P: Ports>(
    ports: &P,
    region: &Region,
    ami: &str,
    (names, tags): (&[String], &ParameterTags),
    fresh: bool,
) -> Result<Outcome, PortError> {
    let launchable = fresh || ports.images().launchable(region, ami).await?;
    let values = if launchable {
        ports.parameters().get_many(region, names).await?
    } else {
        BTreeMap::new()
    };
    let held: Vec<Held<'_>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| Held {
            name,
            versioned: i == 0,
            value: values.get(name).map(String::as_str),
        })
        .collect();
    let writes = match plan_region(launchable, ami, &held) {
        RegionPlan::NotLaunchable => return Ok(Outcome::Skipped),
        RegionPlan::Conflict { name, held } => {
            return Err(PortError::new(
                FailureKind::InvalidInput,
                format!(
                    "{name} in {region} holds {held}, not {ami}: versioned parameters never change; delete it if it is wrong, then retry"
                ),
            ));
        }
        RegionPlan::Write(writes) => writes,
    };
    for name in &writes {
        let tags = match names.first() == Some(name) {
            true => &tags.versioned,
            false => &tags.alias,
        };
        match values.contains_key(name.as_str()) {
            true => ports.parameters().set(region, name, ami).await?,
            false => ports.parameters().create(region, name, ami, tags).await?,
        }
    }
    if writes.is_empty() {
        return Ok(Outcome::Checked);
    }
    let back = ports.parameters().get_many(region, &writes).await?;
    match writes
        .iter()
        .find(|n| back.get(*n).map(String::as_str) != Some(ami))
    {
        Some(name) => Err(PortError::new(
            FailureKind::ServerFault,
            format!("{name} in {region} does not read back as {ami}"),
        )),
        None => Ok(Outcome::Checked),
    }
}

/// The check in words: how many Regions were verified, which had no Marketplace AMI and which
/// were left unparameterised.
fn words(r: &Release, names: usize, checked: usize, skipped: &[&str]) -> String {
    let mut words = format!(
        "{checked} of {} Regions verified: Marketplace AMI launchable, {names} parameter(s) each read back",
        r.expected_regions.len(),
    );
    let absent: Vec<&str> = r
        .expected_regions
        .iter()
        .filter(|x| !r.regions.contains_key(*x))
        .map(|x| x.as_str())
        .collect();
    if !absent.is_empty() {
        words.push_str(&format!(
            "; no Marketplace AMI found in {}",
            absent.join(", ")
        ));
    }
    if !skipped.is_empty() {
        words.push_str(&format!(
            "; not launchable, left unparameterised: {} (amipub verify reports them; amipub promote writes aliases once they are)",
            skipped.join(", ")
        ));
    }
    words
}
