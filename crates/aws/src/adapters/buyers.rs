//! The buyer's view on the Marketplace Discovery API
//! (<https://docs.aws.amazon.com/marketplace/latest/developerguide/discovery-apis.html>):
//! `ListFulfillmentOptions` in the home Region, every page, its AMI options turned into
//! `BuyerVersion`s. `ResourceNotFoundException` means AWS Marketplace does not show the product
//! to this account (a Draft, a Restricted product, or Limited without the account on the
//! allowlist), which is an answer, not a failure.

use std::sync::Arc;

use amipub_domain::lifecycle::buyer::{BuyerOs, BuyerVersion};
use amipub_engine::ports::{Buyers, PortResult};
use aws_sdk_marketplacediscovery::types::{AmazonMachineImageFulfillmentOption, FulfillmentOption};

use super::Shared;

/// Options asked for per page: the most `ListFulfillmentOptions` returns
/// (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_ListFulfillmentOptions.html>).
const PAGE_SIZE: i32 = 50;
/// Pages read at most: a product lists a few hundred versions at the very most.
const MAX_PAGES: usize = 40;

/// The Discovery API, as the seller account.
#[derive(Debug, Clone)]
pub struct MarketplaceDiscovery {
    shared: Arc<Shared>,
}

impl MarketplaceDiscovery {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// One AMI fulfillment option as a version of the buyer's view.
fn version(o: &AmazonMachineImageFulfillmentOption) -> BuyerVersion {
    let title = o
        .fulfillment_option_version()
        .unwrap_or(o.fulfillment_option_name());
    BuyerVersion {
        title: title.to_owned(),
        ami_alias: o.ami_alias().map(str::to_owned),
        os: o
            .operating_systems()
            .iter()
            .map(|os| BuyerOs {
                name: os.operating_system_name().to_owned(),
                version: os.operating_system_version().map(str::to_owned),
            })
            .collect(),
    }
}

impl Buyers for MarketplaceDiscovery {
    async fn versions(&self, product_id: &str) -> PortResult<Option<Vec<BuyerVersion>>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let answer = self
                .shared
                .discovery()
                .await
                .list_fulfillment_options()
                .product_id(product_id)
                .max_results(PAGE_SIZE)
                .set_next_token(token.take())
                .send()
                .await;
            let page = match answer {
                Ok(page) => page,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    return Ok(None);
                }
                Err(e) => {
                    let err = self.shared.home_error("ListFulfillmentOptions", &e);
                    return Err(err.about(product_id));
                }
            };
            out.extend(page.fulfillment_options().iter().filter_map(|o| match o {
                FulfillmentOption::AmazonMachineImageFulfillmentOption(ami) => Some(version(ami)),
                _ => None,
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(Some(out))
    }
}
