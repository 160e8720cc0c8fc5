//! Clones in memory, for tests and for running the engine without AWS: a copy is available at
//! once (or after `pending_looks` looks), has one snapshot, and keeps the shares granted to it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;

use crate::ports::{Clones, CopyRequest, PortResult, Shares};

#[derive(Debug, Default)]
struct Clone {
    ami: String,
    looks_left: u32,
    launch: Vec<String>,
    snapshot: Vec<String>,
}

/// Clones in memory.
#[derive(Debug, Default)]
pub struct MemoryClones {
    clones: Mutex<BTreeMap<(Region, String), Clone>>,
    copies: Mutex<u32>,
    /// Looks during which a new copy stays pending.
    pub pending_looks: u32,
}

impl MemoryClones {
    /// How many copies were started.
    pub fn copies(&self) -> u32 {
        *self.copies.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clones for MemoryClones {
    async fn find(
        &self,
        region: &Region,
        release: &str,
    ) -> PortResult<Option<(String, ImageState)>> {
        let mut all = self.clones.lock().unwrap_or_else(|e| e.into_inner());
        Ok(all.get_mut(&(region.clone(), release.to_owned())).map(|c| {
            let state = if c.looks_left == 0 {
                ImageState::Available
            } else {
                ImageState::Pending
            };
            c.looks_left = c.looks_left.saturating_sub(1);
            (c.ami.clone(), state)
        }))
    }

    async fn copy(&self, region: &Region, req: &CopyRequest) -> PortResult<String> {
        let mut n = self.copies.lock().unwrap_or_else(|e| e.into_inner());
        *n += 1;
        let ami = format!("ami-{:017x}", *n);
        let clone = Clone {
            ami: ami.clone(),
            looks_left: self.pending_looks,
            ..Clone::default()
        };
        let key = (region.clone(), req.release.clone());
        self.clones
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, clone);
        Ok(ami)
    }

    async fn share(&self, _: &Region, ami: &str, accounts: &[String]) -> PortResult<Vec<String>> {
        let mut all = self.clones.lock().unwrap_or_else(|e| e.into_inner());
        for c in all.values_mut().filter(|c| c.ami == ami) {
            for a in accounts {
                for list in [&mut c.launch, &mut c.snapshot] {
                    if !list.contains(a) {
                        list.push(a.clone());
                    }
                }
            }
        }
        Ok(vec![format!("snap-of-{ami}")])
    }

    async fn shares(&self, _: &Region, ami: &str, _: &[String]) -> PortResult<Shares> {
        let all = self.clones.lock().unwrap_or_else(|e| e.into_inner());
        Ok(all
            .values()
            .find(|c| c.ami == ami)
            .map(|c| Shares {
                launch: c.launch.clone(),
                snapshots: [(format!("snap-of-{ami}"), c.snapshot.clone())].into(),
            })
            .unwrap_or_default())
    }
}
