//! The engine's ports on the AWS SDK: `images` (EC2 in the seller account), `grants` (the
//! ingestion role in IAM), `catalog` (Marketplace Catalog, and EC2 for the Regional Marketplace
//! AMIs; `assessments` reads its security scans), `parameters` (SSM), `buyers` (the Marketplace
//! Discovery API: the buyer's view). One `AwsPorts` holds them for one seller account, with the
//! account's rate limits and lazily built clients per Region. `events` (SQS) reads the queue of
//! change-set events on its own client, and `queue` sets that queue up for `amipub init`.

pub mod assessments;
pub mod buyers;
pub mod catalog;
pub mod clones;
mod entity_tags;
pub mod events;
pub mod fleet;
pub mod grants;
pub mod identity;
pub mod images;
pub mod instance_types;
pub mod parameters;
pub mod queue;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use amipub_domain::catalog_data::partition_of;
use amipub_domain::release::FailureKind;
use amipub_engine::lifecycle_ports::{Jobs, LifecyclePorts};
use amipub_engine::ports::{Forms, PortError, Ports, Store};
use aws_config::{Region, SdkConfig};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::config::Target;
use crate::failure::{Kind, kind_of};
use crate::limits::{Class, Limiter};
use crate::observe::Observe;

/// Regions at most looked at concurrently by one call (bounded fan-out).
pub const FAN_OUT: usize = 8;

/// The seller account amipub publishes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// Account id.
    pub account: String,
    /// Region of the Catalog API and of mirrored AMIs (`us-east-1`).
    pub home_region: String,
    /// The ingestion role's ARN.
    pub ingestion_role: String,
    /// The operator's tags (`[tags]`), put on the change sets it starts.
    pub tags: BTreeMap<String, String>,
}

/// Clients per Region, built on first use from one base configuration (one credential chain);
/// the global ones (IAM, the Catalog in the home Region) once.
#[derive(Debug)]
pub struct Regional {
    base: SdkConfig,
    /// Where the credentials come from, in words (for errors about them).
    credentials: String,
    ec2: Mutex<BTreeMap<String, aws_sdk_ec2::Client>>,
    ssm: Mutex<BTreeMap<String, aws_sdk_ssm::Client>>,
    iam: aws_sdk_iam::Client,
    catalog: aws_sdk_marketplacecatalog::Client,
    discovery: aws_sdk_marketplacediscovery::Client,
}

impl Regional {
    /// Clients sharing `base`'s credentials (described by `credentials`), retries and endpoint.
    pub fn new(base: SdkConfig, credentials: String) -> Self {
        Self {
            credentials,
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&base)
                    .interceptor(Observe)
                    .build(),
            ),
            catalog: aws_sdk_marketplacecatalog::Client::from_conf(
                aws_sdk_marketplacecatalog::config::Builder::from(&base)
                    .interceptor(Observe)
                    .build(),
            ),
            discovery: aws_sdk_marketplacediscovery::Client::from_conf(
                aws_sdk_marketplacediscovery::config::Builder::from(&base)
                    .interceptor(Observe)
                    .build(),
            ),
            base,
            ec2: Mutex::default(),
            ssm: Mutex::default(),
        }
    }

    /// EC2 in `region`.
    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let mut m = self.ec2.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(region.to_owned())
            .or_insert_with(|| {
                aws_sdk_ec2::Client::from_conf(
                    aws_sdk_ec2::config::Builder::from(&self.base)
                        .region(Region::new(region.to_owned()))
                        .interceptor(Observe)
                        .build(),
                )
            })
            .clone()
    }

    /// SSM in `region`.
    pub fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        let mut m = self.ssm.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(region.to_owned())
            .or_insert_with(|| {
                aws_sdk_ssm::Client::from_conf(
                    aws_sdk_ssm::config::Builder::from(&self.base)
                        .region(Region::new(region.to_owned()))
                        .interceptor(Observe)
                        .build(),
                )
            })
            .clone()
    }

    /// Where the credentials come from, in words.
    pub fn credentials(&self) -> &str {
        &self.credentials
    }

    /// The Region the clients were configured for first.
    pub fn home(&self) -> &str {
        self.base.region().map_or("us-east-1", |r| r.as_ref())
    }

    /// STS in `region`.
    pub fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.base)
                .region(Region::new(region.to_owned()))
                .interceptor(Observe)
                .build(),
        )
    }

    /// IAM (global).
    pub fn iam(&self) -> &aws_sdk_iam::Client {
        &self.iam
    }

    /// The Marketplace Catalog (home Region).
    pub fn catalog(&self) -> &aws_sdk_marketplacecatalog::Client {
        &self.catalog
    }

    /// The Marketplace Discovery API (home Region).
    pub fn discovery(&self) -> &aws_sdk_marketplacediscovery::Client {
        &self.discovery
    }
}

/// What the adapters share: clients, limits, the seller.
#[derive(Debug)]
pub struct Shared {
    /// Clients of the seller's (commercial) partition.
    pub clients: Regional,
    /// Clients of the other partitions amipub has credentials for (`aws-us-gov`, …), each with
    /// that partition's own credentials: an identity of one partition is unknown in another.
    pub others: BTreeMap<String, Regional>,
    /// Rate limits.
    pub limits: Limiter,
    /// The seller.
    pub seller: Seller,
}

impl Shared {
    /// The seller's home Region (the Catalog's, and where mirrors live).
    pub fn home(&self) -> &str {
        &self.seller.home_region
    }

    /// The clients for `region`'s partition.
    pub fn partition(&self, region: &str) -> Result<&Regional, PortError> {
        match partition_of(region) {
            "aws" => Ok(&self.clients),
            other => self.others.get(other).ok_or_else(|| {
                PortError::new(
                    FailureKind::InvalidCredentials,
                    format!(
                        "no credentials for the {other} partition, which {region} belongs to: add [partitions.{other}] to amipub.toml (or drop the Region from the product)"
                    ),
                )
            }),
        }
    }

    /// An SDK error of `call` in `region` as a port error; refused credentials are named by
    /// where they came from, so the operator knows which to fix.
    pub fn error<E: ProvideErrorMetadata, R>(
        &self,
        region: &str,
        call: &str,
        err: &SdkError<E, R>,
    ) -> PortError {
        let mut e = port_error(call, err).at(call, region);
        if e.kind == FailureKind::InvalidCredentials {
            let partition = partition_of(region);
            let source = match self.partition(region) {
                Ok(c) => c.credentials(),
                Err(_) => "no credentials",
            };
            e.detail = format!(
                "{} — the credentials are not valid in the {partition} partition at this endpoint (they came from {source})",
                e.detail
            );
        }
        e
    }

    /// `error` for a call in the home Region (the Catalog, IAM, mirrors).
    pub fn home_error<E: ProvideErrorMetadata, R>(
        &self,
        call: &str,
        err: &SdkError<E, R>,
    ) -> PortError {
        self.error(self.home(), call, err)
    }

    /// EC2 in `region` (with its partition's credentials), once a token of `class` is taken.
    pub async fn ec2(&self, region: &str, class: Class) -> Result<aws_sdk_ec2::Client, PortError> {
        let clients = self.partition(region)?;
        self.limits.acquire(region, class).await;
        Ok(clients.ec2(region))
    }

    /// SSM in `region` (with its partition's credentials), once a token of `class` is taken.
    pub async fn ssm(&self, region: &str, class: Class) -> Result<aws_sdk_ssm::Client, PortError> {
        let clients = self.partition(region)?;
        self.limits.acquire(region, class).await;
        Ok(clients.ssm(region))
    }

    /// The Catalog, once a token of `class` is taken.
    pub async fn catalog(&self, class: Class) -> &aws_sdk_marketplacecatalog::Client {
        self.limits.acquire(self.home(), class).await;
        self.clients.catalog()
    }

    /// The Discovery API, once a token is taken.
    pub async fn discovery(&self) -> &aws_sdk_marketplacediscovery::Client {
        self.limits.acquire(self.home(), Class::Discovery).await;
        self.clients.discovery()
    }

    /// IAM, once a token is taken.
    pub async fn iam(&self) -> &aws_sdk_iam::Client {
        self.limits.acquire("global", Class::Iam).await;
        self.clients.iam()
    }
}

/// The engine's ports on AWS, for one seller account, with a store.
pub struct AwsPorts<S: Store> {
    images: images::Ec2Images,
    clones: clones::Ec2Clones,
    grants: grants::IamGrants,
    catalog: catalog::MarketplaceCatalog,
    parameters: parameters::SsmParameters,
    buyers: buyers::MarketplaceDiscovery,
    fleet: fleet::Fleet,
    identity: identity::Identity,
    instance_types: instance_types::Ec2InstanceTypes,
    store: S,
}

impl<S: Store> AwsPorts<S> {
    /// Ports acting as `seller` through `target`.
    pub async fn connect(target: &Target, seller: Seller, store: S) -> Self {
        Self::connect_partitions(target, seller, store, &[]).await
    }

    /// Ports acting as `seller` through `target`, and in each other partition of `others`
    /// (name, home Region, target) with that partition's credentials.
    pub async fn connect_partitions(
        target: &Target,
        seller: Seller,
        store: S,
        others: &[(String, String, Target)],
    ) -> Self {
        let shared = Arc::new(shared(target, seller, others).await);
        Self {
            images: images::Ec2Images::new(shared.clone()),
            clones: clones::Ec2Clones::new(shared.clone()),
            grants: grants::IamGrants::new(shared.clone()),
            catalog: catalog::MarketplaceCatalog::new(shared.clone()),
            parameters: parameters::SsmParameters::new(shared.clone()),
            buyers: buyers::MarketplaceDiscovery::new(shared.clone()),
            fleet: fleet::Fleet::new(shared.clone()),
            identity: identity::Identity::new(shared.clone()),
            instance_types: instance_types::Ec2InstanceTypes::new(shared.clone()),
            store,
        }
    }
}

/// The clients, limits and seller the adapters share.
async fn shared(target: &Target, seller: Seller, others: &[(String, String, Target)]) -> Shared {
    let base = target.sdk_config(&seller.home_region).await;
    let mut parts = BTreeMap::new();
    for (name, home, t) in others {
        parts.insert(
            name.clone(),
            Regional::new(t.sdk_config(home).await, t.describe()),
        );
    }
    Shared {
        clients: Regional::new(base, target.describe()),
        others: parts,
        limits: Limiter::new(target.speed.unwrap_or(1.0)),
        seller,
    }
}

impl<S: Store> AwsPorts<S> {
    /// The lifecycle operations on the same clients and limits.
    pub fn fleet(&self) -> &fleet::Fleet {
        &self.fleet
    }

    /// Who amipub is in each partition.
    pub fn identity(&self) -> &identity::Identity {
        &self.identity
    }
}

impl<S: Store + Forms> Ports for AwsPorts<S> {
    type Images = images::Ec2Images;
    type Clones = clones::Ec2Clones;
    type Buyers = buyers::MarketplaceDiscovery;
    type Grants = grants::IamGrants;
    type Catalog = catalog::MarketplaceCatalog;
    type Parameters = parameters::SsmParameters;
    type Store = S;
    fn images(&self) -> &Self::Images {
        &self.images
    }
    fn grants(&self) -> &Self::Grants {
        &self.grants
    }
    fn catalog(&self) -> &Self::Catalog {
        &self.catalog
    }
    fn parameters(&self) -> &Self::Parameters {
        &self.parameters
    }
    fn store(&self) -> &Self::Store {
        &self.store
    }
    fn clones(&self) -> &Self::Clones {
        &self.clones
    }
    fn buyers(&self) -> &Self::Buyers {
        &self.buyers
    }
}

impl<S: Store + Forms + Jobs> LifecyclePorts for AwsPorts<S> {
    type Listings = catalog::MarketplaceCatalog;
    type Mirrors = fleet::Fleet;
    type Jobs = S;
    type InstanceTypes = instance_types::Ec2InstanceTypes;
    fn instance_types(&self) -> &Self::InstanceTypes {
        &self.instance_types
    }
    fn listings(&self) -> &Self::Listings {
        &self.catalog
    }
    fn mirrors(&self) -> &Self::Mirrors {
        &self.fleet
    }
    fn jobs(&self) -> &Self::Jobs {
        &self.store
    }
}

/// The failure kind the engine acts on for an SDK error kind.
pub fn failure_kind(kind: Kind) -> FailureKind {
    match kind {
        Kind::Throttled => FailureKind::Throttled,
        Kind::AccessDenied => FailureKind::AccessDenied,
        Kind::InvalidCredentials => FailureKind::InvalidCredentials,
        Kind::InvalidInput | Kind::NotFound => FailureKind::InvalidInput,
        // A busy resource clears like a server-side hiccup: look again later.
        Kind::Conflict | Kind::ServerFault => FailureKind::ServerFault,
        Kind::Timeout => FailureKind::Timeout,
    }
}

/// An SDK error as a port error naming the call, the service's code and message.
pub fn port_error<E: ProvideErrorMetadata, R>(call: &str, err: &SdkError<E, R>) -> PortError {
    let detail = match err {
        SdkError::ServiceError(e) => format!(
            "{call}: {}: {}",
            e.err().code().unwrap_or("error"),
            e.err().message().unwrap_or("no message")
        ),
        SdkError::TimeoutError(_) => format!("{call}: no answer in time"),
        SdkError::DispatchFailure(_) => format!("{call}: could not reach the endpoint"),
        other => format!("{call}: {other}"),
    };
    PortError::new(failure_kind(kind_of(err)), detail)
}

pub use crate::failure::code;
