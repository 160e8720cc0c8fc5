//! DescribeRegions: the Regions of the caller's partition, with opt-in status per account;
//! `AllRegions=true` adds the ones the account has not enabled.

use super::{Ctx, glob, response};
use crate::error::{AwsError, AwsResult};
use crate::protocol::query::Params;
use crate::world::{World, partition_of};

pub(super) fn describe_regions(world: &mut World, ctx: &Ctx, p: &Params) -> AwsResult<String> {
    let all = p.flag("AllRegions");
    let names = p.list("RegionName");
    let filters = p.filters();
    let partition = partition_of(&ctx.region);
    let mut rows = Vec::new();
    for r in amipub_domain::catalog_data::regions()
        .iter()
        .filter(|r| r.partition == partition)
    {
        let enabled = world.region_enabled(ctx.account(), &r.code);
        let status = match (r.opt_in, enabled) {
            (false, _) => "opt-in-not-required",
            (true, true) => "opted-in",
            (true, false) => "not-opted-in",
        };
        if !(all || enabled || names.contains(&r.code)) {
            continue;
        }
        if !names.is_empty() && !names.contains(&r.code) {
            continue;
        }
        let keep = filters.iter().all(|(name, values)| {
            values.iter().any(|v| match name.as_str() {
                "region-name" => glob(v, &r.code),
                "opt-in-status" => v == status,
                "endpoint" => glob(v, &format!("ec2.{}.amazonaws.com", r.code)),
                _ => false,
            })
        });
        if keep {
            rows.push((r.code.clone(), status));
        }
    }
    if let Some(n) = names.iter().find(|n| !rows.iter().any(|(c, _)| c == *n)) {
        return Err(AwsError::bad(
            "InvalidParameterValue",
            format!("Invalid region: {n}"),
        ));
    }
    Ok(response("DescribeRegions", ctx, |x| {
        x.open("regionInfo");
        for (code, status) in &rows {
            x.open("item")
                .leaf("regionName", code)
                .leaf("regionEndpoint", format!("ec2.{code}.amazonaws.com"))
                .leaf("optInStatus", *status)
                .close("item");
        }
        x.close("regionInfo");
    }))
}
