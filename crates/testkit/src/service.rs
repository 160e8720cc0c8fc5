//! A release environment for tests of the `amipub` binary: a sandbox (the `fedora` world), a
//! temporary home with amipub.toml, the product spec and the state database, and a small
//! language to run the binary there — [`Env::amipub`] and [`Env::publish_build`] make a [`Run`],
//! which [`Run::finish`]es, is killed at a halt point ([`Run::kill_at`]) or left halted
//! ([`Run::halt_at`]) — plus [`Env::finish_scan`] and counts of what the sandbox holds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use amipub_sandbox::server::{Shared, lock};
use amipub_sandbox::worlds::{
    FEDORA_OFFER_ID, FEDORA_PRODUCT_CODE, FEDORA_PRODUCT_ID, GOVCLOUD_SELLER_ACCOUNT,
    SELLER_ACCOUNT,
};
use amipub_store::SqlStore;

use crate::process::{self, Child};
use crate::sandbox::{self, Sandbox};

/// Fedora 41 Cloud Base x86_64 in us-east-1 (the sample message's AMI).
pub const SOURCE_AMI: &str = "ami-06b2596588ff27750";
/// The version its build renders to.
pub const VERSION: &str = "41.20241027.0";
/// The SSM parameters the example spec writes, per Region.
pub const PARAMS: [&str; 2] = [
    "/fedora/cloud/41/x86_64/41.20241027.0",
    "/fedora/cloud/41/x86_64/latest",
];

/// The `--var`s of the sample build.
pub const BUILD_VARS: [&str; 8] = [
    "--var",
    "release=41",
    "--var",
    "compose_id=Fedora-41-20241027.0",
    "--var",
    "subvariant=Cloud_Base",
    "--var",
    "image_name=Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4",
];

/// The environment variable that stops `amipub` at a named point of its work.
const HALT_AT: &str = "AMIPUB_TEST_HALT_AT";
/// What `amipub` says on stderr once it stopped there.
const HALTED: &str = "halted at";

/// One sandbox and one amipub home.
pub struct Env {
    /// The home: `amipub.toml`, `products/fedora.toml`, `amipub.db`.
    pub dir: tempfile::TempDir,
    /// The sandbox's world, for inspection and setup.
    pub world: Shared,
    /// The sandbox's endpoint.
    pub endpoint: String,
    bin: PathBuf,
    _sandbox: Sandbox,
}

/// How the security scans of new versions end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// Clean.
    Pass,
    /// Findings: the change set fails.
    Fail,
}

impl Env {
    /// A sandbox at `time_scale` and a configured home, for the `amipub` binary at `bin`
    /// (`env!("CARGO_BIN_EXE_amipub")`).
    pub fn new(bin: &str, time_scale: f64) -> Self {
        let sandbox = sandbox::start(time_scale);
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            world: sandbox.world.clone(),
            endpoint: sandbox.endpoint.clone(),
            bin: bin.into(),
            _sandbox: sandbox,
        };
        env.write_files();
        env
    }

    fn write_files(&self) {
        let d = self.dir.path();
        std::fs::create_dir_all(d.join("products")).unwrap();
        let config = format!(
            r#"products_dir = "{d}/products"
feed_file = "{d}/feed.json"
[store]
url = "sqlite://{d}/amipub.db"
[partitions.aws]
account_id = "111122223333"
ingestion_role = "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion"
[partitions.aws-us-gov]
account_id = "222233334444"
[trust]
build_accounts = ["125523088429"]
[endpoints]
url = "{e}"
"#,
            d = d.display(),
            e = self.endpoint
        );
        std::fs::write(d.join("amipub.toml"), config).unwrap();
        let spec =
            std::fs::read_to_string(crate::root().join("examples/products/fedora-cloud-base.toml"))
                .unwrap()
                .replacen(
                    "[product]\n",
                    &format!(
                        "[product]\nid = \"{FEDORA_PRODUCT_ID}\"\nproduct_code = \"{FEDORA_PRODUCT_CODE}\"\noffer_id = \"{FEDORA_OFFER_ID}\"\n"
                    ),
                    1,
                );
        std::fs::write(d.join("products/fedora.toml"), spec).unwrap();
    }

    /// A path in the home.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The home's state database.
    pub async fn store(&self) -> SqlStore {
        crate::store::open(&self.path("amipub.db")).await
    }

    /// `amipub <args> --config <home>/amipub.toml`, to run.
    pub fn amipub<I, S>(&self, args: I) -> Run<'_>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Run {
            env: self,
            args: args.into_iter().map(|a| a.as_ref().to_owned()).collect(),
            vars: Vec::new(),
        }
    }

    /// `amipub publish` of the sample build (Fedora 41 Cloud Base) from the source AMI `ami`.
    pub fn publish_build(&self, ami: &str) -> Run<'_> {
        let product = self.path("products/fedora.toml").display().to_string();
        self.amipub(
            ["publish", "--product", &product, "--ami", ami]
                .into_iter()
                .chain(BUILD_VARS),
        )
    }

    /// The calls the seller account made (as `service:Operation`, the service's signing name)
    /// that `amipub iam-policy --with-init` does not allow, by action name (resources and
    /// conditions are not compared). STS's GetCallerIdentity needs no
    /// permission (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>).
    pub fn calls_the_policy_misses(&self) -> Vec<String> {
        let (code, policy, err) = self
            .amipub(["iam-policy", "--with-init"])
            .finish(Duration::from_secs(60));
        assert_eq!(code, 0, "{err}");
        let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
        let allowed: std::collections::BTreeSet<String> = doc["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| match &s["Action"] {
                serde_json::Value::String(a) => vec![a.clone()],
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let w = lock(&self.world);
        // A log that dropped its oldest calls would hide them.
        assert_eq!(
            w.requests_dropped, 0,
            "the sandbox's request log dropped calls; raise request_log_limit"
        );
        let made: std::collections::BTreeSet<String> = w
            .requests
            .iter()
            .filter(|r| r.account.as_deref() == Some(SELLER_ACCOUNT) && r.service != "sts")
            .map(|r| format!("{}:{}", r.service, r.operation))
            .collect();
        made.difference(&allowed).cloned().collect()
    }

    /// Points the home's `[store] url` at another database.
    pub fn use_store(&self, url: &str) {
        let path = self.path("amipub.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let old = format!("url = \"sqlite://{}/amipub.db\"", self.dir.path().display());
        assert!(text.contains(&old));
        std::fs::write(&path, text.replace(&old, &format!("url = \"{url}\""))).unwrap();
    }

    /// One call of the sandbox's admin API; its JSON answer (a 200).
    pub fn admin(&self, method: &str, path: &str, body: &serde_json::Value) -> serde_json::Value {
        self._sandbox.admin(method, path, body)
    }

    /// Turns the home's Fedora product into a second-party one: `delivery_path` in its spec and
    /// `[second_party] template` in amipub.toml, naming `template.xlsx`, a sample workbook with
    /// the load form's headers and a column for each Region in `regions`; the build also has an
    /// AMI in GovCloud (CopyImage does not cross partitions), owned by a trusted account. The
    /// template's path and the GovCloud AMI's `--source` argument for `publish`.
    pub fn second_party(&self, regions: &[&str]) -> (PathBuf, String) {
        let gov = self.admin(
            "POST",
            "/_sandbox/images",
            &serde_json::json!({
                "owner": GOVCLOUD_BUILD_ACCOUNT,
                "region": "us-gov-west-1",
                "name": "Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4",
                "public": true,
            }),
        );
        let gov_ami = gov["image_id"].as_str().unwrap().to_owned();
        let template = self.path("template.xlsx");
        let types = amipub_sandbox::worlds::FEDORA_INSTANCE_TYPES;
        std::fs::write(
            &template,
            amipub_loadform::sample::template(regions, types).unwrap(),
        )
        .unwrap();
        let spec = self.path("products/fedora.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let text = text.replacen(
            "[product]\n",
            "[product]\ndelivery_path = \"second-party\"\n",
            1,
        );
        std::fs::write(&spec, text).unwrap();
        let config = self.path("amipub.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!(
            "[second_party]\ntemplate = \"{}\"\n",
            template.display()
        ));
        let trusted = format!("build_accounts = [\"125523088429\", \"{GOVCLOUD_BUILD_ACCOUNT}\"]");
        let text = text.replace("build_accounts = [\"125523088429\"]", &trusted);
        std::fs::write(&config, text).unwrap();
        (template, format!("us-gov-west-1={gov_ami}"))
    }

    /// One EC2 query call to the sandbox with the access key `key` in `region` (the sandbox
    /// takes the key from the authorization header); the answer's XML, which must be a 200.
    /// Parameter values are sent as they are: ids and names, no characters to escape.
    pub fn ec2_as(&self, key: &str, region: &str, action: &str, params: &[(&str, &str)]) -> String {
        use std::io::{Read, Write};
        let mut body = format!("Action={action}&Version=2016-11-15");
        for (k, v) in params {
            body.push_str(&format!("&{k}={v}"));
        }
        let host = self.endpoint.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(host).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential={key}/20261121/{region}/ec2/aws4_request, SignedHeaders=host, Signature=00\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let (head, xml) = raw.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "{action} in {region}: {head}\n{xml}"
        );
        xml.to_owned()
    }

    /// The second-party clones of `release` (found by their tag): (Region, AMI, owner), and
    /// the accounts each clone and its snapshots are shared with.
    pub fn clones(&self, release: &str) -> Vec<Clone> {
        let w = lock(&self.world);
        w.ec2
            .images
            .values()
            .filter(|i| i.tags.get("amipub:clone-of").map(String::as_str) == Some(release))
            .map(|i| Clone {
                region: i.region.clone(),
                ami: i.id.clone(),
                owner: i.owner.clone(),
                launch: i.launch_users.iter().cloned().collect(),
                snapshots: i
                    .snapshots
                    .iter()
                    .map(|s| {
                        let users = w
                            .ec2
                            .snapshots
                            .get(s)
                            .map(|x| x.volume_users.iter().cloned().collect());
                        (s.clone(), users.unwrap_or_default())
                    })
                    .collect(),
            })
            .collect()
    }

    /// `n` more listings in the sandbox, each with a spec `products/fleet-NN.toml`
    /// (`worlds::add_fleet_product`); their paths.
    pub fn add_fleet(&self, n: usize, regions: &[&str]) -> Vec<String> {
        let regions: Vec<String> = regions.iter().map(|r| (*r).to_owned()).collect();
        (1..=n)
            .map(|k| {
                let spec =
                    amipub_sandbox::worlds::add_fleet_product(&mut lock(&self.world), k, &regions);
                let path = self.path(&format!("products/fleet-{k:02}.toml"));
                std::fs::write(&path, spec).unwrap();
                path.display().to_string()
            })
            .collect()
    }

    /// `amipub publish` of the sample build as `version` of the product whose spec is at
    /// `spec`.
    pub fn publish_version(&self, spec: &str, version: &str) -> Run<'_> {
        let args = [
            "publish",
            "--product",
            spec,
            "--ami",
            SOURCE_AMI,
            "--version",
            version,
        ];
        self.amipub(args.into_iter().chain(BUILD_VARS))
    }

    /// `publish_version`, detached.
    pub fn publish_detached(&self, spec: &str, version: &str) -> Run<'_> {
        self.publish_version(spec, version).arg("--detach")
    }

    /// Appends `text` (TOML tables such as `[tags]`) to the home's amipub.toml.
    pub fn append_config(&self, text: &str) {
        let path = self.path("amipub.toml");
        let held = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, held + text).unwrap();
    }

    /// Sets how the security scans of new change sets finish.
    pub fn finish_scan(&self, verdict: Scan) {
        lock(&self.world).config.scan_verdict = match verdict {
            Scan::Pass => "pass",
            Scan::Fail => "fail",
        }
        .to_owned();
    }

    /// Seller-side copies made for releases.
    pub fn mirrors(&self) -> usize {
        let w = lock(&self.world);
        w.ec2
            .images
            .values()
            .filter(|i| i.owner == SELLER_ACCOUNT && i.tags.contains_key("amipub:release"))
            .count()
    }

    /// Change sets adding `version`.
    pub fn version_change_sets(&self, version: &str) -> usize {
        let w = lock(&self.world);
        w.catalog
            .change_sets
            .values()
            .filter(|c| {
                c.changes.iter().any(|ch| {
                    ch.change_type == "AddDeliveryOptions"
                        && ch.details["Version"]["VersionTitle"] == version
                })
            })
            .count()
    }

    /// Every change set started through the API (not seeded).
    pub fn change_sets(&self) -> usize {
        lock(&self.world).catalog.change_sets.len()
    }

    /// The value of parameter `name` in each Region of the seller's accounts (the commercial
    /// one and, for GovCloud Regions, the GovCloud one).
    pub fn parameter_values(&self, name: &str) -> std::collections::BTreeMap<String, String> {
        let w = lock(&self.world);
        w.ssm
            .parameters
            .values()
            .filter(|p| p.account == SELLER_ACCOUNT || p.account == GOVCLOUD_SELLER_ACCOUNT)
            .filter(|p| p.name == name)
            .filter_map(|p| Some((p.region.clone(), p.latest()?.value.clone())))
            .collect()
    }

    /// (parameters under `prefix` in the seller's accounts — the commercial one and, for GovCloud
    /// Regions, the GovCloud one — the most versions any of them has).
    pub fn parameters(&self, prefix: &str) -> (usize, usize) {
        let w = lock(&self.world);
        let ps: Vec<_> = w
            .ssm
            .parameters
            .values()
            .filter(|p| {
                (p.account == SELLER_ACCOUNT || p.account == GOVCLOUD_SELLER_ACCOUNT)
                    && p.name.starts_with(prefix)
            })
            .collect();
        (
            ps.len(),
            ps.iter().map(|p| p.versions.len()).max().unwrap_or(0),
        )
    }
}

/// The account that owns the sample build's AMI in GovCloud.
pub const GOVCLOUD_BUILD_ACCOUNT: &str = "225566778899";

/// A second-party clone as the sandbox holds it.
#[derive(Debug, Clone)]
pub struct Clone {
    /// Its Region.
    pub region: String,
    /// Its id.
    pub ami: String,
    /// The account that owns it.
    pub owner: String,
    /// Accounts with launch permission.
    pub launch: Vec<String>,
    /// Its snapshots and the accounts with create-volume permission on each.
    pub snapshots: Vec<(String, Vec<String>)>,
}

/// One `amipub` command in an [`Env`], not started yet; each way of running it starts a new
/// process, so a `Run` can be run again.
#[derive(Clone)]
pub struct Run<'e> {
    env: &'e Env,
    args: Vec<String>,
    vars: Vec<(OsString, OsString)>,
}

impl Run<'_> {
    /// One more argument.
    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_owned());
        self
    }

    /// An environment variable of the process.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.vars
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Runs to the end (killed after `limit`); (exit code, stdout, stderr).
    pub fn finish(&self, limit: Duration) -> (i32, String, String) {
        self.spawn().finish(limit)
    }

    /// Runs stopping at the halt point `point` (`AMIPUB_TEST_HALT_AT`) and kills the process
    /// with SIGKILL once it says it halted there (or after `limit`). Whether the point was
    /// reached (else the process ran to its end) and its stdout so far.
    pub fn kill_at(&self, point: &str, limit: Duration) -> (bool, String) {
        let mut child = self.spawn_halting(point);
        let halted = child.wait_for_stderr(HALTED, limit);
        let _ = child.kill();
        let (_, out, _) = child.finish(Duration::ZERO);
        (halted, out)
    }

    /// Starts it stopping at the halt point `point` and waits (at most `limit`) until it says
    /// it halted there or ends. A halted process keeps what it holds (its lease, in the middle
    /// of a step) until the returned child is killed or dropped.
    pub fn halt_at(&self, point: &str, limit: Duration) -> Child {
        let mut child = self.spawn_halting(point);
        child.wait_for_stderr(HALTED, limit);
        child
    }

    /// Starts it; its output is captured (see [`Child::stdout`]).
    pub fn spawn(&self) -> Child {
        process::spawn(&mut self.command()).expect("amipub starts")
    }

    fn spawn_halting(&self, point: &str) -> Child {
        process::spawn(self.command().env(HALT_AT, point)).expect("amipub starts")
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.env.bin);
        c.args(&self.args)
            .arg("--config")
            .arg(self.env.path("amipub.toml"))
            .current_dir(self.env.dir.path())
            .env_remove(HALT_AT)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }
}

/// The release id printed on stderr by `publish`.
pub fn release_id(stderr: &str) -> Option<String> {
    stderr
        .split_whitespace()
        .find(|w| w.starts_with("r-") && w.len() == 14)
        .map(str::to_owned)
}

/// Runs `check` for every point, two at a time (each run has its own sandbox, state directory
/// and processes); the failures, in no particular order.
pub fn each_point(
    points: &[&'static str],
    check: fn(&'static str) -> Result<(), String>,
) -> Vec<String> {
    let queue = std::sync::Mutex::new(points.to_vec());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some(point) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else {
                        break;
                    };
                    if let Err(e) = check(point) {
                        failures.lock().unwrap_or_else(|e| e.into_inner()).push(e);
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// The end of a crash suite's check at `point`: the announcement rows must each have been
/// printed once — twice only when killed between printing one and marking it sent
/// (`outbox:printed`; the message id is the same, so consumers drop the copy) — and no other
/// problem may have been found.
pub fn verdict(
    point: &str,
    mut problems: Vec<String>,
    printed: usize,
    rows: usize,
) -> Result<(), String> {
    let expected = rows + usize::from(point == "outbox:printed");
    if printed != expected {
        problems.push(format!("announcement printed {printed} times"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{point}: {}", problems.join(", ")))
    }
}
