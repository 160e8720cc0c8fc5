//! The buyer's view of a listing: the AMI versions AWS Marketplace offers to buyers (the
//! Discovery API's `ListFulfillmentOptions`,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_ListFulfillmentOptions.html>),
//! what each published version should look like there, and the verdict when the two are
//! compared. Pure: the engine fetches the view through its `Buyers` port and reports the verdicts
//! (`amipub verify` rows, the release's final check).
//!
//! The Discovery API names no Regions: a fulfillment option is the version as a whole, so the
//! per-Region check stays with the Marketplace AMIs themselves (`audit`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::audit::Status;
use crate::spec::ProductSpec;

/// An operating system of a fulfillment option, as buyers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerOs {
    /// `operatingSystemName`.
    pub name: String,
    /// `operatingSystemVersion`, when given.
    pub version: Option<String>,
}

/// One AMI fulfillment option as buyers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerVersion {
    /// The version's title (`fulfillmentOptionVersion`, else `fulfillmentOptionName`).
    pub title: String,
    /// `amiAlias`, when given.
    pub ami_alias: Option<String>,
    /// `operatingSystems`.
    pub os: Vec<BuyerOs>,
}

/// The AMI alias of a version: the public SSM parameter a buyer resolves to launch it in any
/// Region (`resolve:ssm:…`). The Catalog API's DescribeEntity lists it as `AmiAlias` on each
/// delivery option, and the buyer guide spells it `/aws/service/marketplace/<product>/<version>`
/// (<https://docs.aws.amazon.com/marketplace/latest/buyerguide/buyer-ami-aliases.html>).
pub fn ami_alias(product_id: &str, version_title: &str) -> String {
    format!("/aws/service/marketplace/{product_id}/{version_title}")
}

/// What buyers should see of one published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The version title.
    pub title: String,
    /// Its AMI alias.
    pub ami_alias: String,
    /// The spec's `delivery.os_name`.
    pub os_name: String,
    /// The spec's `delivery.os_version`.
    pub os_version: String,
}

impl Published {
    /// Version `title` of the product `product_id` described by `spec`, as just published (its
    /// operating system is the spec's).
    pub fn of(spec: &ProductSpec, product_id: &str, title: &str) -> Self {
        Self::recorded(spec, product_id, title, None)
    }

    /// Version `title` with the operating system the Catalog recorded for it (`catalog_os`),
    /// or the spec's when it recorded none: an older version keeps the OS it was published
    /// with after the spec moves on to the next release.
    pub fn recorded(
        spec: &ProductSpec,
        product_id: &str,
        title: &str,
        os: Option<&(String, String)>,
    ) -> Self {
        let d = &spec.delivery;
        let (os_name, os_version) = os
            .cloned()
            .unwrap_or_else(|| (d.os_name.clone(), d.os_version.clone()));
        Self {
            title: title.to_owned(),
            ami_alias: ami_alias(product_id, title),
            os_name,
            os_version,
        }
    }

    fn words(&self) -> String {
        format!(
            "listed, alias {}, OS {}",
            self.ami_alias,
            os_words(&self.os_name, &self.os_version)
        )
    }
}

/// How one version stands in the buyer's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Correct, or Incorrect.
    pub status: Status,
    /// What buyers should see.
    pub expected: String,
    /// What they see.
    pub actual: String,
}

fn os_words(name: &str, version: &str) -> String {
    if version.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {version}")
    }
}

/// Operating-system names are compared without case: the Catalog takes an upper-case name
/// (`FEDORA`) and a storefront may show it otherwise.
fn same_os(want: &Published, os: &BuyerOs) -> bool {
    let version = os.version.as_deref().unwrap_or("").trim();
    os.name.trim().eq_ignore_ascii_case(want.os_name.trim())
        && (want.os_version.is_empty() || version.eq_ignore_ascii_case(want.os_version.trim()))
}

/// The differences between what buyers should see of a version and the option they are shown.
fn differences(want: &Published, seen: &BuyerVersion) -> Vec<String> {
    let mut out = Vec::new();
    if seen.ami_alias.as_deref() != Some(want.ami_alias.as_str()) {
        out.push(format!(
            "alias {}",
            seen.ami_alias.as_deref().unwrap_or("none")
        ));
    }
    if !seen.os.iter().any(|os| same_os(want, os)) {
        let shown: Vec<String> = seen
            .os
            .iter()
            .map(|o| os_words(&o.name, o.version.as_deref().unwrap_or("")))
            .collect();
        let shown = if shown.is_empty() {
            "none".to_owned()
        } else {
            shown.join(" or ")
        };
        out.push(format!("OS {shown}"));
    }
    out
}

/// The verdict on one published version, given what buyers are shown of the product: `None`
/// when AWS Marketplace does not show the product to the caller at all.
pub fn judge(want: &Published, seen: Option<&[BuyerVersion]>) -> Verdict {
    let verdict = |status, actual: &str| Verdict {
        status,
        expected: want.words(),
        actual: actual.to_owned(),
    };
    let Some(seen) = seen else {
        return verdict(Status::Incorrect, "the product is not shown to buyers");
    };
    let Some(option) = seen.iter().find(|v| v.title == want.title) else {
        return verdict(Status::Incorrect, "not listed to buyers");
    };
    let diffs = differences(want, option);
    if diffs.is_empty() {
        verdict(Status::Correct, "as published")
    } else {
        verdict(Status::Incorrect, &diffs.join("; "))
    }
}

/// Each version's operating system as a DescribeEntity document of an `AmiProduct@1.0`
/// records it (`Versions[].Sources[].OperatingSystem`, the `OperatingSystemName` and
/// `OperatingSystemVersion` the version was added with), by version title.
pub fn catalog_os(product: &Value) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for v in product["Versions"].as_array().into_iter().flatten() {
        let os = &v["Sources"][0]["OperatingSystem"];
        if let (Some(title), Some(name)) = (v["VersionTitle"].as_str(), os["Name"].as_str()) {
            let version = os["Version"].as_str().unwrap_or("").to_owned();
            out.insert(title.to_owned(), (name.to_owned(), version));
        }
    }
    out
}

/// The titles buyers are shown that they should not be: versions the Catalog lists as
/// restricted (restricting a version hides it from new buyers,
/// <https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-versions.html>).
pub fn shown_though_restricted<'a>(
    restricted: impl IntoIterator<Item = &'a str>,
    seen: &[BuyerVersion],
) -> Vec<String> {
    restricted
        .into_iter()
        .filter(|t| seen.iter().any(|v| v.title == *t))
        .map(str::to_owned)
        .collect()
}

/// The release's final check in words, for its timeline: the verdict on its own version, or
/// why there is none yet.
pub fn final_check_words(want: &Published, seen: Option<&[BuyerVersion]>) -> String {
    if seen.is_none() {
        return "buyer's view: the product is not shown to this account yet (a Draft, or Limited without the account on its allowlist)".to_owned();
    }
    let v = judge(want, seen);
    match v.status {
        Status::Correct => format!("buyer's view: {} listed as published", want.title),
        _ => format!(
            "buyer's view Incorrect for {}: {} (expected {})",
            want.title, v.actual, v.expected
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want() -> Published {
        Published {
            title: "41.1".into(),
            ami_alias: ami_alias("prod-abc", "41.1"),
            os_name: "FEDORA".into(),
            os_version: "41".into(),
        }
    }

    fn option(title: &str, alias: &str, os: &str, version: &str) -> BuyerVersion {
        BuyerVersion {
            title: title.into(),
            ami_alias: Some(alias.into()),
            os: vec![BuyerOs {
                name: os.into(),
                version: Some(version.into()),
            }],
        }
    }

    #[test]
    fn the_alias_follows_the_documented_pattern() {
        assert_eq!(
            ami_alias("prod-abc", "41.1"),
            "/aws/service/marketplace/prod-abc/41.1"
        );
    }

    #[test]
    fn a_version_listed_as_published_is_correct() {
        let seen = [option(
            "41.1",
            "/aws/service/marketplace/prod-abc/41.1",
            "Fedora",
            "41",
        )];
        let v = judge(&want(), Some(&seen));
        assert_eq!(v.status, Status::Correct, "{v:?}");
        assert!(v.expected.contains("FEDORA 41"), "{v:?}");
    }

    #[test]
    fn each_difference_is_named() {
        let absent = judge(&want(), Some(&[]));
        assert_eq!(
            (absent.status, absent.actual.as_str()),
            (Status::Incorrect, "not listed to buyers")
        );
        let hidden = judge(&want(), None);
        assert_eq!(hidden.status, Status::Incorrect);
        assert!(hidden.actual.contains("not shown"), "{hidden:?}");
        let seen = [option(
            "41.1",
            "/aws/service/marketplace/prod-abc/41",
            "UBUNTU",
            "24.04",
        )];
        let wrong = judge(&want(), Some(&seen));
        assert_eq!(wrong.status, Status::Incorrect);
        assert_eq!(
            wrong.actual,
            "alias /aws/service/marketplace/prod-abc/41; OS UBUNTU 24.04"
        );
        let seen = [option("41.1", &want().ami_alias, "FEDORA", "40")];
        assert_eq!(judge(&want(), Some(&seen)).actual, "OS FEDORA 40");
    }

    #[test]
    fn older_versions_are_judged_by_the_os_the_catalog_recorded() {
        let doc = serde_json::json!({ "Versions": [
            { "VersionTitle": "40.1", "Sources": [{ "OperatingSystem": { "Name": "FEDORA", "Version": "40" } }] },
            { "VersionTitle": "41.1", "Sources": [{}] }
        ]});
        let os = catalog_os(&doc);
        assert_eq!(
            os.get("40.1"),
            Some(&("FEDORA".to_owned(), "40".to_owned()))
        );
        assert_eq!(os.get("41.1"), None);
    }

    #[test]
    fn restricted_versions_shown_to_buyers_are_found() {
        let seen = [
            option("41.0", "a", "FEDORA", "41"),
            option("41.1", "b", "FEDORA", "41"),
        ];
        assert_eq!(shown_though_restricted(["40.9", "41.0"], &seen), ["41.0"]);
    }

    #[test]
    fn the_final_check_names_the_version_and_what_differs() {
        let ok = [option("41.1", &want().ami_alias, "FEDORA", "41")];
        assert_eq!(
            final_check_words(&want(), Some(&ok)),
            "buyer's view: 41.1 listed as published"
        );
        let words = final_check_words(&want(), Some(&[]));
        assert!(
            words.starts_with("buyer's view Incorrect for 41.1: not listed to buyers"),
            "{words}"
        );
        assert!(final_check_words(&want(), None).contains("not shown"));
    }
}
