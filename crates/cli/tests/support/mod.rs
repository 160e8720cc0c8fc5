//! A release environment for tests of the `amipub` binary: an in-process sandbox (the `fedora`
//! world) in a thread of its own, a temporary directory with amipub.toml, the product spec and the
//! state database, and helpers to run, halt and kill the binary and to count what it created.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use amipub_sandbox::server::{Shared, lock};
use amipub_sandbox::worlds::{
    FEDORA_OFFER_ID, FEDORA_PRODUCT_CODE, FEDORA_PRODUCT_ID, GOVCLOUD_SELLER_ACCOUNT,
    SELLER_ACCOUNT,
};
use amipub_sandbox::{Background, SandboxConfig};

/// Fedora 41 Cloud Base x86_64 in us-east-1 (the sample message's AMI).
pub const SOURCE_AMI: &str = "ami-06b2596588ff27750";
/// The version its build renders to.
pub const VERSION: &str = "41.20241027.0";
/// The SSM parameters the example spec writes, per Region.
pub const PARAMS: [&str; 2] = [
    "/fedora/cloud/41/x86_64/41.20241027.0",
    "/fedora/cloud/41/x86_64/latest",
];

/// One sandbox and one amipub home.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub world: Shared,
    pub endpoint: String,
    _sandbox: Background,
}

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Env {
    /// A sandbox at `time_scale` and a configured home.
    pub fn new(time_scale: f64) -> Self {
        let config = SandboxConfig {
            time_scale,
            ..SandboxConfig::default()
        };
        let sandbox = Background::start(config, "fedora").unwrap();
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            world: sandbox.world.clone(),
            endpoint: sandbox.endpoint.clone(),
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
        let spec = std::fs::read_to_string(root().join("examples/products/fedora-cloud-base.toml"))
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

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `amipub <args> --config <home>/amipub.toml` as a command.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_amipub"));
        c.args(args)
            .arg("--config")
            .arg(self.path("amipub.toml"))
            .current_dir(self.dir.path())
            .env_remove("AMIPUB_TEST_HALT_AT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// The publish arguments of the sample build with `ami`.
    pub fn publish_args(&self, ami: &str) -> Vec<String> {
        [
            "publish",
            "--product",
            &self.path("products/fedora.toml").display().to_string(),
            "--ami",
            ami,
            "--var",
            "release=41",
            "--var",
            "compose_id=Fedora-41-20241027.0",
            "--var",
            "subvariant=Cloud_Base",
            "--var",
            "image_name=Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// Runs to the end (at most `limit`); (exit code, stdout, stderr).
    pub fn run(&self, args: &[String], limit: Duration) -> (i32, String, String) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let child = self.command(&args).spawn().unwrap();
        finish(child, limit)
    }

    /// Runs with a halt point; kills the process with SIGKILL once it halts there. Returns
    /// whether the point was reached (else the process ran to its end) and its output so far.
    pub fn run_and_kill_at(&self, args: &[String], point: &str, limit: Duration) -> (bool, String) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut child = self
            .command(&args)
            .env("AMIPUB_TEST_HALT_AT", point)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let out_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut s);
            s
        });
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + limit;
        let mut halted = false;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) if line.contains("halted at") => {
                    halted = true;
                    break;
                }
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(_)) = child.try_wait() {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // SIGKILL: no destructors, no flush, no goodbye.
        let _ = child.kill();
        let _ = child.wait();
        (halted, out_thread.join().unwrap_or_default())
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

    /// Sets the scan verdict of new change sets (`pass` or `fail`).
    pub fn scan_verdict(&self, verdict: &str) {
        lock(&self.world).config.scan_verdict = verdict.to_owned();
    }
}

/// A child process killed (and reaped) when dropped, so a failing test leaves none behind.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Kills and reaps it now.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for a child (killing it after `limit`); (exit code, stdout, stderr).
pub fn finish(mut child: Child, limit: Duration) -> (i32, String, String) {
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut s);
        s
    });
    let e = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let code = loop {
        if let Ok(Some(st)) = child.try_wait() {
            break st.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break -9;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        code,
        o.join().unwrap_or_default(),
        e.join().unwrap_or_default(),
    )
}

/// The release id printed on stderr by `publish`.
pub fn release_id(stderr: &str) -> Option<String> {
    stderr
        .split_whitespace()
        .find(|w| w.starts_with("r-") && w.len() == 14)
        .map(str::to_owned)
}
