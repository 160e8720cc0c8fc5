//! EC2 instance type names as AWS Marketplace judges them in AddInstanceTypes,
//! RestrictInstanceTypes and a version's RecommendedInstanceType: whether a name has the shape
//! of an instance type, and which processor architecture it runs.
//!
//! The sandbox reads names itself, from the naming scheme EC2 publishes
//! (<https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html>), rather than
//! through amipub's own identifier types, so a mistake there cannot hide behind the same mistake
//! here.

/// Longest name accepted, in bytes.
const MAX_LEN: usize = 24;

/// The parts of a name before the period: the series letters (`m`, `inf`, `hpc`), the
/// generation digits and the letters that follow them (processor family and capabilities).
struct Family<'a> {
    series: &'a str,
    after_generation: &'a str,
    has_generation: bool,
}

fn family(name: &str) -> Option<(Family<'_>, &str)> {
    let (family, size) = name.split_once('.')?;
    let after_series = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
    let after_generation = after_series.trim_start_matches(|c: char| c.is_ascii_digit());
    let parts = Family {
        series: &family[..family.len() - after_series.len()],
        after_generation,
        has_generation: after_generation.len() < after_series.len(),
    };
    Some((parts, size))
}

/// Whether `name` reads as `family.size`: lower-case series letters, a generation number,
/// optional lower-case capability letters (hyphens allowed, as in `m7i-flex`), a period, then a
/// size that is an optional multiplier followed by a lower-case word (`large`, `16xlarge`,
/// `metal`).
pub(super) fn is_instance_type(name: &str) -> bool {
    let Some((parts, size)) = family(name) else {
        return false;
    };
    let size_word = size.trim_start_matches(|c: char| c.is_ascii_digit());
    name.len() <= MAX_LEN
        && !parts.series.is_empty()
        && parts.has_generation
        && parts
            .after_generation
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-')
        && !size_word.is_empty()
        && size_word.chars().all(|c| c.is_ascii_lowercase())
}

/// The architecture an instance type runs (`arm64` or `x86_64`), or `None` when `name` is not an
/// instance type. The naming page marks AWS Graviton families with the processor letter `g` after
/// the generation (`m6g`, `c7gn`, `t4g`); the first Arm family, `a1`, predates that letter.
pub(super) fn architecture(name: &str) -> Option<&'static str> {
    if !is_instance_type(name) {
        return None;
    }
    let (parts, _) = family(name)?;
    let graviton = parts.series == "a" || parts.after_generation.contains('g');
    Some(if graviton { "arm64" } else { "x86_64" })
}

#[cfg(test)]
mod tests {
    use super::{architecture, is_instance_type};

    #[test]
    fn accepts_the_family_dot_size_shape() {
        for name in [
            "m5.large",
            "c7gn.16xlarge",
            "t3.micro",
            "m7i-flex.large",
            "inf2.xlarge",
            "hpc7g.4xlarge",
            "c6in.metal",
            "x2iedn.32xlarge",
        ] {
            assert!(is_instance_type(name), "{name}");
        }
    }

    #[test]
    fn refuses_what_is_not_that_shape() {
        for name in [
            "",
            "m5",
            "m5large",
            "M5.large",
            "m.large",
            "5.large",
            "m5.",
            "m5.16",
            "m5.Large",
            "m5.large.x",
            "m5_d.large",
            "abcdefghijklmnop1.2xlarge",
            "é5.large",
        ] {
            assert!(!is_instance_type(name), "{name}");
        }
    }

    #[test]
    fn tells_graviton_families_from_the_others() {
        for arm in [
            "m6g.large",
            "t4g.micro",
            "c7gn.xlarge",
            "a1.medium",
            "m7gd.large",
        ] {
            assert_eq!(architecture(arm), Some("arm64"), "{arm}");
        }
        for x86 in [
            "m5.large",
            "g4dn.xlarge",
            "t3.micro",
            "c6i.large",
            "m7a.large",
        ] {
            assert_eq!(architecture(x86), Some("x86_64"), "{x86}");
        }
        assert_eq!(architecture("m6g"), None);
    }
}
