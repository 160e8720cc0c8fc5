//! The rules of AddDeliveryOptions (a new version), in three tables run in turn: the version
//! (title, release notes), its one AMI delivery option (login name, operating system, scanning
//! port, usage instructions, recommended instance type, security groups, access endpoint, and the
//! ingestion role Marketplace assumes, which must exist, trust `assets.marketplace.amazonaws.com`
//! and carry the ingestion policy), and the AMI itself (the seller's, in us-east-1, available,
//! HVM, EBS-backed, of a supported architecture, without product code, unencrypted, with ENA).
//! A version missing its one option, or naming no usable AMI, stops before the later tables, as
//! there is nothing for them to read. The option rules live in `option`, the image rules in
//! `image`, and the rules of UpdateDeliveryOptions, which reuse the option rules for the members
//! it changes, in `update`.
//!
//! Sources: adding and updating a version
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/developerguide/work-with-single-ami-products.html>),
//! giving Marketplace access to the AMI
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/single-ami-marketplace-ami-access.html>)
//! and the AMI requirements
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html>).

mod image;
mod option;
mod update;

use serde_json::Value;

use super::{Ctx, Errors, Projected, len};
use crate::world::ec2::Image;
use image::{
    ena, encryption, image_architecture, image_state, product_codes, root_device, seller_image,
    virtualization,
};
use option::{
    access_endpoint, ingestion_role, login_name, operating_system, recommended_instance_type,
    scanning_port, security_groups, usage_instructions,
};
pub(super) use update::update;

/// What the option and image rules see: the change, its product as it will be, and the
/// option's `AmiDeliveryOptionDetails`.
struct Version<'a> {
    ctx: &'a Ctx<'a>,
    p: &'a Projected,
    details: &'a Value,
}

impl Version<'_> {
    fn source(&self) -> &Value {
        &self.details["AmiSource"]
    }

    fn ami(&self) -> &str {
        self.source()["AmiId"].as_str().unwrap_or("")
    }
}

/// Rules of the version as a whole, before its delivery option is read.
const VERSION_RULES: &[fn(&Value, &Projected, &mut Errors)] = &[version_title, release_notes];

/// Rules of the one AMI delivery option.
const OPTION_RULES: &[fn(&Version, &mut Errors)] = &[
    login_name,
    operating_system,
    scanning_port,
    usage_instructions,
    recommended_instance_type,
    security_groups,
    access_endpoint,
    ingestion_role,
];

/// Rules of the seller's AMI, once found.
const IMAGE_RULES: &[fn(&Version, &Image, &mut Errors)] = &[
    image_state,
    virtualization,
    root_device,
    image_architecture,
    product_codes,
    encryption,
    ena,
];

/// Runs the three tables over an AddDeliveryOptions change.
pub(super) fn check(ctx: &Ctx, errs: &mut Errors) {
    let p = ctx.project();
    for rule in VERSION_RULES {
        rule(ctx.details(), &p, errs);
    }
    let Some(details) = only_option(ctx.details(), errs) else {
        return;
    };
    let v = Version {
        ctx,
        p: &p,
        details,
    };
    for rule in OPTION_RULES {
        rule(&v, errs);
    }
    let Some(image) = seller_image(&v, errs) else {
        return;
    };
    for rule in IMAGE_RULES {
        rule(&v, image, errs);
    }
}

fn version_title(d: &Value, p: &Projected, errs: &mut Errors) {
    let title = d["Version"]["VersionTitle"].as_str().unwrap_or("");
    if title.is_empty()
        || title.chars().count() > 64
        || title.starts_with(' ')
        || title.contains(" ™")
    {
        errs.push(
            "INVALID_VERSION_TITLE",
            "VersionTitle must be 1-64 characters, no leading space, no space before a trademark sign.",
        );
    }
    if p.titles.contains(title) {
        errs.push(
            "DUPLICATE_VERSION_TITLE",
            format!("Version title {title} already exists for this product."),
        );
    }
}

fn release_notes(d: &Value, _: &Projected, errs: &mut Errors) {
    release_notes_ok(&d["Version"]["ReleaseNotes"], errs);
}

/// Release notes: 1-30000 characters.
fn release_notes_ok(notes: &Value, errs: &mut Errors) {
    let notes = len(notes);
    if notes == 0 || notes > 30000 {
        errs.push(
            "INVALID_RELEASE_NOTES",
            "ReleaseNotes must be 1-30000 characters.",
        );
    }
}

/// The `AmiDeliveryOptionDetails` of the version's only delivery option (read from `Details` or
/// `DetailsDocument`); none, with an error, when there is not exactly one option.
fn only_option<'a>(d: &'a Value, errs: &mut Errors) -> Option<&'a Value> {
    let options = d["DeliveryOptions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let [o] = options else {
        errs.push("INVALID_INPUT", "Provide exactly one AMI delivery option.");
        return None;
    };
    Some(ami_details(o))
}

/// The `AmiDeliveryOptionDetails` of a delivery option, read from `Details` or (as one AWS
/// sample writes it) `DetailsDocument`.
fn ami_details(o: &Value) -> &Value {
    let inner = if o["Details"].is_object() {
        &o["Details"]
    } else {
        &o["DetailsDocument"]
    };
    &inner["AmiDeliveryOptionDetails"]
}
