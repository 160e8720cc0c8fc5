//! GetParametersByPath: the parameters one level below a path, or at every level below it with
//! `Recursive`, a page at a time.

use serde_json::{Value, json};

use super::read::render;
use super::{PUBLIC, page_start, str_field, validation};
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::world::World;
use crate::world::ssm::{Parameter, Version};

/// Most parameters per page (GetParametersByPath's `MaxResults` limit, also its default).
const MAX_PAGE: i64 = 10;

/// The levels of a path: `/a/b/` and `/a/b` → `[a, b]`; `/` → none.
fn path_levels(path: &str) -> Vec<&str> {
    path.split('/').filter(|l| !l.is_empty()).collect()
}

/// The levels above a parameter: `/a/b/p` → `[a, b]`; the root parameters `/p` and `p` → none.
fn parent_levels(name: &str) -> Vec<&str> {
    let mut levels: Vec<&str> = name.split('/').filter(|l| !l.is_empty()).collect();
    levels.pop();
    levels
}

/// Whether a parameter lies under a path: directly (one level below), or anywhere below it when
/// recursive. Path `/` holds the root parameters, which may be spelled with or without their
/// leading slash
/// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-hierarchies.html>).
fn under(path: &[&str], name: &str, recursive: bool) -> bool {
    let parent = parent_levels(name);
    if recursive {
        parent.starts_with(path)
    } else {
        parent == path
    }
}

/// GetParametersByPath
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html>).
/// Public parameters live under `/aws/`; the caller's own hierarchy, `/` included, does not hold
/// them.
pub fn by_path(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let path = str_field(body, "Path")?;
    if !path.starts_with('/') {
        return Err(validation("The path must begin with a forward slash."));
    }
    let recursive = body["Recursive"].as_bool().unwrap_or(false);
    let max = body["MaxResults"].as_i64().unwrap_or(MAX_PAGE);
    if !(1..=MAX_PAGE).contains(&max) {
        return Err(validation(format!(
            "MaxResults must be between 1 and {MAX_PAGE}."
        )));
    }
    let levels = path_levels(path);
    let public_too = levels.first() == Some(&"aws");
    let mut matches: Vec<(&Parameter, &Version)> = world
        .ssm
        .parameters
        .values()
        .filter(|p| p.region == ctx.region)
        .filter(|p| p.account == ctx.account() || (public_too && p.account == PUBLIC))
        .filter(|p| under(&levels, &p.name, recursive))
        .filter_map(|p| p.latest().map(|v| (p, v)))
        .collect();
    matches.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    let start = page_start(body)?;
    let end = (start + max as usize).min(matches.len());
    let page: Vec<Value> = matches[start.min(end)..end]
        .iter()
        .map(|(p, v)| render(p, v, ctx, &p.name, None))
        .collect();
    let mut out = json!({ "Parameters": page });
    if end < matches.len() {
        out["NextToken"] = Value::String(format!("sbx-{end}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_path_holds_root_parameters_either_spelling() {
        let root = path_levels("/");
        assert!(under(&root, "/p", false) && under(&root, "p", false));
        assert!(!under(&root, "/a/p", false) && under(&root, "/a/p", true));
        assert!(under(&path_levels("/a/"), "/a/p", false));
        assert!(!under(&path_levels("/a"), "/a", true));
        assert!(!under(&path_levels("/a"), "/ab/p", true));
    }
}
