//! The admin API under `/_sandbox/`: seed worlds and resources, inspect state and the request log,
//! move virtual time, save and load state, and play the Marketplace team that processes
//! second-party load forms. JSON in (a workbook's raw bytes for a load form), JSON out.
//!
//! | method | path | body | does |
//! |---|---|---|---|
//! | GET | `/_sandbox/health` | | `{"ok": true}` |
//! | GET | `/_sandbox/state` | | resource counts, virtual time, time scale |
//! | GET | `/_sandbox/requests` | | every logged request (`?operation=CopyImage` filters) |
//! | POST | `/_sandbox/time` | `{"advance": secs, "scale": x}` | moves or re-speeds virtual time |
//! | POST | `/_sandbox/worlds/NAME` | | seeds a built-in world |
//! | POST | `/_sandbox/accounts` | `{"id", "name", "access_keys", "enabled_regions", "partition"}` | adds an account |
//! | POST | `/_sandbox/images` | `{"owner", "region", "name", …}` | adds an available image |
//! | POST | `/_sandbox/instance-types` | `{"name", "architectures", "current_generation"}` | adds (or changes) an instance type every Region offers (DescribeInstanceTypes) |
//! | POST | `/_sandbox/save` / `/_sandbox/load` | `{"path"}` | writes / reads the state file |
//! | POST | `/_sandbox/config` | any sandbox settings, e.g. `{"scan_seconds": 60}` | changes settings |
//! | POST | `/_sandbox/scan` | `{"ami": "ami-…", "verdict": "fail", "controls": ["SSH_ROOT_LOGIN"]}` | sets the scan verdict of one AMI (all AMIs without `ami`) and, for `fail`, the assessment controls that fail (default `KNOWN_VULNERABILITIES`) |
//! | GET | `/_sandbox/config` | | the current settings |
//! | POST | `/_sandbox/instances` | `{"account", "region", "image_id", "instance_type", "may_meter"}` | launches an instance; answers its id, keys and IMDS path |
//! | POST | `/_sandbox/entitlements` | `{"account", "product_code", "entitled"}` | grants or revokes a subscription |
//! | GET | `/_sandbox/metering` | | every accepted usage record |
//! | POST | `/_sandbox/faults` | `{"rules": [{"service", "operation", "region", "kind", "probability", "latency_ms", "delay_seconds"}]}` | replaces the fault rules (`kind`: `throttle`, `server_error`, `reset`, `latency`, `deny`, `drop_share`; `operation` may be `Name/resource-id`; with service `events`: `drop_event`, `duplicate_event`, `delay_event` with `delay_seconds`, `operation` a detail type such as `Change Set Succeeded`); a rule that could never fire as written is refused with 400 |
//! | POST | `/_sandbox/marketplace/forms?submitted_by=…&ticket_url=…` | the raw `.xlsx` bytes of a filled second-party load form (query optional) | opens a ticket: `{"ticket": "2p-…", "status": "submitted", …}` (processed at once with `second_party_auto_process`) |
//! | GET | `/_sandbox/marketplace/forms` | | `{"tickets": […]}` |
//! | GET | `/_sandbox/marketplace/forms/TICKET` | | `{"ticket", "status": "submitted"/"accepted"/"published"/"rejected", "reason", "product", "version", "regions", "versions", …}` |
//! | POST | `/_sandbox/marketplace/forms/TICKET/process` | | the Marketplace team checks the form now: `{"ticket", "status": "accepted"/"rejected", "reason", …}`; publishing follows after `second_party_publish_delay_seconds` |

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Response, Uri};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::world::ec2::{Ec2, Image, Snapshot};
use crate::world::iam::Iam;
use crate::world::{Account, Principal, World};
use crate::world::{Shared, lock};

/// What a state file holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedState {
    /// Format version.
    pub version: u32,
    /// Virtual seconds since start.
    pub elapsed: f64,
    /// Accounts.
    pub accounts: BTreeMap<String, Account>,
    /// Access keys.
    pub keys: BTreeMap<String, Principal>,
    /// EC2.
    pub ec2: Ec2,
    /// IAM.
    pub iam: Iam,
    /// SSM.
    #[serde(default)]
    pub ssm: crate::world::ssm::Ssm,
    /// Catalog.
    #[serde(default)]
    pub catalog: crate::world::catalog::Catalog,
    /// AMI security assessments.
    #[serde(default)]
    pub assessments: crate::world::assessments::Assessments,
    /// SQS.
    #[serde(default)]
    pub sqs: crate::world::sqs::Sqs,
    /// Metering.
    #[serde(default)]
    pub metering: crate::world::metering::Metering,
}

impl SavedState {
    /// Captures the world.
    pub fn of(world: &World) -> Self {
        Self {
            version: 1,
            elapsed: world.clock.elapsed(),
            accounts: world.accounts.clone(),
            keys: world.keys.clone(),
            ec2: world.ec2.clone(),
            iam: world.iam.clone(),
            ssm: world.ssm.clone(),
            catalog: world.catalog.clone(),
            assessments: world.assessments.clone(),
            sqs: world.sqs.clone(),
            metering: world.metering.clone(),
        }
    }

    /// Restores it into `world`, including virtual time.
    pub fn restore(self, world: &mut World) {
        world.accounts = self.accounts;
        world.keys = self.keys;
        world.ec2 = self.ec2;
        world.iam = self.iam;
        world.ssm = self.ssm;
        world.catalog = self.catalog;
        world.assessments = self.assessments;
        world.sqs = self.sqs;
        world.metering = self.metering;
        let now = world.clock.elapsed();
        if self.elapsed > now {
            world.clock.advance(self.elapsed - now);
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeBody {
    #[serde(default)]
    advance: Option<f64>,
    #[serde(default)]
    scale: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountBody {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    access_keys: Vec<String>,
    #[serde(default)]
    enabled_regions: Vec<String>,
    #[serde(default)]
    partition: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageBody {
    owner: String,
    region: String,
    name: String,
    #[serde(default = "x86")]
    architecture: String,
    #[serde(default = "hvm")]
    virtualization: String,
    #[serde(default = "ebs")]
    root_device_type: String,
    #[serde(default = "yes")]
    ena_support: bool,
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    launch_users: Vec<String>,
    #[serde(default)]
    product_codes: Vec<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
}

fn x86() -> String {
    "x86_64".into()
}
fn hvm() -> String {
    "hvm".into()
}
fn ebs() -> String {
    "ebs".into()
}
fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsBody {
    rules: Vec<crate::faults::FaultRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceBody {
    account: String,
    region: String,
    image_id: String,
    #[serde(default = "default_type")]
    instance_type: String,
    #[serde(default = "yes")]
    may_meter: bool,
}

fn default_type() -> String {
    "m5.large".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntitlementBody {
    account: String,
    product_code: String,
    #[serde(default = "yes")]
    entitled: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    #[serde(default)]
    ami: Option<String>,
    verdict: String,
    #[serde(default)]
    controls: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PathBody {
    path: String,
}

/// Handles one admin request.
pub fn handle(shared: &Shared, method: &Method, uri: &Uri, body: &[u8]) -> Response<Body> {
    let path = uri.path().trim_end_matches('/');
    let mut world = lock(shared);
    let result: Result<Value, (u16, String)> = match (method.as_str(), path) {
        ("GET", "/_sandbox/health") => Ok(json!({ "ok": true })),
        ("GET", "/_sandbox/state") => Ok(state(&world)),
        ("GET", "/_sandbox/requests") => {
            let op = uri.query().and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "operation").map(|(_, v)| v.into_owned()));
            let list: Vec<_> = world.requests.iter().filter(|r| op.as_ref().is_none_or(|o| &r.operation == o)).collect();
            Ok(json!({ "requests": list }))
        }
        ("POST", "/_sandbox/time") => parse::<TimeBody>(body).map(|t| {
            if let Some(s) = t.scale {
                world.clock.set_scale(s);
            }
            if let Some(a) = t.advance {
                world.clock.advance(a);
            }
            json!({ "now": world.now_iso(), "elapsed": world.clock.elapsed(), "scale": world.clock.scale() })
        }),
        ("POST", "/_sandbox/accounts") => parse::<AccountBody>(body).and_then(|a| {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                return Err((400, format!("account id {:?} must be 12 digits", a.id)));
            }
            let keys: Vec<&str> = a.access_keys.iter().map(String::as_str).collect();
            world.add_account(&a.id, a.name.as_deref().unwrap_or(&a.id), &keys);
            if let Some(acct) = world.accounts.get_mut(&a.id) {
                acct.enabled_regions.extend(a.enabled_regions);
                if a.partition.is_some() {
                    acct.partition = a.partition;
                }
            }
            Ok(json!({ "id": a.id }))
        }),
        ("POST", "/_sandbox/images") => parse::<ImageBody>(body).and_then(|b| add_image(&mut world, b)),
        ("POST", "/_sandbox/instance-types") => parse::<InstanceTypeBody>(body).and_then(|b| add_instance_type(&mut world, b)),
        ("POST", "/_sandbox/save") => parse::<PathBody>(body).and_then(|b| {
            let text = serde_json::to_string(&SavedState::of(&world)).map_err(|e| (500, e.to_string()))?;
            std::fs::write(&b.path, text).map_err(|e| (400, format!("cannot write {}: {e}", b.path)))?;
            Ok(json!({ "saved": b.path }))
        }),
        ("POST", "/_sandbox/load") => parse::<PathBody>(body).and_then(|b| {
            let text = std::fs::read_to_string(&b.path).map_err(|e| (400, format!("cannot read {}: {e}", b.path)))?;
            let saved: SavedState = serde_json::from_str(&text).map_err(|e| (400, format!("{} is not a sandbox state file: {e}", b.path)))?;
            saved.restore(&mut world);
            Ok(state(&world))
        }),
        ("GET", "/_sandbox/config") => serde_json::to_value(&world.config).map_err(|e| (500, e.to_string())),
        ("POST", "/_sandbox/config") => parse::<serde_json::Map<String, Value>>(body).and_then(|changes| {
            let reseed = changes.contains_key("seed");
            let mut current = serde_json::to_value(&world.config).map_err(|e| (500, e.to_string()))?;
            for (k, v) in changes {
                current[k] = v;
            }
            let config: crate::config::SandboxConfig = serde_json::from_value(current).map_err(|e| (400, format!("bad settings: {e}")))?;
            if config.time_scale != world.clock.scale() {
                world.clock.set_scale(config.time_scale);
            }
            world.config = config;
            if reseed {
                // Only fault decisions restart; ids must never repeat.
                world.fault_rng = crate::idgen::IdGen::new(world.config.seed ^ 0xFA17);
            }
            serde_json::to_value(&world.config).map_err(|e| (500, e.to_string()))
        }),
        ("POST", "/_sandbox/scan") => parse::<ScanBody>(body).and_then(|b| {
            if !matches!(b.verdict.as_str(), "pass" | "fail") {
                return Err((400, "verdict must be pass or fail".to_owned()));
            }
            if let Some(controls) = b.controls.clone() {
                if b.verdict != "fail" {
                    return Err((400, "controls name the failing controls of a fail verdict".to_owned()));
                }
                world.assessments.choose(b.ami.as_deref(), controls).map_err(|e| (400, e))?;
            }
            match b.ami {
                Some(ami) => world.catalog.scan_overrides.insert(ami, b.verdict.clone()),
                None => Some(std::mem::replace(&mut world.config.scan_verdict, b.verdict.clone())),
            };
            Ok(json!({ "verdict": b.verdict }))
        }),
        ("POST", "/_sandbox/instances") => parse::<InstanceBody>(body).and_then(|b| launch(&mut world, b)),
        ("POST", "/_sandbox/entitlements") => parse::<EntitlementBody>(body).map(|b| {
            let key = format!("{}/{}", b.account, b.product_code);
            if b.entitled {
                world.metering.entitlements.insert(key);
            } else {
                world.metering.entitlements.remove(&key);
            }
            json!({ "entitled": b.entitled })
        }),
        ("POST", "/_sandbox/faults") => parse::<FaultsBody>(body).map(|b| {
            world.config.faults = b.rules;
            json!({ "rules": world.config.faults })
        }),
        (m, p) if p.starts_with(crate::catalog::second_party::FORMS) => {
            // Publications that came due are made before a ticket is read or processed.
            crate::catalog::lifecycle::tick(&mut world);
            crate::catalog::second_party::admin(&mut world, m, p, uri.query(), body)
        }
        ("GET", "/_sandbox/metering") => Ok(json!({ "records": world.metering.records.values().collect::<Vec<_>>() })),
        ("POST", p) if p.starts_with("/_sandbox/worlds/") => {
            let name = &p["/_sandbox/worlds/".len()..];
            crate::worlds::seed(&mut world, name).map(|_| state(&world)).map_err(|e| (404, e.message))
        }
        _ => Err((404, format!("no admin route {method} {path}; see the table in the sandbox's admin module docs"))),
    };
    let (status, value) = match result {
        Ok(v) => (200, v),
        Err((s, msg)) => (s, json!({ "error": msg })),
    };
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(value.to_string()))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, (u16, String)> {
    serde_json::from_slice(if body.is_empty() { b"{}" } else { body })
        .map_err(|e| (400, format!("bad JSON body: {e}")))
}

fn state(world: &World) -> Value {
    let now = world.clock.elapsed();
    let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
    for i in world.ec2.images.values() {
        *by_state.entry(i.state(now)).or_default() += 1;
    }
    json!({
        "now": world.now_iso(),
        "elapsed": now,
        "scale": world.clock.scale(),
        "accounts": world.accounts.len(),
        "images": by_state,
        "snapshots": world.ec2.snapshots.len(),
        "roles": world.iam.roles.len(),
        "parameters": world.ssm.parameters.len(),
        "entities": world.catalog.entities.len(),
        "change_sets": world.catalog.change_sets.len(),
        "open_change_sets": world.catalog.change_sets.values().filter(|c| c.open()).count(),
        "requests": world.requests.len(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceTypeBody {
    name: String,
    architectures: Vec<String>,
    #[serde(default = "yes")]
    current_generation: bool,
}

fn add_instance_type(world: &mut World, b: InstanceTypeBody) -> Result<Value, (u16, String)> {
    let known = ["x86_64", "arm64", "i386"];
    if b.name.parse::<amipub_domain::ids::InstanceType>().is_err() {
        return Err((400, format!("{:?} is not an instance type name", b.name)));
    }
    if b.architectures.is_empty() || b.architectures.iter().any(|a| !known.contains(&a.as_str())) {
        return Err((400, format!("architectures must be some of {known:?}")));
    }
    let t = crate::world::ec2::InstanceType {
        current_generation: b.current_generation,
        architectures: b.architectures,
    };
    world.ec2.instance_types.insert(b.name.clone(), t);
    Ok(json!({ "name": b.name }))
}

fn add_image(world: &mut World, b: ImageBody) -> Result<Value, (u16, String)> {
    if amipub_domain::catalog_data::region(&b.region).is_none() {
        return Err((400, format!("unknown Region {}", b.region)));
    }
    world.add_account(&b.owner, &b.owner, &[]);
    let id = world.ids.resource("ami");
    let snap = world.ids.resource("snap");
    let now = world.now_iso();
    world.ec2.snapshots.insert(
        snap.clone(),
        Snapshot {
            id: snap.clone(),
            region: b.region.clone(),
            owner: b.owner.clone(),
            volume_size: 8,
            encrypted: b.encrypted,
            kms_key_id: b.encrypted.then(|| "alias/aws/ebs".to_owned()),
            start_time: now.clone(),
            description: None,
            public: false,
            volume_users: Default::default(),
            tags: Default::default(),
        },
    );
    world.ec2.images.insert(
        id.clone(),
        Image {
            id: id.clone(),
            region: b.region,
            owner: b.owner,
            name: b.name,
            description: None,
            architecture: b.architecture,
            virtualization: b.virtualization,
            root_device_type: b.root_device_type,
            ena_support: b.ena_support,
            snapshots: vec![snap.clone()],
            volume_size: 8,
            creation_date: now,
            ready_at: 0.0,
            fails: false,
            deregistered: false,
            public: b.public,
            launch_users: b.launch_users.into_iter().collect(),
            product_codes: b.product_codes,
            tags: b.tags,
            source: None,
            deprecation_time: None,
            last_launched: None,
        },
    );
    Ok(json!({ "image_id": id, "snapshot_id": snap }))
}

fn launch(world: &mut World, b: InstanceBody) -> Result<Value, (u16, String)> {
    let now = world.clock.elapsed();
    world.add_account(&b.account, &b.account, &[]);
    let image = world
        .ec2
        .images
        .get(&b.image_id)
        .filter(|i| i.region == b.region && i.visible_to(&b.account) && i.state(now) == "available")
        .cloned()
        .ok_or_else(|| {
            (
                400,
                format!(
                    "{} is not an available image that {} can launch in {}",
                    b.image_id, b.account, b.region
                ),
            )
        })?;
    let launched_at = world.now_iso();
    if let Some(i) = world.ec2.images.get_mut(&b.image_id) {
        i.last_launched = Some(launched_at);
    }
    let id = world.ids.resource("i");
    let key = format!("ASIA{}", world.ids.alnum(16).to_uppercase());
    world.keys.insert(
        key.clone(),
        Principal {
            account: b.account.clone(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{id}",
                b.account,
                crate::imds::INSTANCE_ROLE
            ),
            role: Some(crate::imds::INSTANCE_ROLE.to_owned()),
        },
    );
    for code in &image.product_codes {
        world
            .metering
            .entitlements
            .insert(format!("{}/{code}", b.account));
    }
    world.metering.instances.insert(
        id.clone(),
        crate::world::metering::Instance {
            id: id.clone(),
            account: b.account,
            region: b.region,
            image_id: image.id.clone(),
            product_codes: image.product_codes.clone(),
            instance_type: b.instance_type,
            launched: now,
            access_key: key.clone(),
            may_meter: b.may_meter,
            tokens: Default::default(),
        },
    );
    Ok(
        json!({ "instance_id": id, "access_key_id": key, "secret_access_key": "sandbox", "imds_path": format!("/_imds/{id}") }),
    )
}
