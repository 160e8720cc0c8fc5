//! A fake AWS for the engine's tests: in-memory images, grants, Catalog and parameters with
//! state and failure knobs, the testkit's memory store, clones and buyers, and the helpers that
//! build a product, a release and an engine on it and settle it.

#![allow(dead_code)] // Each test binary uses part of it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use amipub_domain::changeset::ChangeSet;
use amipub_domain::ids::Region;
use amipub_domain::image::ImageState;
use amipub_domain::lifecycle::LiveVersion;
use amipub_domain::release::assessment::ControlError;
use amipub_domain::release::{ControlFinding, FailureKind, ImageFacts, Release};
use amipub_domain::spec::parse_spec;
use amipub_engine::ports::{
    Catalog, ChangeSetStatus, CopyRequest, Grants, Images, Parameters, PortResult, StartOutcome,
};
use amipub_engine::{Engine, PortError, Product};
use amipub_testkit::fakes::{MemoryBuyers, MemoryClones, MemoryStore, image_facts, restricted_by};

pub const SPEC: &str = include_str!("../../../../examples/products/fedora-cloud-base.toml");
pub const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-south-1"];
pub const BUILD: &str = "125523088429";

/// The fake world's knobs and state.
#[derive(Default)]
pub struct World {
    pub copies: Vec<CopyRequest>,
    pub mirror_polls: BTreeMap<String, u32>,
    pub started: Vec<ChangeSet>,
    pub status_polls: BTreeMap<String, u32>,
    pub open: Option<String>,
    pub versions: Vec<String>,
    pub scan_fails: bool,
    /// ListAssessments answers with an error.
    pub assessments_unreadable: bool,
    pub locate_calls: u32,
    pub params: BTreeMap<(String, String), String>,
    pub throttle_copies: u32,
    pub foreign_lock_polls: u32,
    /// Delivery options restricted by succeeded change sets.
    pub restricted: Vec<String>,
    /// Regions where Marketplace AMIs are not launchable.
    pub unlaunchable: Vec<String>,
    /// Regions whose Marketplace AMI appears only from this look on.
    pub appears_at_look: BTreeMap<String, u32>,
}

#[derive(Default)]
pub struct Fake {
    pub w: Mutex<World>,
    pub store: MemoryStore,
    pub clones: MemoryClones,
    pub buyers: MemoryBuyers,
}

impl Fake {
    pub fn w(&self) -> std::sync::MutexGuard<'_, World> {
        self.w.lock().unwrap()
    }
}

impl Images for Fake {
    async fn inspect(&self, _region: &str, ami: &str) -> PortResult<Option<ImageFacts>> {
        Ok(match ami {
            "ami-untrusted0000000" => Some(image_facts("999999999999")),
            "ami-missing00000000" => None,
            _ => Some(image_facts(BUILD)),
        })
    }
    async fn find_mirror(&self, release: &str) -> PortResult<Option<(String, ImageState)>> {
        let w = self.w();
        Ok(w.copies.iter().position(|c| c.release == release).map(|i| {
            let ami = format!("ami-{i:017}");
            let polls = w.mirror_polls.get(&ami).copied().unwrap_or(0);
            (ami, if polls >= 2 { "available" } else { "pending" }.into())
        }))
    }
    async fn copy(&self, request: &CopyRequest) -> PortResult<String> {
        let mut w = self.w();
        if w.throttle_copies > 0 {
            w.throttle_copies -= 1;
            return Err(PortError::new(
                FailureKind::Throttled,
                "RequestLimitExceeded",
            ));
        }
        if let Some(i) = w
            .copies
            .iter()
            .position(|c| c.client_token == request.client_token)
        {
            return Ok(format!("ami-{i:017}"));
        }
        w.copies.push(request.clone());
        Ok(format!("ami-{:017}", w.copies.len() - 1))
    }
    async fn launchable(&self, region: &str, _ami: &str) -> PortResult<bool> {
        Ok(!self.w().unlaunchable.iter().any(|r| r == region))
    }
    async fn state(&self, ami: &str) -> PortResult<Option<ImageState>> {
        let mut w = self.w();
        let polls = w.mirror_polls.entry(ami.to_owned()).or_default();
        *polls += 1;
        Ok(Some(
            if *polls >= 2 { "available" } else { "pending" }.into(),
        ))
    }
}

impl Grants for Fake {
    async fn check(&self) -> PortResult<Option<String>> {
        Ok(None)
    }
}

impl Catalog for Fake {
    async fn versions(&self, _product: &str) -> PortResult<Vec<LiveVersion>> {
        let w = self.w();
        Ok(w.versions
            .iter()
            .enumerate()
            .map(|(i, t)| LiveVersion {
                id: format!("v-{t}"),
                title: t.clone(),
                created: format!("2026-01-01T00:00:{i:02}Z"),
                option_id: Some(format!("opt-{t}")),
                restricted: w.restricted.contains(&format!("opt-{t}")),
                source_ami: None,
            })
            .collect())
    }
    async fn open_change_set(&self, _product: &str) -> PortResult<Option<String>> {
        let mut w = self.w();
        if w.foreign_lock_polls > 0 {
            w.foreign_lock_polls -= 1;
            return Ok(Some("someone-elses-change-set".into()));
        }
        Ok(w.open.clone())
    }
    async fn start(&self, cs: &ChangeSet) -> PortResult<StartOutcome> {
        let mut w = self.w();
        if let Some(i) = w.started.iter().position(|s| s.token == cs.token) {
            return Ok(StartOutcome::Started(format!("cs{i}")));
        }
        if let Some(open) = w.open.clone() {
            return Ok(StartOutcome::Locked(open));
        }
        w.started.push(cs.clone());
        let id = format!("cs{}", w.started.len() - 1);
        w.open = Some(id.clone());
        Ok(StartOutcome::Started(id))
    }
    async fn status(&self, id: &str) -> PortResult<ChangeSetStatus> {
        let mut w = self.w();
        let polls = w.status_polls.entry(id.to_owned()).or_default();
        *polls += 1;
        if *polls < 3 {
            return Ok(ChangeSetStatus::Running);
        }
        if w.open.as_deref() == Some(id) {
            w.open = None;
        }
        if w.scan_fails {
            return Ok(ChangeSetStatus::Failed(vec![(
                "SCAN_ERROR".into(),
                "https://reports.example/scan.json".into(),
            )]));
        }
        let i: usize = id.trim_start_matches("cs").parse().unwrap();
        let title = w.started[i].changes[0].details_document["Version"]["VersionTitle"]
            .as_str()
            .unwrap()
            .to_owned();
        if !w.versions.contains(&title) {
            w.versions.push(title);
        }
        let restricted = restricted_by(&w.started[i]);
        w.restricted.extend(restricted);
        Ok(ChangeSetStatus::Succeeded)
    }
    async fn cancel(&self, _id: &str) -> PortResult<()> {
        Ok(())
    }
    async fn assessments(&self, _id: &str) -> PortResult<Vec<ControlFinding>> {
        let w = self.w();
        if w.assessments_unreadable {
            return Err(PortError::new(
                FailureKind::Throttled,
                "ThrottlingException",
            ));
        }
        // The scan's verdict decides the root-login control; malware always passes.
        let (result, errors) = if w.scan_fails {
            let e = ControlError {
                code: "ROOT_PASSWORD_LOGIN_ENABLED".into(),
                message: "Lock root's password.".into(),
                scope: vec![("FILE_PATH".into(), "/etc/ssh/sshd_config".into())],
            };
            ("FAIL", vec![e])
        } else {
            ("PASS", Vec::new())
        };
        Ok(vec![
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read("SSH_ROOT_LOGIN", result, &errors),
        ])
    }
    async fn locate(
        &self,
        _code: &str,
        name_prefix: &str,
        regions: &[Region],
    ) -> PortResult<BTreeMap<Region, String>> {
        // Mirrors are named `amipub-<product>-<version>`.
        let version = name_prefix.rsplit('-').next().unwrap_or_default();
        let mut w = self.w();
        w.locate_calls += 1;
        // Regions appear one per look.
        let visible = w.locate_calls as usize;
        let look = w.locate_calls;
        Ok(regions
            .iter()
            .filter(|r| w.appears_at_look.get(r.as_str()).is_none_or(|n| look >= *n))
            .take(visible)
            .map(|r| (r.clone(), format!("ami-mp-{version}-{r}")))
            .collect())
    }
}

impl Parameters for Fake {
    async fn get(&self, region: &str, name: &str) -> PortResult<Option<String>> {
        Ok(self
            .w()
            .params
            .get(&(region.to_owned(), name.to_owned()))
            .cloned())
    }
    async fn set(&self, region: &str, name: &str, ami: &str) -> PortResult<()> {
        self.w()
            .params
            .insert((region.to_owned(), name.to_owned()), ami.to_owned());
        Ok(())
    }
}

amipub_testkit::ports_of_one_fake!(Fake);

pub fn product() -> Product {
    let mut spec = parse_spec(SPEC).unwrap();
    spec.product.id = Some("prod-fedoracbx8664".into());
    spec.product.product_code = Some("fedoracloudbasex8664code0".into());
    Product::new(
        spec,
        "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion",
    )
}

pub fn release(id: &str, version: &str, ami: &str) -> Release {
    let mut r = Release::new(
        id,
        "fedora-cloud-base-x86-64",
        version,
        "us-east-1",
        ami,
        vec![BUILD.into()],
        "x86_64",
        REGIONS.iter().map(|s| (*s).to_owned()).collect(),
        0,
    );
    r.notes = format!("Fedora {version}");
    r.vars = [
        ("release".to_owned(), "41".to_owned()),
        ("arch".to_owned(), "x86_64".to_owned()),
    ]
    .into();
    r
}

pub fn engine(fake: Fake) -> Engine<Fake> {
    Engine::new(fake, vec![product()], "worker-1")
}

/// An engine on `fake` that took release r1 (version 41.1) at 0 and settled it: the engine, the
/// release as stored, and when it settled.
pub async fn one_release(fake: Fake) -> (Engine<Fake>, Release, i64) {
    let e = engine(fake);
    e.submit(release("r1", "41.1", "ami-06b2596588ff27750"), 0)
        .await
        .unwrap();
    let now = settle(&e, 0).await;
    let r = e.ports().store.get("r1").unwrap();
    (e, r, now)
}

/// Steps the engine every `dt` virtual seconds until every release settles.
pub async fn settle(e: &Engine<Fake>, mut now: i64) -> i64 {
    for _ in 0..10_000 {
        e.step(now).await.unwrap();
        if e.ports().store.all().iter().all(|r| r.state.is_terminal()) {
            return now;
        }
        now += 30;
    }
    panic!(
        "releases never settled: {:?}",
        e.ports()
            .store
            .all()
            .iter()
            .map(|r| r.state)
            .collect::<Vec<_>>()
    );
}
