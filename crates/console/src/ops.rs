//! The console's port to the rest of amipub: the engine's clock and the few actions a person
//! may take from a page. `serve` implements it with the engine and the store; tests with fakes.
//! Reads go to the store directly (the same one every worker writes).

use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the port can be a trait object.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An action an operator may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Resume a failed release or job from its failed step.
    Retry {
        /// Release or job id (`j-…`).
        id: String,
    },
    /// Stop a release or job.
    Cancel {
        /// Release or job id.
        id: String,
    },
    /// Point an alias at a version's Marketplace AMIs in every Region (a `promote` job).
    Promote {
        /// The product's slug.
        product: String,
        /// The version title.
        version: String,
        /// The alias, as the spec names it.
        alias: String,
    },
    /// Record that the product's current listing content was approved.
    Approve {
        /// The product's slug.
        product: String,
        /// Where it was approved (a ticket URL or id).
        reference: String,
    },
}

impl Action {
    /// What the action is called on pages and in logs.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Retry { .. } => "retry",
            Action::Cancel { .. } => "cancel",
            Action::Promote { .. } => "promote",
            Action::Approve { .. } => "approve",
        }
    }
}

/// A product as its spec describes it, for the products page and `/api/v1/products`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProductInfo {
    /// The slug.
    pub slug: String,
    /// The listing's title.
    pub title: String,
    /// The Marketplace product id, once the listing exists.
    pub product_id: Option<String>,
    /// `catalog` or `second-party`.
    pub path: String,
    /// The recorded approval's reference, if any.
    pub approval: Option<String>,
    /// Whether that approval covers the spec's content as it is now.
    pub approval_current: bool,
    /// The alias names of `[ssm.aliases]`.
    pub aliases: Vec<String>,
}

/// What the console needs from the running service.
pub trait Operations: Send + Sync {
    /// The configured products, as their spec files say now.
    fn products(&self) -> Vec<ProductInfo>;
    /// The SSM parameter names a release writes in each of its Regions (none when its spec
    /// names none or is gone).
    fn parameters(&self, release: &amipub_domain::release::Release) -> Vec<String>;
    /// The engine's clock (epoch seconds): ages and waits are told against it.
    fn now(&self) -> Pending<'_, i64>;
    /// Takes an action for `by`; `Ok` says what was done, `Err` why nothing was.
    fn act<'a>(&'a self, action: Action, by: &'a str) -> Pending<'a, Result<String, String>>;
}
