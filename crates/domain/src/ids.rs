//! Validated identifier newtypes shared by every crate.
//!
//! Each type is built through `FromStr`, so a value of the type is known to be well formed. The
//! formats are the ones AWS documents: the Catalog API reference for change-set ids
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeChangeSet.html>), and
//! the DetailsDocument shapes AWS publishes for AMI ids, product ids and role ARNs
//! (<https://github.com/awslabs/aws-marketplace-catalog-api-shapes-for-python>); the checks are
//! deliberately local (no lookups), so they are cheap and pure.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier of some kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}: {expected}")]
pub struct IdError {
    /// The kind of identifier that was expected, e.g. "AMI id".
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The accepted form, written for a person.
    pub expected: &'static str,
}

/// The first `bytes` bytes of the SHA-256 of `parts` joined by NUL bytes, in hex: the root of
/// amipub's derived ids (release ids, idempotency tokens, ids of messages that carry none). The
/// separator keeps ("ab", "c") and ("a", "bc") apart.
pub fn digest_hex(parts: &[&[u8]], bytes: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\0");
        }
        h.update(part);
    }
    h.finalize()
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    s.chars().all(f)
}

fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

macro_rules! newtype {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError { kind: $kind, value: s.to_owned(), expected: $expected })
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

newtype!(
    /// A 12-digit AWS account id, e.g. `125523088429`.
    AccountId,
    "AWS account id",
    "exactly 12 digits, e.g. 123456789012",
    |s| s.len() == 12 && all(s, |c| c.is_ascii_digit())
);

newtype!(
    /// An EC2 image id: `ami-` followed by 8 or 17 letters or digits.
    AmiId,
    "AMI id",
    "ami- followed by 8 or 17 letters or digits, e.g. ami-0123456789abcdef0",
    |s| s
        .strip_prefix("ami-")
        .is_some_and(|r| (r.len() == 8 || r.len() == 17) && all(r, alnum))
);

newtype!(
    /// A Marketplace product entity id: `prod-` and 13 (or, for newer products, 25) letters or digits.
    ProductId,
    "product id",
    "prod- followed by 13 or 25 letters or digits, e.g. prod-abcdefghijklm",
    |s| s
        .strip_prefix("prod-")
        .is_some_and(|r| (r.len() == 13 || r.len() == 25) && all(r, alnum))
);

newtype!(
    /// A Marketplace offer entity id: `offer-` and 13 or more letters or digits.
    OfferId,
    "offer id",
    "offer- followed by 13 or more letters or digits",
    |s| s
        .strip_prefix("offer-")
        .is_some_and(|r| r.len() >= 13 && r.len() <= 64 && all(r, alnum))
);

newtype!(
    /// The product code Marketplace attaches to its AMIs (25 lower-case letters and digits).
    ProductCode,
    "product code",
    "1 to 64 lower-case letters and digits, as shown in the product's Description.ProductCode",
    |s| !s.is_empty() && s.len() <= 64 && all(s, |c| c.is_ascii_lowercase() || c.is_ascii_digit())
);

newtype!(
    /// An EC2 instance type such as `m5.large` (the Marketplace recommended-type form).
    InstanceType,
    "instance type",
    "family, generation and size such as m5.large or c7gn.16xlarge",
    is_instance_type
);

newtype!(
    /// A Marketplace change-set id.
    ChangeSetId,
    "change set id",
    "1 to 255 letters, digits, '_' or '-'",
    |s| !s.is_empty() && s.len() <= 255 && all(s, |c| alnum(c) || c == '_' || c == '-')
);

newtype!(
    /// An IAM role ARN, e.g. `arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion`.
    RoleArn,
    "IAM role ARN",
    "arn:<partition>:iam::<12-digit account>:role/<name>",
    is_role_arn
);

newtype!(
    /// A release's id: `r-` and 12 hex digits for releases amipub made (`release::build`), or
    /// any short id of letters, digits and `-`.
    ReleaseId,
    "release id",
    "1 to 64 letters, digits or '-', e.g. r-0133ca3f8bf2",
    |s| !s.is_empty() && s.len() <= 64 && all(s, |c| alnum(c) || c == '-')
);

impl ReleaseId {
    /// An id already known to be one (made by `release::build`, or stored).
    pub fn known(id: &str) -> Self {
        Self(id.to_owned())
    }
}

impl std::ops::Deref for ReleaseId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for ReleaseId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for ReleaseId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ReleaseId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

newtype!(
    /// An AWS Region code such as `us-east-1` or `us-gov-west-1`
    /// (<https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>).
    Region,
    "Region code",
    "lower-case letters and digits in two to four parts separated by '-', e.g. us-east-1",
    is_region
);

/// `us-east-1`, `ap-southeast-7`, `us-gov-west-1`: parts of lower-case letters, the last digits.
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    (3..=4).contains(&parts.len())
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| all(p, |c| c.is_ascii_lowercase()))
        && parts.last().is_some_and(|p| all(p, |c| c.is_ascii_digit()))
}

impl Region {
    /// A Region code already known to be one (from amipub's own Region table, a validated spec
    /// or a stored release); use `parse` for input from outside.
    pub fn known(code: &str) -> Self {
        Self(code.to_owned())
    }
}

impl std::ops::Deref for Region {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Region {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Region {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Region {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl From<&str> for Region {
    fn from(code: &str) -> Self {
        Self::known(code)
    }
}

/// `^[a-z]+[0-9]+[a-z]*\.[0-9]*[a-z]+$`, the RecommendedInstanceType pattern of AddDeliveryOptions
/// (<https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>),
/// with hyphens allowed in the attribute part for the few families that carry them (`u-6tb1`).
fn is_instance_type(s: &str) -> bool {
    let Some((family, size)) = s.split_once('.') else {
        return false;
    };
    let class_len = family
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .count();
    let rest = &family[class_len..];
    let gen_len = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    let attrs = &rest[gen_len..];
    let size_digits = size.chars().take_while(|c| c.is_ascii_digit()).count();
    let size_word = &size[size_digits..];
    s.len() <= 24
        && class_len > 0
        && gen_len > 0
        && all(attrs, |c| c.is_ascii_lowercase() || c == '-')
        && !size_word.is_empty()
        && all(size_word, |c| c.is_ascii_lowercase())
}

fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return false;
    };
    let name = resource.strip_prefix("role/").unwrap_or("");
    *arn == "arn"
        && matches!(*partition, "aws" | "aws-us-gov" | "aws-cn")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && all(account, |c| c.is_ascii_digit())
        && !name.is_empty()
        && name.len() <= 512
        && all(name, |c| alnum(c) || "+=,.@-_/".contains(c))
}

impl InstanceType {
    /// Whether this type runs on AWS Graviton (arm64): a `g` among the attribute letters after the
    /// generation (`m6g`, `c7gn`, `t4g`), or the first-generation `a1` family.
    pub fn is_arm64(&self) -> bool {
        let family = self.0.split('.').next().unwrap_or_default();
        let class: String = family
            .chars()
            .take_while(|c| c.is_ascii_lowercase())
            .collect();
        let attrs: String = family[class.len()..]
            .chars()
            .skip_while(|c| c.is_ascii_digit())
            .collect();
        class == "a" || attrs.contains('g')
    }
}

impl RoleArn {
    /// The account that owns the role.
    pub fn account(&self) -> &str {
        self.0.split(':').nth(4).unwrap_or_default()
    }

    /// The partition named in the ARN (`aws`, `aws-us-gov`, `aws-cn`).
    pub fn partition(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn release_ids_read_as_text_and_refuse_what_no_release_has() {
        let id: ReleaseId = "r-0133ca3f8bf2".parse().unwrap();
        assert_eq!(id, "r-0133ca3f8bf2");
        assert_eq!(&*id, "r-0133ca3f8bf2");
        assert!("".parse::<ReleaseId>().is_err());
        assert!("r 1".parse::<ReleaseId>().is_err());
        assert!(serde_json::from_str::<ReleaseId>("\"r/../x\"").is_err());
    }

    #[test]
    fn region_codes_are_checked_where_they_come_in() {
        for ok in [
            "us-east-1",
            "ap-southeast-7",
            "us-gov-west-1",
            "il-central-1",
        ] {
            let r: Region = ok.parse().unwrap();
            assert_eq!(r, ok);
            assert_eq!(r.to_string(), ok);
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "us-east-1a",
            "-east-1",
            "us--1",
        ] {
            let e = bad.parse::<Region>().unwrap_err();
            assert_eq!(e.kind, "Region code", "{bad}");
        }
        let stored: Region = serde_json::from_str("\"eu-west-3\"").unwrap();
        assert_eq!(stored, Region::known("eu-west-3"));
        assert!(serde_json::from_str::<Region>("\"mars-1\"").is_err());
        let found: std::collections::BTreeMap<Region, String> =
            [(Region::known("eu-west-3"), "ami-1".to_owned())].into();
        assert_eq!(found.get("eu-west-3").map(String::as_str), Some("ami-1"));
    }

    use super::*;

    #[test]
    fn accepts_documented_forms() {
        assert!("ami-0123456789abcdef0".parse::<AmiId>().is_ok());
        assert!("ami-12345678".parse::<AmiId>().is_ok());
        assert!("prod-abcdefghijklm".parse::<ProductId>().is_ok());
        assert!("123456789012".parse::<AccountId>().is_ok());
        assert!("m5.large".parse::<InstanceType>().is_ok());
        assert!("c7gn.16xlarge".parse::<InstanceType>().is_ok());
        assert!(
            "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion"
                .parse::<RoleArn>()
                .is_ok()
        );
    }

    #[test]
    fn rejects_near_misses_with_the_expected_form() {
        let err = "ami-0123".parse::<AmiId>().unwrap_err();
        assert_eq!(err.kind, "AMI id");
        assert!(err.to_string().contains("ami- followed by 8 or 17"));
        assert!("prod-short".parse::<ProductId>().is_err());
        assert!("12345678901".parse::<AccountId>().is_err());
        assert!("12345678901a".parse::<AccountId>().is_err());
        assert!("M5.large".parse::<InstanceType>().is_err());
        assert!("m5large".parse::<InstanceType>().is_err());
        assert!(
            "arn:aws:iam::111122223333:user/bob"
                .parse::<RoleArn>()
                .is_err()
        );
        assert!(
            "arn:aws:iam:us-east-1:111122223333:role/x"
                .parse::<RoleArn>()
                .is_err()
        );
    }

    #[test]
    fn tells_graviton_types_apart() {
        for arm in [
            "m6g.large",
            "t4g.micro",
            "c7gn.xlarge",
            "a1.medium",
            "m7gd.large",
        ] {
            assert!(arm.parse::<InstanceType>().unwrap().is_arm64(), "{arm}");
        }
        for x86 in [
            "m5.large",
            "g4dn.xlarge",
            "t3.micro",
            "c6i.large",
            "m7a.large",
        ] {
            assert!(!x86.parse::<InstanceType>().unwrap().is_arm64(), "{x86}");
        }
    }

    #[test]
    fn role_arn_exposes_account_and_partition() {
        let arn: RoleArn = "arn:aws-us-gov:iam::111122223333:role/x".parse().unwrap();
        assert_eq!(arn.account(), "111122223333");
        assert_eq!(arn.partition(), "aws-us-gov");
    }
}
