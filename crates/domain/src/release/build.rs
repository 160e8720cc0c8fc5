//! From a build to a release: the build's facts (source AMI, Region, template variables — from
//! the command line or a Fedora `fedora_image_uploader.published.v1.aws` message), the version
//! title and notes rendered from the product's templates, and a release id that is the same for
//! the same product, source AMI and version, so announcing or submitting a build twice finds the
//! release made the first time.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::Release;
use super::second_party::{SecondParty, Terms};
use crate::changeset::plan::render_version;
use crate::ids::digest_hex;
use crate::spec::{DeliveryPath, ProductSpec};
use crate::template;

/// A build to publish.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Build {
    /// Region of the source AMI.
    pub source_region: String,
    /// The source AMI.
    pub source_ami: String,
    /// Template variables (`release`, `arch`, `subvariant`, `compose_id`, `image_name`, …).
    pub vars: BTreeMap<String, String>,
    /// The build's AMIs in other Regions (Region → AMI), for partitions CopyImage cannot reach
    /// from the source Region.
    pub sources: BTreeMap<String, String>,
}

/// `NAME=VALUE` → a known template variable.
pub fn parse_var(pair: &str) -> Result<(&'static str, String), String> {
    let Some((name, value)) = pair.split_once('=') else {
        return Err(format!("{pair:?}: write NAME=VALUE"));
    };
    template::NOTES_VARS
        .iter()
        .find(|v| **v == name)
        .map(|known| (*known, value.to_owned()))
        .ok_or_else(|| {
            format!(
                "{name}: unknown variable; known: {}",
                template::NOTES_VARS.join(", ")
            )
        })
}

/// The build of a `fedora_image_uploader.published.v1.aws` message body, with its AMI in
/// `source_region`.
pub fn from_fedora_body(body: &Value, source_region: &str) -> Result<Build, String> {
    let field = |name: &str| -> Result<String, String> {
        match &body[name] {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Null => Err(format!("body.{name} is missing")),
            _ => Err(format!("body.{name} must be a non-empty string")),
        }
    };
    let source_ami = body["regions"][source_region]
        .as_str()
        .ok_or_else(|| format!("body.regions has no AMI for {source_region}"))?
        .to_owned();
    if source_ami.parse::<crate::ids::AmiId>().is_err() {
        return Err(format!(
            "body.regions.{source_region} is {source_ami:?}, not an AMI id (ami- and 8 or 17 letters or digits)"
        ));
    }
    // The other Regions' AMIs of the build, where they are AMI ids (a partition the source
    // Region's CopyImage cannot reach is cloned from its own AMI).
    let sources = body["regions"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(region, _)| region.as_str() != source_region)
        .filter_map(|(region, ami)| {
            let ami = ami.as_str()?;
            ami.parse::<crate::ids::AmiId>().ok()?;
            Some((region.clone(), ami.to_owned()))
        })
        .collect();
    let mut vars = BTreeMap::new();
    vars.insert("arch".to_owned(), field("architecture")?);
    vars.insert("compose_id".to_owned(), field("compose_id")?);
    vars.insert("image_name".to_owned(), field("image_name")?);
    vars.insert("release".to_owned(), field("release")?);
    vars.insert("subvariant".to_owned(), field("subvariant")?);
    Ok(Build {
        source_region: source_region.to_owned(),
        source_ami,
        vars,
        sources,
    })
}

/// The variables the product's templates see for a build (`date` is today, `YYYY-MM-DD`).
pub fn template_vars(
    spec: &ProductSpec,
    build: &Build,
    date: &str,
) -> BTreeMap<&'static str, String> {
    let mut vars: BTreeMap<&'static str, String> = BTreeMap::new();
    vars.insert("ami_id", build.source_ami.clone());
    vars.insert(
        "arch",
        spec.intake
            .as_ref()
            .map(|i| i.arch.clone())
            .unwrap_or_else(|| spec.product.architecture.clone()),
    );
    vars.insert("product_title", spec.listing.title.clone());
    vars.insert("os_name", spec.delivery.os_name.clone());
    vars.insert("os_version", spec.delivery.os_version.clone());
    vars.insert("date", date.to_owned());
    for (name, value) in &build.vars {
        if let Some(known) = template::NOTES_VARS.iter().find(|v| **v == name) {
            vars.insert(known, value.clone());
        }
    }
    if let Some(cid) = vars.get("compose_id").cloned() {
        vars.entry("compose_date")
            .or_insert_with(|| template::compose_date(&cid));
    }
    vars
}

/// The release id of a product's build: `r-` and 12 hex digits.
pub fn release_id(product: &str, source_ami: &str, version: &str) -> String {
    // The empty last part keeps the NUL after the version that ids have always had.
    let parts = [product, source_ami, version, ""].map(str::as_bytes);
    format!("r-{}", digest_hex(&parts, 6))
}

/// A new release of `spec` for `build`, Received at `now`.
pub fn new_release(
    spec: &ProductSpec,
    build: &Build,
    trusted_owners: &[String],
    explicit_version: Option<&str>,
    date: &str,
    terms: &Terms,
    now: i64,
) -> Result<Release, String> {
    let vars = template_vars(spec, build, date);
    let (version, notes) = render_version(spec, &vars, explicit_version).map_err(|e| {
        format!("the product's version templates cannot be rendered for this build: {e}; pass the missing value with --var NAME=VALUE or give --version")
    })?;
    let slug = &spec.product.slug;
    // Every Region of the listing, GovCloud's included: they are located and parameterised with
    // that partition's own credentials.
    let regions: Vec<String> = spec.region_codes();
    let mut r = Release::new(
        &release_id(slug, &build.source_ami, &version),
        slug,
        &version,
        &build.source_region,
        &build.source_ami,
        trusted_owners.to_vec(),
        &spec.product.architecture,
        regions,
        now,
    );
    r.notes = notes;
    r.sources = build
        .sources
        .iter()
        .map(|(g, ami)| (crate::ids::Region::known(g), ami.clone()))
        .collect();
    if spec.product.delivery_path == DeliveryPath::SecondParty {
        r.second_party = Some(SecondParty::new(*terms));
    }
    r.vars = vars
        .into_iter()
        .filter(|(k, _)| !matches!(*k, "ami_id" | "product_title" | "os_name" | "os_version"))
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_ids_are_stable_and_distinct() {
        let a = release_id("p", "ami-1", "41.1");
        assert_eq!(a, release_id("p", "ami-1", "41.1"));
        assert_eq!(a.len(), 14);
        assert_ne!(a, release_id("p", "ami-2", "41.1"));
        assert_ne!(a, release_id("p", "ami-1", "41.2"));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(release_id("ab", "c", "v"), release_id("a", "bc", "v"));
        // Ids of recorded releases never change between versions of amipub.
        assert_eq!(
            release_id(
                "fedora-cloud-base-x86-64",
                "ami-06b2596588ff27750",
                "41.20241027.0"
            ),
            "r-0133ca3f8bf2"
        );
    }

    #[test]
    fn fedora_bodies_give_builds_and_name_what_is_missing() {
        let body = serde_json::json!({
            "architecture": "x86_64", "compose_id": "Fedora-41-20241027.0",
            "image_name": "Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4", "release": 41,
            "subvariant": "Cloud_Base", "regions": { "us-east-1": "ami-0123abcd" }
        });
        let b = from_fedora_body(&body, "us-east-1").unwrap();
        assert_eq!(b.source_ami, "ami-0123abcd");
        assert_eq!(b.vars["release"], "41");
        let e = from_fedora_body(&body, "eu-west-1").unwrap_err();
        assert!(e.contains("eu-west-1"), "{e}");
        let mut odd = body.clone();
        odd["regions"]["us-east-1"] = "../etc".into();
        let e = from_fedora_body(&odd, "us-east-1").unwrap_err();
        assert!(e.contains("not an AMI id"), "{e}");
        let mut broken = body.clone();
        broken["compose_id"] = Value::Null;
        assert!(
            from_fedora_body(&broken, "us-east-1")
                .unwrap_err()
                .contains("compose_id")
        );
    }

    #[test]
    fn variables_parse_by_name() {
        assert_eq!(
            parse_var("release=41").unwrap(),
            ("release", "41".to_owned())
        );
        assert!(parse_var("release").unwrap_err().contains("NAME=VALUE"));
        assert!(
            parse_var("colour=red")
                .unwrap_err()
                .contains("unknown variable")
        );
    }
}
