//! The audit of one product, per Region, on the ports: the listing against the spec, a
//! Marketplace AMI for every live version in every Region of the listing, the SSM parameters
//! pointing at launchable AMIs of live versions, each live version in the buyer's view
//! (`buyer_view`), seller-side leftovers, and the tags of each seller image and its snapshots,
//! of each SSM parameter and of the product and its offer (`audit_tags`) — one row per check (Correct, Incorrect, Missing,
//! Unexpected, Unreachable). `amipub verify` prints the rows.

use std::collections::{BTreeMap, BTreeSet};

use amipub_domain::ids::Region;
use amipub_domain::lifecycle::audit::parameter_status;
use amipub_domain::lifecycle::retention::{Mirror, leftover};
use amipub_domain::lifecycle::{LiveListing, LiveVersion, Row, Status, diff};
use amipub_domain::release::{Release, State, mirror_name};
use amipub_domain::spec::ProductSpec;
use amipub_domain::template;

use crate::execute::{parameter_names, variables};
use crate::lifecycle_ports::{LifecyclePorts, Listings, Mirrors};
use crate::ports::{Catalog, Parameters};
use crate::product::Product;

/// Where the seller's mirrors live.
const HOME: &str = "us-east-1";

/// Every row of one product, given the stored releases (or why they could not be read) and the
/// time.
pub async fn audit<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    tags: &BTreeMap<String, String>,
    stored: Result<&[Release], &str>,
    now: i64,
) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let Some(pid) = &spec.product.id else {
        let why = "no product id (amipub apply creates it)";
        return vec![Row::new(
            slug,
            "-",
            "listing",
            Status::Missing,
            "a Marketplace product",
            why,
        )];
    };
    let live = match ports
        .listings()
        .listing(pid, spec.product.offer_id.as_deref())
        .await
    {
        Ok(l) => l,
        Err(e) => {
            return vec![Row::new(
                slug,
                "-",
                "listing",
                Status::Unreachable,
                "",
                e.to_string(),
            )];
        }
    };
    let mut rows = listing_rows(spec, &live);
    // Not a judgement: where the listing stands (Draft, Limited, Public), for people to read.
    rows.push(Row::new(
        slug,
        "-",
        "listing.visibility",
        Status::Correct,
        "",
        live.visibility.clone(),
    ));
    let stored = match stored {
        Ok(r) => r,
        Err(e) => {
            rows.push(Row::new(
                slug,
                "-",
                "releases",
                Status::Unreachable,
                "the state database",
                e,
            ));
            return rows;
        }
    };
    let code = spec
        .product
        .product_code
        .clone()
        .or(live.product_code.clone())
        .unwrap_or_default();
    if code.is_empty() {
        let why = "none on the spec or the listing";
        rows.push(Row::new(
            slug,
            "-",
            "product code",
            Status::Missing,
            "a product code",
            why,
        ));
        return rows;
    }
    let releases: BTreeMap<String, &Release> = stored
        .iter()
        .filter(|r| r.product == slug && r.state == State::Done)
        .map(|r| (r.version.clone(), r))
        .collect();
    // Mirrors of releases still on their way are not leftovers.
    let in_flight: BTreeSet<String> = stored
        .iter()
        .filter(|r| !r.state.is_terminal())
        .filter_map(|r| r.mirror_ami.clone())
        .collect();
    let regions = spec.region_codes();
    let (ami_rows, located) =
        marketplace_amis(ports, spec, &live, &releases, &code, &regions).await;
    rows.extend(ami_rows);
    let product = Product::new(spec.clone(), "");
    rows.extend(parameters(ports, &product, &releases, &located, &regions).await);
    let written: Vec<&Release> = located
        .iter()
        .filter_map(|(title, _)| releases.get(title).copied())
        .collect();
    let tag_rows = crate::audit_tags::parameter_tag_rows(ports, &product, tags, &written, &regions);
    rows.extend(tag_rows.await);
    rows.extend(crate::audit_tags::entity_tag_rows(ports, spec, tags).await);
    rows.extend(crate::buyer_view::rows(ports, spec, pid, &live).await);
    let mirrors = SellerImages {
        versions: &live.versions,
        in_flight: &in_flight,
        stored,
        tags,
    };
    rows.extend(leftovers(ports, spec, &mirrors, now).await);
    rows
}

/// What the seller-side images are judged against.
struct SellerImages<'a> {
    versions: &'a [LiveVersion],
    in_flight: &'a BTreeSet<String>,
    stored: &'a [Release],
    tags: &'a BTreeMap<String, String>,
}

/// A mirror's tags and its snapshots' (`snaps`, by id) against those amipub puts on its copies
/// (the operator's, the product and the provenance of the release it was made for); `None`
/// when no stored release made it.
fn tag_row(
    slug: &str,
    m: &Mirror,
    snaps: &BTreeMap<String, BTreeMap<String, String>>,
    seen: &SellerImages<'_>,
) -> Option<Row> {
    let r = seen
        .stored
        .iter()
        .find(|r| r.mirror_ami.as_deref() == Some(m.ami.as_str()))?;
    let wanted = amipub_domain::tags::of_mirror(seen.tags, r);
    let mut lacks = Vec::new();
    let own = amipub_domain::tags::missing(&wanted, &m.tags);
    if !own.is_empty() {
        lacks.push(format!("lacks {}", own.join(", ")));
    }
    for s in &m.snapshots {
        let of_snap = snaps
            .get(s)
            .map(|held| amipub_domain::tags::missing(&wanted, held))
            .unwrap_or_default();
        if !of_snap.is_empty() {
            lacks.push(format!("{s} lacks {}", of_snap.join(", ")));
        }
    }
    let item = format!("tags of seller image {}", m.ami);
    let expected = format!("{} tag(s)", wanted.len());
    Some(match lacks.is_empty() {
        true => Row::new(slug, HOME, item, Status::Correct, expected, "all"),
        false => Row::new(
            slug,
            HOME,
            item,
            Status::Incorrect,
            expected,
            format!("{} (amipub apply --tags adds them)", lacks.join("; ")),
        ),
    })
}

/// The listing's fields against the spec.
fn listing_rows(spec: &ProductSpec, live: &LiveListing) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let diffs = diff(spec, live);
    if diffs.is_empty() {
        return vec![Row::new(
            slug,
            "-",
            "listing",
            Status::Correct,
            "as the spec",
            "as the spec",
        )];
    }
    diffs
        .iter()
        .map(|d| {
            let lines = d.lines();
            let (minus, plus): (Vec<&String>, Vec<&String>) =
                lines.iter().partition(|l| l.starts_with("- "));
            let join =
                |v: &[&String]| clip(&v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("; "));
            Row::new(
                slug,
                "-",
                d.field,
                Status::Incorrect,
                join(&plus),
                join(&minus),
            )
        })
        .collect()
}

/// The Marketplace AMI of every live version in every Region: rows, and per version the
/// Regions' AMIs found.
async fn marketplace_amis<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    live: &LiveListing,
    releases: &BTreeMap<String, &Release>,
    code: &str,
    regions: &[String],
) -> (Vec<Row>, Vec<(String, BTreeMap<Region, String>)>) {
    let slug = spec.product.slug.as_str();
    let (mut rows, mut located) = (Vec::new(), Vec::new());
    let wanted: Vec<Region> = regions.iter().map(|r| Region::known(r)).collect();
    for v in live.live_versions() {
        let name = match (releases.get(&v.title), &v.source_ami) {
            (Some(r), _) => Some(mirror_name(r)),
            (None, Some(ami)) => ports.mirrors().image_name(HOME, ami).await.ok().flatten(),
            (None, None) => None,
        };
        let item = format!("ami {}", v.title);
        let Some(name) = name else {
            let source = v.source_ami.clone().unwrap_or_default();
            let why = "gone: cannot tell its Marketplace AMIs";
            rows.push(Row::new(
                slug,
                HOME,
                format!("seller {item}"),
                Status::Missing,
                source,
                why,
            ));
            continue;
        };
        match ports.catalog().locate(code, &name, &wanted).await {
            Ok(found) => {
                for region in regions {
                    rows.push(match found.get(region.as_str()) {
                        Some(ami) => Row::new(
                            slug,
                            region,
                            &item,
                            Status::Correct,
                            "available",
                            ami.as_str(),
                        ),
                        None => Row::new(slug, region, &item, Status::Missing, "available", "none"),
                    });
                }
                located.push((v.title.clone(), found));
            }
            Err(e) => rows.push(Row::new(
                slug,
                "*",
                &item,
                Status::Unreachable,
                "available",
                e.to_string(),
            )),
        }
    }
    (rows, located)
}

/// Versioned parameters hold their version's AMI; aliases hold a launchable AMI of a live version.
async fn parameters<P: LifecyclePorts>(
    ports: &P,
    product: &Product,
    releases: &BTreeMap<String, &Release>,
    located: &[(String, BTreeMap<Region, String>)],
    regions: &[String],
) -> Vec<Row> {
    let slug = product.spec.product.slug.as_str();
    let mut rows = Vec::new();
    let Some(ssm) = &product.spec.ssm else {
        return rows;
    };
    // alias name → Region → AMIs it may hold.
    let mut aliases: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (title, found) in located {
        let Some(r) = releases.get(title) else {
            continue;
        };
        let vars = variables(product, r);
        if let Ok(names) = parameter_names(product, r)
            && let Some(versioned) = names.first()
        {
            for region in regions {
                let want = found.get(region.as_str());
                let Some(held) = held(ports, slug, region, versioned, &mut rows).await else {
                    continue;
                };
                // A Region without the version's AMI should have no versioned parameter either.
                let status = match (want, &held) {
                    (None, None) => continue,
                    (None, Some(_)) => Status::Incorrect,
                    (Some(ami), v) => {
                        parameter_status(v.as_deref(), std::slice::from_ref(ami), true)
                    }
                };
                let want = want.cloned().unwrap_or_else(|| "none".into());
                let held = held.unwrap_or_else(|| "none".into());
                rows.push(Row::new(
                    slug,
                    region,
                    format!("ssm {versioned}"),
                    status,
                    want,
                    held,
                ));
            }
        }
        for tpl in ssm.aliases.values() {
            if let Ok(name) = template::render(tpl, &vars) {
                let per = aliases.entry(name).or_default();
                for (region, ami) in found {
                    per.entry(region.to_string()).or_default().push(ami.clone());
                }
            }
        }
    }
    for (name, per) in &aliases {
        for region in regions {
            let allowed = per.get(region).cloned().unwrap_or_default();
            let Some(held) = held(ports, slug, region, name, &mut rows).await else {
                continue;
            };
            if held.is_none() && allowed.is_empty() {
                // Nothing was ever published here: nothing to point at.
                continue;
            }
            // `allowed` holds only AMIs `locate` found available moments ago, so a held value
            // among them is launchable; any other value is Incorrect whatever its state.
            let status = parameter_status(held.as_deref(), &allowed, true);
            let held = held.unwrap_or_else(|| "none".into());
            rows.push(Row::new(
                slug,
                region,
                format!("ssm {name}"),
                status,
                allowed.join(" or "),
                held,
            ));
        }
    }
    rows
}

/// Seller-side mirrors no version uses, and retired ones past their grace period; and each
/// mirror's tags.
async fn leftovers<P: LifecyclePorts>(
    ports: &P,
    spec: &ProductSpec,
    seen: &SellerImages<'_>,
    now: i64,
) -> Vec<Row> {
    let slug = spec.product.slug.as_str();
    let mirrors = match ports.mirrors().mirrors(slug).await {
        Ok(m) => m,
        Err(e) => {
            return vec![Row::new(
                slug,
                HOME,
                "seller images",
                Status::Unreachable,
                "",
                e.to_string(),
            )];
        }
    };
    let snapshots: Vec<String> = mirrors.iter().flat_map(|m| m.snapshots.clone()).collect();
    let mut tag_rows = Vec::new();
    let snaps = match ports.mirrors().snapshot_tags(&snapshots).await {
        Ok(s) => s,
        Err(e) => {
            let item = "tags of seller snapshots";
            tag_rows.push(Row::new(
                slug,
                HOME,
                item,
                Status::Unreachable,
                "",
                e.to_string(),
            ));
            BTreeMap::new()
        }
    };
    tag_rows.extend(
        mirrors
            .iter()
            .filter_map(|m| tag_row(slug, m, &snaps, seen)),
    );
    let (versions, in_flight) = (seen.versions, seen.in_flight);
    mirrors
        .iter()
        .filter_map(|m| {
            let (expected, actual) =
                leftover(m, versions, in_flight, spec.retention.grace_days, now)?;
            let item = format!("seller image {}", m.ami);
            Some(Row::new(
                slug,
                HOME,
                item,
                Status::Unexpected,
                expected,
                actual,
            ))
        })
        .chain(tag_rows)
        .collect()
}

/// The value of parameter `name` in `region`; `None` (with an Unreachable row) when it cannot be
/// read.
async fn held<P: LifecyclePorts>(
    ports: &P,
    slug: &str,
    region: &str,
    name: &str,
    rows: &mut Vec<Row>,
) -> Option<Option<String>> {
    match ports.parameters().get(region, name).await {
        Ok(v) => Some(v),
        Err(e) => {
            rows.push(Row::new(
                slug,
                region,
                format!("ssm {name}"),
                Status::Unreachable,
                "",
                e.to_string(),
            ));
            None
        }
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        format!("{}…", s.chars().take(MAX).collect::<String>())
    } else {
        s.to_owned()
    }
}
