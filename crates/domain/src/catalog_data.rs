//! Reference data kept as files in `crates/domain/data/`: the Marketplace Regions and the
//! category names. Kept as data so that a new Region or category is a one-line change.
//!
//! The files are embedded at build time and parsed once; a broken data file is a build-time
//! mistake caught by this module's tests, so parsing falls back to an empty list rather than
//! panicking at run time.

use std::sync::OnceLock;

use serde::Deserialize;

const REGIONS_TOML: &str = include_str!("../data/regions.toml");
const CATEGORIES_TXT: &str = include_str!("../data/categories.txt");

/// A Region where AWS Marketplace lists AMI products.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionInfo {
    /// The Region code, e.g. `eu-west-1`.
    pub code: String,
    /// The console name, e.g. `Europe (Ireland)`.
    pub name: String,
    /// `aws` or `aws-us-gov`.
    pub partition: String,
    /// Whether an account must enable the Region before using it.
    pub opt_in: bool,
    /// Whether the Metering Service answers `MeterUsage` there.
    pub metering: bool,
}

#[derive(Deserialize)]
struct RegionFile {
    region: Vec<RegionInfo>,
}

/// Every Marketplace Region in every partition, in the order of the data file.
pub fn regions() -> &'static [RegionInfo] {
    static REGIONS: OnceLock<Vec<RegionInfo>> = OnceLock::new();
    REGIONS.get_or_init(|| {
        toml::from_str::<RegionFile>(REGIONS_TOML)
            .map(|f| f.region)
            .unwrap_or_default()
    })
}

/// The Region with this code, if Marketplace lists products there.
pub fn region(code: &str) -> Option<&'static RegionInfo> {
    regions().iter().find(|r| r.code == code)
}

/// The partition of a Region code (`aws`, `aws-us-gov`, `aws-cn`), by its prefix, so that it
/// answers for Regions newer than the data file too.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    }
}

/// The commercial (`aws` partition) Marketplace Regions.
pub fn commercial_regions() -> impl Iterator<Item = &'static RegionInfo> {
    regions().iter().filter(|r| r.partition == "aws")
}

/// The GovCloud (`aws-us-gov` partition) Marketplace Regions.
pub fn govcloud_regions() -> impl Iterator<Item = &'static RegionInfo> {
    regions().iter().filter(|r| r.partition == "aws-us-gov")
}

/// The category names Marketplace accepts for AMI products.
pub fn categories() -> &'static [String] {
    static CATEGORIES: OnceLock<Vec<String>> = OnceLock::new();
    CATEGORIES.get_or_init(|| {
        CATEGORIES_TXT
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_file_parses_and_holds_both_partitions() {
        let file: RegionFile = toml::from_str(REGIONS_TOML).expect("regions.toml parses");
        assert_eq!(file.region.len(), regions().len());
        assert!(commercial_regions().count() >= 30);
        assert_eq!(govcloud_regions().count(), 2);
        assert!(region("us-east-1").is_some_and(|r| !r.opt_in && r.metering));
        assert!(region("cn-north-1").is_none());
    }

    #[test]
    fn region_codes_are_unique() {
        let mut codes: Vec<_> = regions().iter().map(|r| &r.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), regions().len());
    }

    #[test]
    fn categories_include_the_documented_examples() {
        for known in [
            "Operating Systems",
            "Network Infrastructure",
            "Application Development",
        ] {
            assert!(categories().iter().any(|c| c == known), "{known}");
        }
        assert!(!categories().iter().any(|c| c.starts_with('#')));
    }
}
