//! Everything the sandbox knows: accounts and their access keys, Regions and opt-in state,
//! images and snapshots, IAM roles, STS sessions, the virtual clock, the id generator and the log
//! of requests. Service modules read and change it under one lock; nothing here does I/O.
//! `catalog` also holds the second-party load-form tickets (`catalog::second_party` runs them).

pub mod assessments;
pub mod catalog;
pub mod ec2;
pub mod forms;
pub mod iam;
pub mod metering;
pub mod sqs;
pub mod ssm;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::idgen::IdGen;

/// The world as the server's tasks share it.
pub type Shared = Arc<Mutex<World>>;

/// Locks the world; a poisoned lock (a handler panicked) is recovered, not propagated.
pub fn lock(shared: &Shared) -> MutexGuard<'_, World> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// The account that owns published Marketplace AMIs (alias `aws-marketplace`).
pub const MARKETPLACE_ACCOUNT: &str = "679593333241";
/// The second AWS Marketplace account the second-party load form's instructions name: a seller
/// shares each clone and its snapshots with it as well as with [`MARKETPLACE_ACCOUNT`].
pub const MARKETPLACE_SCAN_ACCOUNT: &str = "684062674729";
/// The accounts a second-party seller shares every clone (launch permission) and its snapshots
/// (create-volume permission) with.
pub const MARKETPLACE_SHARE_ACCOUNTS: [&str; 2] = [MARKETPLACE_ACCOUNT, MARKETPLACE_SCAN_ACCOUNT];
/// The account that owns Amazon's own AMIs (alias `amazon`).
pub const AMAZON_ACCOUNT: &str = "137112412989";

/// An account of the sandbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// 12-digit id.
    pub id: String,
    /// A label for people (`seller`, `fedora-build`).
    pub name: String,
    /// Opt-in Regions this account has enabled.
    #[serde(default)]
    pub enabled_regions: BTreeSet<String>,
    /// The partition the account lives in (`aws`, `aws-us-gov`); credentials of one partition
    /// are unknown in another. `None` until the account's first signed request, which decides.
    #[serde(default)]
    pub partition: Option<String>,
}

/// Who is calling: the account and, for assumed roles, the role session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    /// The account.
    pub account: String,
    /// `arn:…:sts::acct:assumed-role/Role/session` for role sessions; root otherwise.
    pub arn: String,
    /// The role the session was assumed from, if any.
    #[serde(default)]
    pub role: Option<String>,
}

/// One logged request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// Virtual time.
    pub at: String,
    /// Service signing name.
    pub service: String,
    /// Operation.
    pub operation: String,
    /// Region.
    pub region: String,
    /// Account, when known.
    pub account: Option<String>,
    /// HTTP status returned.
    pub status: u16,
    /// Error code, if any.
    pub error: Option<String>,
}

/// The whole simulated world.
#[derive(Debug)]
pub struct World {
    /// Settings.
    pub config: SandboxConfig,
    /// Virtual time.
    pub clock: Clock,
    /// Id stream.
    pub ids: IdGen,
    /// Fault decisions, a stream of their own so faults do not shift ids.
    pub fault_rng: IdGen,
    /// Accounts by id.
    pub accounts: BTreeMap<String, Account>,
    /// Access key → principal.
    pub keys: BTreeMap<String, Principal>,
    /// EC2 state.
    pub ec2: ec2::Ec2,
    /// IAM state.
    pub iam: iam::Iam,
    /// SSM state.
    pub ssm: ssm::Ssm,
    /// Marketplace Catalog state.
    pub catalog: catalog::Catalog,
    /// The AMI security assessments the Catalog's scans recorded.
    pub assessments: assessments::Assessments,
    /// SQS state.
    pub sqs: sqs::Sqs,
    /// Metering state.
    pub metering: metering::Metering,
    /// Every request received, oldest first (bounded by `config.request_log_limit`).
    pub requests: Vec<LoggedRequest>,
    /// How many of the oldest requests the bound has dropped from `requests`.
    pub requests_dropped: usize,
}

impl World {
    /// An empty world with the built-in service accounts.
    pub fn new(config: SandboxConfig) -> Self {
        let clock = Clock::new(config.start_time, config.time_scale);
        let ids = IdGen::new(config.seed);
        let fault_rng = IdGen::new(config.seed ^ 0xFA17);
        let mut w = Self {
            config,
            clock,
            ids,
            fault_rng,
            accounts: BTreeMap::new(),
            keys: BTreeMap::new(),
            ec2: ec2::Ec2::default(),
            iam: iam::Iam::default(),
            ssm: ssm::Ssm::default(),
            catalog: catalog::Catalog::default(),
            assessments: assessments::Assessments::default(),
            sqs: sqs::Sqs::default(),
            metering: metering::Metering::default(),
            requests: Vec::new(),
            requests_dropped: 0,
        };
        w.add_account(MARKETPLACE_ACCOUNT, "aws-marketplace", &[]);
        w.add_account(MARKETPLACE_SCAN_ACCOUNT, "aws-marketplace-scan", &[]);
        w.add_account(AMAZON_ACCOUNT, "amazon", &[]);
        let keys = w.config.access_keys.clone();
        for (key, account) in keys {
            w.add_account(&account, &account, &[]);
            w.keys.insert(key, root(&account));
        }
        w
    }

    /// Adds (or updates) an account with access keys.
    pub fn add_account(&mut self, id: &str, name: &str, keys: &[&str]) {
        self.accounts
            .entry(id.to_owned())
            .or_insert_with(|| Account {
                id: id.to_owned(),
                name: name.to_owned(),
                enabled_regions: BTreeSet::new(),
                partition: None,
            })
            .name = name.to_owned();
        for k in keys {
            self.keys.insert((*k).to_owned(), root(id));
        }
    }

    /// The principal for an access key. A 12-digit key names its account directly (handy for
    /// scripts, as in other emulators).
    pub fn principal(&mut self, access_key: &str) -> Option<Principal> {
        if let Some(p) = self.keys.get(access_key) {
            return Some(p.clone());
        }
        if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
            self.add_account(access_key, access_key, &[access_key]);
            return self.keys.get(access_key).cloned();
        }
        None
    }

    /// Whether the account may use the Region (opt-in Regions must be enabled).
    pub fn region_enabled(&self, account: &str, region: &str) -> bool {
        match amipub_domain::catalog_data::region(region) {
            None => false,
            Some(r) if !r.opt_in => true,
            Some(r) => {
                self.config.all_regions_enabled
                    || is_marketplace(account)
                    || self
                        .accounts
                        .get(account)
                        .is_some_and(|a| a.enabled_regions.contains(&r.code))
            }
        }
    }

    /// Whether the account's credentials are valid in `region`'s partition. An account whose
    /// partition is not yet known takes that of its first Region. The Marketplace's own accounts
    /// work in every partition: the sandbox has one Marketplace for the commercial and GovCloud
    /// Regions, as it has one `aws-marketplace` owner of the AMIs it publishes in both.
    pub fn partition_admits(&mut self, account: &str, region: &str) -> bool {
        if is_marketplace(account) {
            return true;
        }
        let wanted = partition_of(region);
        match self.accounts.get_mut(account) {
            Some(a) => match &a.partition {
                Some(p) => p == wanted,
                None => {
                    a.partition = Some(wanted.to_owned());
                    true
                }
            },
            None => true,
        }
    }

    /// Records a request, dropping the oldest past the configured limit.
    pub fn log(&mut self, entry: LoggedRequest) {
        self.requests.push(entry);
        let limit = self.config.request_log_limit;
        if self.requests.len() > limit {
            let excess = self.requests.len() - limit;
            self.requests.drain(..excess);
            self.requests_dropped += excess;
        }
    }

    /// ISO-8601 timestamp of now, millisecond precision (EC2's `creationDate` style).
    pub fn now_iso(&self) -> String {
        self.clock
            .now()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }
}

/// Whether `account` is one of AWS Marketplace's own accounts.
pub fn is_marketplace(account: &str) -> bool {
    MARKETPLACE_SHARE_ACCOUNTS.contains(&account)
}

/// The partition of a Region code.
pub use amipub_domain::catalog_data::partition_of;

fn root(account: &str) -> Principal {
    Principal {
        account: account.to_owned(),
        arn: format!("arn:aws:iam::{account}:root"),
        role: None,
    }
}
