//! DescribeInstanceTypes: the instance types of a Region, filtered by generation and
//! architecture, a page at a time
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html>).
//! The catalog is a fixed sample of real types of both generations and architectures, plus what
//! the admin API added (`POST /_sandbox/instance-types`), so a test can make a new type appear.

use super::{Ctx, glob, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::World;
use crate::world::ec2::InstanceType;

/// Built-in types: (name, current generation, architectures).
pub const CATALOG: &[(&str, bool, &[&str])] = &[
    ("t2.micro", false, &["i386", "x86_64"]),
    ("t2.small", false, &["i386", "x86_64"]),
    ("m4.large", false, &["x86_64"]),
    ("c4.large", false, &["x86_64"]),
    ("r4.large", false, &["x86_64"]),
    ("a1.large", false, &["arm64"]),
    ("t3.micro", true, &["x86_64"]),
    ("t3.small", true, &["x86_64"]),
    ("t3.medium", true, &["x86_64"]),
    ("t3.large", true, &["x86_64"]),
    ("m5.large", true, &["x86_64"]),
    ("m5.xlarge", true, &["x86_64"]),
    ("c5.large", true, &["x86_64"]),
    ("c5.xlarge", true, &["x86_64"]),
    ("r5.large", true, &["x86_64"]),
    ("m6i.large", true, &["x86_64"]),
    ("c6i.large", true, &["x86_64"]),
    ("m7i.large", true, &["x86_64"]),
    ("t4g.micro", true, &["arm64"]),
    ("t4g.small", true, &["arm64"]),
    ("m6g.large", true, &["arm64"]),
    ("c7g.large", true, &["arm64"]),
    ("m7g.large", true, &["arm64"]),
    ("r7g.large", true, &["arm64"]),
];

/// Every type this world knows, by name.
fn all(world: &World) -> Vec<(String, InstanceType)> {
    let mut out: Vec<(String, InstanceType)> = CATALOG
        .iter()
        .map(|(name, current, arch)| {
            let t = InstanceType {
                current_generation: *current,
                architectures: arch.iter().map(|a| (*a).to_owned()).collect(),
            };
            ((*name).to_owned(), t)
        })
        .filter(|(n, _)| !world.ec2.instance_types.contains_key(n))
        .collect();
    out.extend(
        world
            .ec2
            .instance_types
            .iter()
            .map(|(n, t)| (n.clone(), t.clone())),
    );
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn keeps(filters: &[(String, Vec<String>)], name: &str, t: &InstanceType) -> AwsResult<bool> {
    for (f, values) in filters {
        let hit = match f.as_str() {
            "current-generation" => values
                .iter()
                .any(|v| v == &t.current_generation.to_string()),
            "processor-info.supported-architecture" => {
                values.iter().any(|v| t.architectures.contains(v))
            }
            "instance-type" => values.iter().any(|v| glob(v, name)),
            other => {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    format!("The filter '{other}' is invalid"),
                ));
            }
        };
        if !hit {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(super) fn describe(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let names = p.list("InstanceType");
    let filters = p.filters();
    let max = match p.get("MaxResults") {
        None => 100,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (5..=100).contains(&n) => n,
            _ => {
                return Err(AwsError::bad(
                    "InvalidParameterValue",
                    format!("MaxResults {m} must be between 5 and 100"),
                ));
            }
        },
    };
    let known = all(world);
    if let Some(n) = names.iter().find(|n| !known.iter().any(|(k, _)| k == *n)) {
        return Err(AwsError::bad(
            "InvalidInstanceType",
            format!("The following supplied instance types do not exist: [{n}]"),
        ));
    }
    let mut rows = Vec::new();
    for (name, t) in &known {
        if (names.is_empty() || names.contains(name)) && keeps(&filters, name, t)? {
            rows.push((name, t));
        }
    }
    let start = match p.get("NextToken") {
        None => 0,
        Some(tok) => tok
            .parse::<usize>()
            .ok()
            .filter(|s| *s <= rows.len())
            .ok_or_else(|| AwsError::bad("InvalidNextToken", "The token is not valid"))?,
    };
    let page: Vec<_> = rows.iter().skip(start).take(max).collect();
    let next = (start + page.len() < rows.len()).then(|| (start + page.len()).to_string());
    Ok(response("DescribeInstanceTypes", ctx, |x| {
        x.open("instanceTypeSet");
        for (name, t) in &page {
            x.open("item")
                .leaf("instanceType", name.as_str())
                .leaf("currentGeneration", t.current_generation.to_string());
            x.open("processorInfo").open("supportedArchitectures");
            for a in &t.architectures {
                x.leaf("item", a);
            }
            x.close("supportedArchitectures").close("processorInfo");
            x.close("item");
        }
        x.close("instanceTypeSet");
        if let Some(n) = &next {
            x.leaf("nextToken", n);
        }
    }))
}
