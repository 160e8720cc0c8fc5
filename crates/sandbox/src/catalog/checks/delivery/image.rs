//! The rules of the seller's AMI behind a new version: the seller's own, in us-east-1, not
//! deregistered, available, HVM, EBS-backed, of a supported architecture matching the product's
//! instance types, without product code, unencrypted, with ENA. Sources: the AMI requirements
//! (<https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html>) and
//! the AddDeliveryOptions errors of "Work with AMI products"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-single-ami-products.html>).

use super::super::Errors;
use super::super::instance_type::architecture;
use super::Version;
use crate::world::ec2::Image;

/// The AMI the option names, when its id is well formed and it is the seller's, in us-east-1
/// and not deregistered; none, with the error that says why, otherwise.
pub(super) fn seller_image<'a>(v: &Version<'a>, errs: &mut Errors) -> Option<&'a Image> {
    let ami = v.ami();
    let ok_id = ami.strip_prefix("ami-").is_some_and(|r| {
        (r.len() == 8 || r.len() == 17) && r.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !ok_id {
        errs.push("INVALID_AMI_ID", format!("'{ami}' is not an AMI id."));
        return None;
    }
    let account = &v.ctx.cs.account;
    let image = v
        .ctx
        .world
        .ec2
        .images
        .get(ami)
        .filter(|i| i.region == "us-east-1" && i.owner == *account && !i.deregistered);
    if image.is_none() {
        errs.push(
            "ASSET_NOT_FOUND",
            format!(
                "{ami} was not found in us-east-1 of account {account}; the AMI must be in us-east-1 and owned by the seller."
            ),
        );
    }
    image
}

pub(super) fn image_state(v: &Version, image: &Image, errs: &mut Errors) {
    let state = image.state(v.ctx.world.clock.elapsed());
    if state != "available" {
        errs.push(
            "ASSET_NOT_FOUND",
            format!("{} is {state}, not available.", v.ami()),
        );
    }
}

pub(super) fn virtualization(v: &Version, image: &Image, errs: &mut Errors) {
    if image.virtualization != "hvm" {
        errs.push(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{} uses {} virtualization; only hvm is supported.",
                v.ami(),
                image.virtualization
            ),
        );
    }
}

pub(super) fn root_device(v: &Version, image: &Image, errs: &mut Errors) {
    if image.root_device_type != "ebs" {
        errs.push(
            "INVALID_AMI_VIRTUALIZATION_TYPE",
            format!(
                "{} has an unexpected root volume type {}; only EBS-backed AMIs are supported.",
                v.ami(),
                image.root_device_type
            ),
        );
    }
}

/// The AMI's architecture must be one Marketplace supports and that of every instance type of
/// the product.
pub(super) fn image_architecture(v: &Version, image: &Image, errs: &mut Errors) {
    let arch = image.architecture.as_str();
    if !matches!(arch, "x86_64" | "arm64") {
        errs.push(
            "INVALID_AMI_ARCHITECTURE",
            format!(
                "{} is {arch}; only x86_64 and arm64 are supported.",
                v.ami()
            ),
        );
    } else if v
        .p
        .instance_types
        .iter()
        .any(|t| architecture(t).is_some_and(|a| a != arch))
    {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} is {arch} but some instance types of the product run another architecture.",
                v.ami()
            ),
        );
    }
}

pub(super) fn product_codes(v: &Version, image: &Image, errs: &mut Errors) {
    if !image.product_codes.is_empty() {
        errs.push(
            "EXISTING_AMI_PRODUCT_CODE",
            format!("{} already carries a product code.", v.ami()),
        );
    }
}

pub(super) fn encryption(v: &Version, image: &Image, errs: &mut Errors) {
    let snapshots = &v.ctx.world.ec2.snapshots;
    if image
        .snapshots
        .iter()
        .any(|s| snapshots.get(s).is_some_and(|s| s.encrypted))
    {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} has encrypted snapshots; AWS Marketplace needs unencrypted ones.",
                v.ami()
            ),
        );
    }
}

pub(super) fn ena(v: &Version, image: &Image, errs: &mut Errors) {
    if !image.ena_support {
        errs.push(
            "INCOMPATIBLE_AMI",
            format!(
                "{} lacks ENA support, which the product's instance types require.",
                v.ami()
            ),
        );
    }
}
