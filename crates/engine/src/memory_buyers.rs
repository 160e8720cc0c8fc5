//! The buyer's view in memory, for tests and for running the engine without AWS: products are
//! shown once something is listed for them, versions are listed and withdrawn by hand, and a
//! failure knob makes every look fail.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use amipub_domain::lifecycle::buyer::BuyerVersion;

use crate::ports::{Buyers, PortError, PortResult};

#[derive(Debug, Default)]
struct Inner {
    products: BTreeMap<String, Vec<BuyerVersion>>,
    failure: Option<PortError>,
    looks: u32,
}

/// The buyer's view in memory.
#[derive(Debug, Default)]
pub struct MemoryBuyers {
    inner: Mutex<Inner>,
}

impl MemoryBuyers {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shows the product (with no versions yet) to buyers.
    pub fn show(&self, product_id: &str) {
        self.lock()
            .products
            .entry(product_id.to_owned())
            .or_default();
    }

    /// Lists a version (replacing one of the same title) and shows the product.
    pub fn list(&self, product_id: &str, version: BuyerVersion) {
        let mut inner = self.lock();
        let listed = inner.products.entry(product_id.to_owned()).or_default();
        listed.retain(|v| v.title != version.title);
        listed.push(version);
    }

    /// Withdraws a version from the view.
    pub fn withdraw(&self, product_id: &str, title: &str) {
        if let Some(listed) = self.lock().products.get_mut(product_id) {
            listed.retain(|v| v.title != title);
        }
    }

    /// Makes every later look fail with `error` (`None`: looks succeed again).
    pub fn fail_with(&self, error: Option<PortError>) {
        self.lock().failure = error;
    }

    /// How many looks were made.
    pub fn looks(&self) -> u32 {
        self.lock().looks
    }
}

impl Buyers for MemoryBuyers {
    async fn versions(&self, product_id: &str) -> PortResult<Option<Vec<BuyerVersion>>> {
        let mut inner = self.lock();
        inner.looks += 1;
        if let Some(e) = &inner.failure {
            return Err(e.clone());
        }
        Ok(inner.products.get(product_id).cloned())
    }
}
