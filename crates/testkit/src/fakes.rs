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
    cs.restricted_options()
}

/// `impl Ports` for a test's fake AWS that answers for images, grants, the Catalog and parameters
/// itself, and leaves the store, clones and buyers to its `store`, `clones` and `buyers` fields
/// (the memory fakes above).
#[macro_export]
macro_rules! ports_of_one_fake {
    ($fake:ty) => {
        impl ::amipub_engine::Ports for $fake {
            type Images = Self;
            type Grants = Self;
            type Catalog = Self;
            type Parameters = Self;
            type Store = $crate::fakes::MemoryStore;
            type Clones = $crate::fakes::MemoryClones;
            type Buyers = $crate::fakes::MemoryBuyers;
            fn images(&self) -> &Self {
                self
            }
            fn grants(&self) -> &Self {
                self
            }
            fn catalog(&self) -> &Self {
                self
            }
            fn parameters(&self) -> &Self {
                self
            }
            fn store(&self) -> &$crate::fakes::MemoryStore {
                &self.store
            }
            fn clones(&self) -> &$crate::fakes::MemoryClones {
                &self.clones
            }
            fn buyers(&self) -> &$crate::fakes::MemoryBuyers {
                &self.buyers
            }
        }
    };
}
