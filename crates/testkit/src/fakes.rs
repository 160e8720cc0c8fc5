//! Fakes for the engine's ports: the in-memory store (`amipub_engine::memory`, re-exported) and
//! the pieces a fake AWS of a test builds its answers from. Each suite keeps its own fake world
//! (the ports are traits its own type implements); what any of them could share is here.

use amipub_domain::changeset::ChangeSet;
use amipub_domain::release::ImageFacts;

pub use amipub_engine::memory::*;
pub use amipub_engine::memory_buyers::MemoryBuyers;
pub use amipub_engine::memory_clones::MemoryClones;

/// An available x86_64 HVM image on EBS with ENA, unencrypted, without product codes, owned by
/// `owner`: what a build account's source AMI looks like.
pub fn image_facts(owner: &str) -> ImageFacts {
    ImageFacts {
        owner: owner.into(),
        state: "available".into(),
        architecture: "x86_64".into(),
        virtualization: "hvm".into(),
        root_device_type: "ebs".into(),
        ena_support: true,
        encrypted: false,
        product_codes: vec![],
    }
}

/// The delivery options a change set restricts (what a fake Catalog marks restricted once the
/// change set succeeds).
pub fn restricted_by(cs: &ChangeSet) -> Vec<String> {
    cs.changes
        .iter()
        .filter(|c| c.change_type == "RestrictDeliveryOptions")
        .flat_map(|c| {
            c.details_document["DeliveryOptionIds"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}
