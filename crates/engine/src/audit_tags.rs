//! The tags rows of the audit for SSM parameters and the listing's entities: each parameter a
//! finished release wrote, read back in every Region where it exists, against the tags amipub
//! gives it (the configured ones and the product; the versioned one also its release's
//! provenance), one row per parameter name naming the Regions where a tag is missing; and the
//! product and its offer against the configured tags.

use std::collections::BTreeMap;

use amipub_domain::lifecycle::{Row, Status};
use amipub_domain::release::Release;
use amipub_domain::tags::{missing, of_parameter, of_versioned_parameter};
use futures_util::{StreamExt, stream};

use amipub_domain::spec::ProductSpec;

use crate::lifecycle_ports::{LifecyclePorts, Listings};
use crate::parameters::parameter_names;
use crate::ports::Parameters;
use crate::product::Product;

/// Regions read at once.
const REGIONS_AT_ONCE: usize = 8;

/// The rows for the parameters of `releases` (finished, live) in `regions`, against the
/// configured `tags`.
pub(crate) async fn parameter_tag_rows<P: LifecyclePorts>(
    ports: &P,
    product: &Product,
    tags: &BTreeMap<String, String>,
    releases: &[&Release],
    regions: &[String],
) -> Vec<Row> {
    let slug = product.spec.product.slug.as_str();
    let mut rows = Vec::new();
    for (name, wanted) in wanted(product, tags, releases) {
        let looks: Vec<(&String, _)> = stream::iter(regions)
            .map(|region| {
                let name = name.as_str();
                async move { (region, ports.parameters().tags(region, name).await) }
            })
            .buffer_unordered(REGIONS_AT_ONCE)
            .collect()
            .await;
        rows.extend(row(slug, &name, &wanted, looks));
    }
    rows
}

/// A row per entity of the listing (the product, its offer when the spec names one) whose tags
/// the catalog shows: against the configured `tags` only (a listing amipub did not create has
/// no `amipub:product`); none without configured tags.
pub(crate) async fn entity_tag_rows<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    tags: &BTreeMap<String, String>,
) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let mut rows = Vec::new();
    if tags.is_empty() {
        return rows;
    }
    let entities = [
        ("product", &spec.product.id),
        ("offer", &spec.product.offer_id),
    ];
    for (kind, id) in entities {
        let Some(id) = id else { continue };
        let item = format!("tags of {kind} {id}");
        let expected = format!("{} tag(s)", tags.len());
        let row = match ports.listings().entity_tags(id).await {
            Ok(None) => continue,
            Ok(Some(held)) => match missing(tags, &held) {
                lacks if lacks.is_empty() => {
                    Row::new(slug, "-", item, Status::Correct, expected, "all")
                }
                lacks => Row::new(
                    slug,
                    "-",
                    item,
                    Status::Incorrect,
                    expected,
                    format!("lacks {} (amipub apply --tags adds them)", lacks.join(", ")),
                ),
            },
            Err(e) => Row::new(
                slug,
                "-",
                item,
                Status::Unreachable,
                expected,
                e.to_string(),
            ),
        };
        rows.push(row);
    }
    rows
}

/// Each parameter name of `releases` with the tags it should hold (a versioned name is one
/// release's own; an alias is every release's).
fn wanted(
    product: &Product,
    tags: &BTreeMap<String, String>,
    releases: &[&Release],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for r in releases {
        let Ok(names) = parameter_names(product, r) else {
            continue;
        };
        for (i, name) in names.into_iter().enumerate() {
            let want = match i {
                0 => of_versioned_parameter(tags, r),
                _ => of_parameter(tags, &r.product),
            };
            out.insert(name, want);
        }
    }
    out
}

/// What one Region answered: the parameter's tags, `None` when it is not there.
type Look<'a> = (
    &'a String,
    crate::ports::PortResult<Option<BTreeMap<String, String>>>,
);

/// One parameter's row from what each Region answered; none when no Region showed it.
fn row(
    slug: &str,
    name: &str,
    wanted: &BTreeMap<String, String>,
    mut looks: Vec<Look<'_>>,
) -> Option<Row> {
    looks.sort_by(|a, b| a.0.cmp(b.0));
    let item = format!("tags of ssm {name}");
    let expected = format!("{} tag(s)", wanted.len());
    // What is lacking → the Regions where it is.
    let mut by_lack: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let (mut seen, mut unreachable) = (0usize, Vec::new());
    for (region, look) in looks {
        match look {
            Ok(None) => {}
            Ok(Some(held)) => {
                seen += 1;
                let lacks = missing(wanted, &held);
                if !lacks.is_empty() {
                    by_lack.entry(lacks.join(", ")).or_default().push(region);
                }
            }
            Err(e) => unreachable.push((region.as_str(), e.to_string())),
        }
    }
    let lacking: Vec<String> = by_lack
        .iter()
        .map(|(lacks, regions)| format!("{lacks} in {}", regions_in_short(regions)))
        .collect();
    let (status, actual) = match (lacking.is_empty(), unreachable.is_empty()) {
        (false, all_read) => {
            let mut text = format!(
                "lacks {} (amipub apply --tags adds them)",
                lacking.join("; ")
            );
            if !all_read {
                let regions: Vec<&str> = unreachable.iter().map(|(r, _)| *r).collect();
                let first = unreachable.first().map(|(_, e)| e.as_str()).unwrap_or("");
                text.push_str(&format!(
                    "; not read in {} ({first})",
                    regions_in_short(&regions)
                ));
            }
            (Status::Incorrect, text)
        }
        (true, false) => {
            let regions: Vec<&str> = unreachable.iter().map(|(r, _)| *r).collect();
            let first = unreachable.first().map(|(_, e)| e.as_str()).unwrap_or("");
            let text = format!("not read in {} ({first})", regions_in_short(&regions));
            (Status::Unreachable, text)
        }
        (true, true) if seen == 0 => return None,
        (true, true) => (Status::Correct, format!("all, in {seen} Region(s)")),
    };
    Some(Row::new(slug, "-", item, status, expected, actual))
}

/// `eu-west-1`, or `3 Regions (af-south-1, ap-east-1, …)`.
fn regions_in_short(regions: &[&str]) -> String {
    const SHOWN: usize = 3;
    match regions {
        [one] => (*one).to_owned(),
        _ => {
            let mut shown = regions[..regions.len().min(SHOWN)].join(", ");
            if regions.len() > SHOWN {
                shown.push_str(", …");
            }
            format!("{} Regions ({shown})", regions.len())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_groups_the_regions_by_what_they_lack_and_skips_a_parameter_nowhere() {
        let wanted = BTreeMap::from([
            ("FedoraGroup".to_owned(), "cloud".to_owned()),
            ("amipub:product".to_owned(), "p".to_owned()),
        ]);
        let only_product = BTreeMap::from([("amipub:product".to_owned(), "p".to_owned())]);
        let regions: Vec<String> = ["eu-west-1", "us-east-1", "us-west-2"]
            .iter()
            .map(|r| (*r).to_owned())
            .collect();
        let looks = vec![
            (&regions[0], Ok(Some(only_product.clone()))),
            (&regions[1], Ok(Some(wanted.clone()))),
            (&regions[2], Ok(Some(only_product))),
        ];
        let r = row("p", "/p/latest", &wanted, looks);
        let r = r.unwrap_or_else(|| panic!("a row"));
        assert_eq!(r.status, Status::Incorrect);
        assert!(
            r.actual
                .starts_with("lacks FedoraGroup in 2 Regions (eu-west-1, us-west-2)"),
            "{}",
            r.actual
        );
        let nowhere = vec![(&regions[0], Ok(None))];
        assert!(row("p", "/p/latest", &wanted, nowhere).is_none());
        let denied = || {
            Err(crate::ports::PortError::new(
                amipub_domain::release::FailureKind::AccessDenied,
                "AccessDenied",
            ))
        };
        let unread = vec![(&regions[0], denied()), (&regions[2], denied())];
        let r = row("p", "/p/latest", &wanted, unread).unwrap_or_else(|| panic!("a row"));
        assert_eq!(r.status, Status::Unreachable);
        assert!(
            r.actual
                .starts_with("not read in 2 Regions (eu-west-1, us-west-2) ("),
            "{}",
            r.actual
        );
    }
}
