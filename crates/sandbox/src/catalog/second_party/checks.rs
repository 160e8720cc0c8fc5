//! What the Marketplace catalog team checks on each row of a load form before publishing it, as
//! a table of rules: the REQUIRED cells are filled; the product exists and the version title is
//! new for it; every Region's clone exists there, is available, and it and each of its EBS
//! snapshots are shared with both Marketplace accounts (the load form's instructions: launch
//! permission on the AMI, create-volume permission on its snapshots). Each problem names the row,
//! column, Region, resource and account, and says what to fix.

use super::workbook::{
    HOME_REGION, PRODUCT, PRODUCT_TITLE, RELEASE_NOTES, VERSION_TITLE, clone_header,
};
use crate::world::MARKETPLACE_SHARE_ACCOUNTS;
use crate::world::World;
use crate::world::catalog::Entity;
use crate::world::ec2::Image;
use crate::world::forms::{Form, FormRow};

/// What a rule sees.
pub struct Check<'a> {
    /// The world.
    pub world: &'a World,
    /// The form.
    pub form: &'a Form,
    /// The row under check.
    pub row: &'a FormRow,
    /// Virtual seconds now.
    pub now: f64,
    /// (product id, version title) already taken by accepted forms not yet published and by
    /// earlier rows of this form.
    pub pending: &'a [(String, String)],
}

type Rule = fn(&Check<'_>, &mut Vec<String>);

/// The rules, in the order their problems are reported.
const RULES: &[(&str, Rule)] = &[
    ("required cells are filled", required_cells),
    ("the product exists", product_exists),
    ("the version title is new", new_version_title),
    ("every clone is shared", clones_shared),
];

/// Every problem of one row.
pub fn row_problems(check: &Check<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    for (_, rule) in RULES {
        rule(check, &mut problems);
    }
    problems
}

/// The product id a `Product ID or ASIN or URL` cell names: a `prod-…` id, or a URL ending in one.
pub fn product_id(cell: &str) -> Option<&str> {
    let last = cell.trim().trim_end_matches('/').rsplit('/').next()?;
    let ok = last
        .strip_prefix("prod-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()));
    ok.then_some(last)
}

/// The AMI product a row names, if it exists.
pub fn product<'w>(world: &'w World, row: &FormRow) -> Option<&'w Entity> {
    let id = product_id(&row.product)?;
    world
        .catalog
        .entities
        .get(id)
        .filter(|e| e.kind == "AmiProduct")
}

fn at(check: &Check<'_>, header: &str) -> String {
    format!("row {}, {}", check.row.row, check.form.column(header))
}

fn required_cells(check: &Check<'_>, problems: &mut Vec<String>) {
    let r = check.row;
    let home = clone_header(HOME_REGION);
    let cells = [
        (PRODUCT, r.product.as_str()),
        (PRODUCT_TITLE, r.product_title.as_str()),
        (VERSION_TITLE, r.version_title.as_str()),
        (RELEASE_NOTES, r.release_notes.as_str()),
        (home.as_str(), r.clone_in(HOME_REGION).unwrap_or("")),
    ];
    for (header, value) in cells {
        if value.is_empty() {
            problems.push(format!(
                "{} is empty: fill it (REQUIRED)",
                at(check, header)
            ));
        }
    }
}

fn product_exists(check: &Check<'_>, problems: &mut Vec<String>) {
    let cell = check.row.product.as_str();
    if cell.is_empty() {
        return;
    }
    match product_id(cell) {
        None => problems.push(format!(
            "{}: \"{cell}\" names no product: give the product id (prod-…) or a URL ending in it",
            at(check, PRODUCT)
        )),
        Some(id) if product(check.world, check.row).is_none() => problems.push(format!(
            "{}: there is no AMI product {id}: check the product id of the listing to update",
            at(check, PRODUCT)
        )),
        Some(_) => {}
    }
}

fn new_version_title(check: &Check<'_>, problems: &mut Vec<String>) {
    let title = check.row.version_title.as_str();
    let Some(entity) = product(check.world, check.row) else {
        return;
    };
    if title.is_empty() {
        return;
    }
    let published = entity.doc["Versions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|v| v["VersionTitle"].as_str() == Some(title));
    let pending = check
        .pending
        .iter()
        .any(|(p, t)| *p == entity.id && t == title);
    if published || pending {
        let when = if published {
            "already has"
        } else {
            "is already getting"
        };
        problems.push(format!(
            "{}: product {} {when} a version \"{title}\": give the new version a title of its own",
            at(check, VERSION_TITLE),
            entity.id
        ));
    }
}

fn clones_shared(check: &Check<'_>, problems: &mut Vec<String>) {
    for (region, ami) in &check.row.clones {
        let here = at(check, &clone_header(region));
        if amipub_domain::catalog_data::region(region).is_none() {
            problems.push(format!(
                "{here}: the Marketplace does not publish in {region} through this queue: leave the cell empty"
            ));
            continue;
        }
        let image = check
            .world
            .ec2
            .images
            .get(ami)
            .filter(|i| i.region == *region && !i.deregistered);
        let Some(image) = image else {
            problems.push(format!(
                "{here}: AMI {ami} does not exist in {region}: give the id of the clone in {region}"
            ));
            continue;
        };
        let state = image.state(check.now);
        if state != "available" {
            problems.push(format!(
                "{here}: AMI {ami} in {region} is {state}: resubmit once it is available"
            ));
        }
        image_shared(check.world, &here, image, problems);
    }
}

fn image_shared(world: &World, here: &str, image: &Image, problems: &mut Vec<String>) {
    let (ami, region) = (&image.id, &image.region);
    for account in MARKETPLACE_SHARE_ACCOUNTS {
        if !image.public && !image.launch_users.contains(account) {
            problems.push(format!(
                "{here}: AMI {ami} in {region} is not shared with account {account}: add launch permission for {account} (ModifyImageAttribute) and resubmit"
            ));
        }
    }
    for snap in &image.snapshots {
        let Some(s) = world.ec2.snapshots.get(snap) else {
            problems.push(format!(
                "{here}: snapshot {snap} of AMI {ami} in {region} no longer exists: clone the AMI again and resubmit"
            ));
            continue;
        };
        for account in MARKETPLACE_SHARE_ACCOUNTS {
            if !s.public && !s.volume_users.contains(account) {
                problems.push(format!(
                    "{here}: snapshot {snap} of AMI {ami} in {region} is not shared with account {account}: add create-volume permission for {account} (ModifySnapshotAttribute) and resubmit"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::product_id;

    #[test]
    fn product_ids_come_bare_or_at_the_end_of_a_url() {
        assert_eq!(product_id("prod-abc123"), Some("prod-abc123"));
        assert_eq!(
            product_id(" https://aws.amazon.com/marketplace/management/products/prod-abc123/ "),
            Some("prod-abc123")
        );
        assert_eq!(product_id("B07XYZ1234"), None);
        assert_eq!(product_id("prod-"), None);
        assert_eq!(product_id("prod-a?b"), None);
    }
}
