//! A buyer's instance for tests of the `amipub-meter` binary: a sandbox (the `fedora` world, whose
//! Acme API Gateway has three usage dimensions) at a chosen time scale, an instance launched from
//! the product's Marketplace AMI, a state directory, local usage sources, and helpers to run,
//! stop and kill the agent and to read what the Metering Service accepted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A harness fails its test loudly by design.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use amipub_sandbox::faults::{FaultKind, FaultRule};
use amipub_sandbox::server::{Shared, lock};
use amipub_sandbox::worlds::{BUYER_ACCOUNT, METERED_PRODUCT_CODE};

use crate::process::{self, Child};
use crate::sandbox::{self, Sandbox};

/// One rig at a time in a test binary: each runs hours of virtual time per real second, so a
/// rig starved of CPU by its neighbours on a small machine misses whole hours of samples (and
/// reports them as zero, as it should), which would make exact-gauge assertions flaky.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Virtual seconds in an hour.
pub const HOUR: i64 = 3600;
/// The gauge `active_consumers` reads this.
pub const USERS: i64 = 5;
/// The allocations of `managed_hosts` read these (pool blue, pool green).
pub const HOSTS: (i64, i64) = (3, 4);

/// How long a one-shot command of the agent (`check`, `status`) may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// One sandbox, one instance, one state directory.
pub struct Rig {
    /// The state directory: `meter.toml`, the sources, `state/`, `agent.log`.
    pub dir: tempfile::TempDir,
    /// The sandbox's world.
    pub world: Shared,
    /// The sandbox's endpoint.
    pub endpoint: String,
    /// The instance the agent runs on.
    pub instance: String,
    /// The processed-data counter's value.
    pub counter: i64,
    bin: PathBuf,
    _sandbox: Sandbox,
}

/// One accepted usage record, as the sandbox keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The dimension key.
    pub dimension: String,
    /// The hour, epoch seconds.
    pub hour: i64,
    /// The quantity.
    pub quantity: i64,
    /// The allocations, as the sandbox records them.
    pub allocations: String,
    /// When the sandbox accepted it, virtual epoch seconds.
    pub received: f64,
}

impl Rig {
    /// A sandbox at `time_scale`, an entitled instance with a role allowed to meter (or not),
    /// sources in place, and the configuration of the agent at `bin`
    /// (`env!("CARGO_BIN_EXE_amipub-meter")`) written with `sample_seconds`.
    pub fn new(bin: &str, time_scale: f64, sample_seconds: u64, may_meter: bool) -> Self {
        let sandbox = sandbox::start(time_scale);
        let image = {
            let w = lock(&sandbox.world);
            w.ec2
                .images
                .values()
                .find(|i| {
                    i.region == "us-east-1"
                        && i.product_codes.iter().any(|c| c == METERED_PRODUCT_CODE)
                })
                .map(|i| i.id.clone())
                .expect("the fedora world has the Acme gateway's Marketplace AMI")
        };
        let launched = sandbox.admin(
            "POST",
            "/_sandbox/instances",
            &serde_json::json!({
                "account": BUYER_ACCOUNT, "region": "us-east-1", "image_id": image,
                "instance_type": "m5.large", "may_meter": may_meter
            }),
        );
        let instance = launched["instance_id"].as_str().unwrap().to_owned();
        let rig = Rig {
            dir: tempfile::tempdir().unwrap(),
            world: sandbox.world.clone(),
            endpoint: sandbox.endpoint.clone(),
            instance,
            counter: 0,
            bin: bin.into(),
            _sandbox: sandbox,
        };
        rig.write_config(sample_seconds, "active_consumers");
        rig.write_source("users", USERS);
        rig.write_source("blue", HOSTS.0);
        rig.write_source("green", HOSTS.1);
        rig.write_source("gb", 0);
        rig
    }

    /// A path in the state directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes the agent's configuration; `users_key` names the first dimension (a wrong key
    /// tests the refusal).
    pub fn write_config(&self, sample_seconds: u64, users_key: &str) {
        let d = self.dir.path().display();
        let text = format!(
            r#"[agent]
state_dir = "{d}/state"
sample_seconds = {sample_seconds}
imds_endpoint = "{e}/_imds/{i}"
metering_endpoint = "{e}"
clock = "sandbox"

[[dimension]]
key = "{users_key}"
kind = "gauge"
aggregate = "average"
source = {{ command = "cat {d}/users" }}

[[dimension]]
key = "processed_gb"
kind = "counter"
source = {{ file = "{d}/gb" }}

[[dimension]]
key = "managed_hosts"
kind = "gauge"
aggregate = "max"
[[dimension.allocations]]
tags = {{ pool = "blue" }}
source = {{ file = "{d}/blue" }}
[[dimension.allocations]]
tags = {{ pool = "green" }}
source = {{ file = "{d}/green" }}
"#,
            e = self.endpoint,
            i = self.instance
        );
        std::fs::write(self.path("meter.toml"), text).unwrap();
    }

    /// Replaces a source file at once (write aside, rename), as a real exporter should.
    pub fn write_source(&self, name: &str, value: i64) {
        let tmp = self.path(&format!("{name}.tmp"));
        std::fs::write(&tmp, format!("{value}\n")).unwrap();
        std::fs::rename(tmp, self.path(name)).unwrap();
    }

    /// Adds `n` to the processed-data counter.
    pub fn grow(&mut self, n: i64) {
        self.counter += n;
        self.write_source("gb", self.counter);
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .arg("--config")
            .arg(self.path("meter.toml"))
            .stdin(Stdio::null());
        c
    }

    /// `amipub-meter <args> --config <dir>/meter.toml` run to its end (killed after two
    /// minutes).
    pub fn output(&self, args: &[&str]) -> Output {
        process::run(&mut self.command(args), COMMAND_LIMIT).expect("amipub-meter starts")
    }

    /// Starts the agent, its log appended to `agent.log`.
    pub fn spawn(&self) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path("agent.log"))
            .unwrap();
        process::spawn(
            self.command(&["run"])
                .stdout(Stdio::null())
                .stderr(Stdio::from(log)),
        )
        .expect("amipub-meter starts")
    }

    /// Stops an agent with SIGTERM and waits for it (at most 20 s); its exit status.
    pub fn terminate(&self, mut agent: Child) -> ExitStatus {
        agent
            .terminate(Duration::from_secs(20))
            .expect("the agent did not stop on SIGTERM")
    }

    /// The agent's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("agent.log")).unwrap_or_default()
    }

    /// The sandbox's virtual now, epoch seconds.
    pub fn now(&self) -> i64 {
        lock(&self.world).clock.now().timestamp()
    }

    /// Waits (real time, bounded) until the virtual clock reaches `t`.
    pub fn wait_until(&self, t: i64) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.now() < t {
            assert!(Instant::now() < deadline, "virtual time stalled");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until `cond` holds, at most `secs` real seconds.
    pub fn wait_for(&self, secs: u64, what: &str, mut cond: impl FnMut(&Rig) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; agent log:\n{}",
                tail(&self.log())
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every record the Metering Service accepted.
    pub fn accepted(&self) -> Vec<Accepted> {
        let w = lock(&self.world);
        w.metering
            .records
            .values()
            .map(|r| Accepted {
                dimension: r.dimension.clone(),
                hour: r.hour,
                quantity: r.quantity,
                allocations: r.allocations.clone(),
                received: r.received,
            })
            .collect()
    }

    /// Accepted records by dimension → hour → quantity.
    pub fn by_dimension(&self) -> BTreeMap<String, BTreeMap<i64, i64>> {
        let mut out: BTreeMap<String, BTreeMap<i64, i64>> = BTreeMap::new();
        for a in self.accepted() {
            out.entry(a.dimension)
                .or_default()
                .insert(a.hour, a.quantity);
        }
        out
    }

    /// MeterUsage requests the sandbox answered, with their error codes.
    pub fn meter_calls(&self) -> Vec<(String, Option<String>)> {
        lock(&self.world)
            .requests
            .iter()
            .filter(|r| r.operation == "MeterUsage")
            .map(|r| (r.at.clone(), r.error.clone()))
            .collect()
    }

    /// `amipub-meter status --json --all`.
    pub fn status(&self) -> serde_json::Value {
        let out = self.output(&["status", "--json", "--all"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Cuts the instance off the Metering Service (every call's connection is reset), or heals it.
    pub fn cut_network(&self, cut: bool) {
        lock(&self.world).config.faults = if cut {
            vec![rule(FaultKind::Reset, 1.0)]
        } else {
            Vec::new()
        };
    }

    /// Replaces the sandbox's fault rules.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        lock(&self.world).config.faults = rules;
    }

    /// Subscribes the buyer to the metered product, or lets the subscription lapse.
    pub fn entitle(&self, entitled: bool) {
        let key = format!("{BUYER_ACCOUNT}/{METERED_PRODUCT_CODE}");
        let mut w = lock(&self.world);
        if entitled {
            w.metering.entitlements.insert(key);
        } else {
            w.metering.entitlements.remove(&key);
        }
    }
}

/// A fault rule on the Metering Service.
pub fn rule(kind: FaultKind, probability: f64) -> FaultRule {
    FaultRule {
        service: "aws-marketplace".into(),
        operation: "MeterUsage".into(),
        region: String::new(),
        kind,
        probability,
        latency_ms: 0,
    }
}

/// The last lines of a log.
pub fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
