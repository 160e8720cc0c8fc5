//! Writes the generated seeds of `fuzz/corpus/<target>/` from the project's own examples,
//! fixtures and builders (`scripts/fuzz --seeds` runs it): the example specs, the Fedora
//! messages as deliveries, real-shaped requests of every API the sandbox serves (the Catalog's
//! `StartChangeSet` bodies are the example specs' own creation plans), metering journals written
//! through the agent's ledger, and sample load-form workbooks. Each seed is a file named
//! `seed-…`; files of other names (`regression-…`, inputs that once crashed a target) are left
//! alone. The output is the same on every run, so regenerating changes nothing unless a source
//! did.

#[allow(dead_code, unused_imports)]
#[path = "../../../crates/meter/src/config.rs"]
mod config;
#[allow(dead_code)]
#[path = "../../../crates/meter/src/ledger.rs"]
mod ledger;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use amipub_domain::changeset::plan::plan_create;
use amipub_domain::validate::validate_text;
use amipub_fuzz::{delivery, workbook};
use serde_json::{Value, json};

use ledger::{Event, Identity, Ledger};

type Seeds = Vec<(String, Vec<u8>)>;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let corpus = root.join("fuzz/corpus");
    let sets: [(&str, Result<Seeds, String>); 7] = [
        ("spec", specs(&root)),
        ("bus_intake", deliveries(&root)),
        ("sandbox_query", Ok(query_requests())),
        ("sandbox_json", Ok(json_requests())),
        ("sandbox_rest", rest_requests(&root)),
        ("meter_journal", journals(&root)),
        ("loadform_template", workbooks()),
    ];
    for (target, seeds) in sets {
        let written = seeds.and_then(|s| write(&corpus.join(target), &s));
        match written {
            Ok(n) => println!("{target}: {n} seeds"),
            Err(e) => {
                eprintln!("seeds: {target}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn write(dir: &Path, seeds: &Seeds) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, bytes) in seeds {
        let path = dir.join(format!("seed-{name}"));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(seeds.len())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn example_specs(root: &Path) -> Vec<PathBuf> {
    ["fedora-cloud-base", "nginx-free", "metered-appliance"]
        .iter()
        .map(|n| root.join(format!("examples/products/{n}.toml")))
        .collect()
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The example specs and the invalid-spec corpus's base.
fn specs(root: &Path) -> Result<Seeds, String> {
    let mut out = Seeds::new();
    for path in example_specs(root) {
        out.push((
            format!("{}.toml", file_stem(&path)),
            read(&path)?.into_bytes(),
        ));
    }
    let base = root.join("crates/domain/tests/corpus/base.toml");
    out.push(("base.toml".into(), read(&base)?.into_bytes()));
    Ok(out)
}

/// The Fedora messages as they arrive, and the kinds of delivery the intake must turn away.
fn deliveries(root: &Path) -> Result<Seeds, String> {
    let mut out = Seeds::new();
    let dir = root.join("fixtures/fedora-messaging");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut first = None;
    for path in files {
        let m: Value = serde_json::from_str(&read(&path)?).map_err(|e| e.to_string())?;
        let p = &m["properties"];
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let d = delivery::Framed {
            routing_key: text(&m["routing_key"]).unwrap_or_default(),
            content_type: text(&p["content_type"]),
            content_encoding: text(&p["content_encoding"]),
            schema: text(&p["headers"]["fedora_messaging_schema"]),
            body: serde_json::to_vec(&m["body"]).map_err(|e| e.to_string())?,
        };
        first.get_or_insert_with(|| d.clone());
        out.push((format!("{}.msg", file_stem(&path)), delivery::encode(&d)));
    }
    let Some(good) = first else {
        return Err(format!("no messages in {}", dir.display()));
    };
    let variants: [(&str, delivery::Framed); 6] = [
        (
            "wrong-content-type",
            delivery::Framed {
                content_type: Some("text/plain".into()),
                ..good.clone()
            },
        ),
        (
            "no-schema-header",
            delivery::Framed {
                schema: None,
                ..good.clone()
            },
        ),
        (
            "not-json",
            delivery::Framed {
                body: b"{\"release\": 41,".to_vec(),
                ..good.clone()
            },
        ),
        (
            "schema-broken",
            delivery::Framed {
                body: br#"{"architecture":"x86_64","release":"forty-one","regions":[]}"#.to_vec(),
                ..good.clone()
            },
        ),
        (
            "other-topic",
            delivery::Framed {
                routing_key: "org.fedoraproject.prod.bodhi.update.comment".into(),
                schema: Some("bodhi.update.comment.v1".into()),
                ..good.clone()
            },
        ),
        (
            "own-announcement",
            delivery::Framed {
                routing_key: "org.fedoraproject.prod.amipub.release.published.v1".into(),
                schema: Some("amipub.release.published.v1".into()),
                body: br#"{"release_id":"r-0133ca3f8bf2","product":"fedora-cloud-base-x86-64"}"#
                    .to_vec(),
                ..good
            },
        ),
    ];
    for (name, d) in variants {
        out.push((format!("{name}.msg"), delivery::encode(&d)));
    }
    Ok(out)
}

/// An AMI of the fedora world (from the Fedora 41 x86_64 message).
const AMI: &str = "ami-0ca75c98c070e44a5";
/// AWS Marketplace's account, which AMIs and snapshots are shared with.
const MARKETPLACE: &str = "679593333241";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion";

fn request(head: &str, body: &str) -> Vec<u8> {
    format!("{head}\n{body}").into_bytes()
}

/// EC2, IAM and STS requests as the SDKs send them.
fn query_requests() -> Seeds {
    let ec2 = "seller ec2 us-east-1 /";
    let v = "Version=2016-11-15";
    let cases: Vec<(&str, String, String)> = vec![
        ("describe-images-by-name", ec2.into(), format!("Action=DescribeImages&{v}&Owner.1=125523088429&Filter.1.Name=name&Filter.1.Value.1=Fedora-Cloud-Base-*&Filter.2.Name=state&Filter.2.Value.1=available")),
        ("describe-images-by-id", ec2.into(), format!("Action=DescribeImages&{v}&ImageId.1={AMI}&IncludeDeprecated=true")),
        ("describe-images-buyer", "buyer ec2 eu-west-1 /".into(), format!("Action=DescribeImages&{v}&ExecutableBy.1=self&MaxResults=5")),
        ("copy-image", "seller ec2 eu-west-1 /".into(), format!("Action=CopyImage&{v}&SourceRegion=us-east-1&SourceImageId={AMI}&Name=Fedora-Cloud-Base-41&Description=Fedora%2041&ClientToken=amipub-r-0133ca3f8bf2-eu-west-1&TagSpecification.1.ResourceType=image&TagSpecification.1.Tag.1.Key=amipub%3Arelease&TagSpecification.1.Tag.1.Value=r-0133ca3f8bf2")),
        ("create-tags", ec2.into(), format!("Action=CreateTags&{v}&ResourceId.1={AMI}&Tag.1.Key=amipub%3Aretired&Tag.1.Value=2026-01-05")),
        ("delete-tags", ec2.into(), format!("Action=DeleteTags&{v}&ResourceId.1={AMI}&Tag.1.Key=amipub%3Aretired")),
        ("describe-image-attribute", ec2.into(), format!("Action=DescribeImageAttribute&{v}&ImageId={AMI}&Attribute=launchPermission")),
        ("modify-image-attribute", ec2.into(), format!("Action=ModifyImageAttribute&{v}&ImageId={AMI}&LaunchPermission.Add.1.UserId={MARKETPLACE}")),
        ("describe-snapshots", "fedora ec2 us-east-1 /".into(), format!("Action=DescribeSnapshots&{v}&Owner.1=self&MaxResults=20")),
        ("describe-snapshot-attribute", ec2.into(), format!("Action=DescribeSnapshotAttribute&{v}&SnapshotId=snap-0123456789abcdef0&Attribute=createVolumePermission")),
        ("modify-snapshot-attribute", ec2.into(), format!("Action=ModifySnapshotAttribute&{v}&SnapshotId=snap-0123456789abcdef0&Attribute=createVolumePermission&OperationType=add&UserId.1={MARKETPLACE}")),
        ("enable-deprecation", ec2.into(), format!("Action=EnableImageDeprecation&{v}&ImageId={AMI}&DeprecateAt=2027-01-05T00%3A00%3A00.000Z")),
        ("disable-deprecation", ec2.into(), format!("Action=DisableImageDeprecation&{v}&ImageId={AMI}")),
        ("deregister-image", ec2.into(), format!("Action=DeregisterImage&{v}&ImageId={AMI}")),
        ("delete-snapshot", ec2.into(), format!("Action=DeleteSnapshot&{v}&SnapshotId=snap-0123456789abcdef0")),
        ("describe-regions", ec2.into(), format!("Action=DescribeRegions&{v}&AllRegions=true")),
        ("describe-regions-in-url", "seller ec2 us-east-1 /?Action=DescribeRegions&Version=2016-11-15".into(), String::new()),
        ("describe-images-govcloud", "govcloud ec2 us-gov-west-1 /".into(), format!("Action=DescribeImages&{v}&Owner.1=self")),
        ("iam-get-role", "seller iam us-east-1 /".into(), "Action=GetRole&Version=2010-05-08&RoleName=AwsMarketplaceAmiIngestion".into()),
        ("iam-create-role", "seller iam us-east-1 /".into(), "Action=CreateRole&Version=2010-05-08&RoleName=AmipubTest&Path=%2F&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22assets.marketplace.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D&Description=test".into()),
        ("iam-attached-policies", "seller iam us-east-1 /".into(), "Action=ListAttachedRolePolicies&Version=2010-05-08&RoleName=AwsMarketplaceAmiIngestion".into()),
        ("iam-get-policy", "seller iam us-east-1 /".into(), "Action=GetPolicy&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2FAWSMarketplaceAmiIngestion".into()),
        ("iam-get-policy-version", "seller iam us-east-1 /".into(), "Action=GetPolicyVersion&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Fservice-role%2FAWSMarketplaceAmiIngestion&VersionId=v1".into()),
        ("iam-delete-role", "seller iam us-east-1 /".into(), "Action=DeleteRole&Version=2010-05-08&RoleName=AmipubTest".into()),
        ("sts-caller-identity", "seller sts us-east-1 /".into(), "Action=GetCallerIdentity&Version=2011-06-15".into()),
        ("sts-assume-role", "seller sts us-east-1 /".into(), format!("Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=amipub&DurationSeconds=900", ROLE_ARN.replace(':', "%3A").replace('/', "%2F"))),
        ("sts-by-account-key", "111122223333 sts us-east-1 /".into(), "Action=GetCallerIdentity&Version=2011-06-15".into()),
    ];
    cases
        .into_iter()
        .map(|(name, head, body)| (format!("{name}.req"), request(&head, &body)))
        .collect()
}

/// SSM, SQS and Metering Service requests as the SDKs send them.
fn json_requests() -> Seeds {
    let ssm = |op: &str| format!("seller ssm us-east-1 AmazonSSM.{op}");
    let sqs = |op: &str| format!("seller sqs us-east-1 AmazonSQS.{op}");
    let param = "/amipub/fedora-cloud-base-x86-64/latest";
    let queue = "http://localhost:4566/111122223333/amipub-catalog-events";
    let cases: Vec<(&str, String, Value)> = vec![
        (
            "ssm-put",
            ssm("PutParameter"),
            json!({"Name": param, "Value": AMI, "Type": "String", "DataType": "aws:ec2:image", "Overwrite": true, "Description": "Fedora 41"}),
        ),
        (
            "ssm-put-tags",
            ssm("PutParameter"),
            json!({"Name": "/amipub/x/41", "Value": AMI, "Type": "String", "DataType": "aws:ec2:image", "Tags": [{"Key": "amipub:product", "Value": "x"}]}),
        ),
        (
            "ssm-get",
            ssm("GetParameter"),
            json!({"Name": param, "WithDecryption": false}),
        ),
        (
            "ssm-get-many",
            ssm("GetParameters"),
            json!({"Names": [param, "/amipub/none"]}),
        ),
        (
            "ssm-by-path",
            ssm("GetParametersByPath"),
            json!({"Path": "/amipub", "Recursive": true, "MaxResults": 10}),
        ),
        (
            "ssm-history",
            ssm("GetParameterHistory"),
            json!({"Name": param, "MaxResults": 50}),
        ),
        (
            "ssm-label",
            ssm("LabelParameterVersion"),
            json!({"Name": param, "ParameterVersion": 1, "Labels": ["f41"]}),
        ),
        ("ssm-delete", ssm("DeleteParameter"), json!({"Name": param})),
        (
            "ssm-delete-many",
            ssm("DeleteParameters"),
            json!({"Names": [param]}),
        ),
        (
            "sqs-create",
            sqs("CreateQueue"),
            json!({"QueueName": "amipub-test", "Attributes": {"VisibilityTimeout": "30"}}),
        ),
        (
            "sqs-url",
            sqs("GetQueueUrl"),
            json!({"QueueName": "amipub-catalog-events"}),
        ),
        (
            "sqs-send",
            sqs("SendMessage"),
            json!({"QueueUrl": queue, "MessageBody": "{\"detail-type\":\"Change Set Succeeded\"}"}),
        ),
        (
            "sqs-receive",
            sqs("ReceiveMessage"),
            json!({"QueueUrl": queue, "MaxNumberOfMessages": 10, "VisibilityTimeout": 30}),
        ),
        (
            "sqs-delete",
            sqs("DeleteMessage"),
            json!({"QueueUrl": queue, "ReceiptHandle": "rh-1"}),
        ),
        (
            "sqs-attributes",
            sqs("GetQueueAttributes"),
            json!({"QueueUrl": queue, "AttributeNames": ["All"]}),
        ),
        ("sqs-purge", sqs("PurgeQueue"), json!({"QueueUrl": queue})),
        (
            "meter-usage",
            "buyer aws-marketplace us-east-1 AWSMPMeteringService.MeterUsage".into(),
            json!({"ProductCode": "acmegatewayproductcode000", "Timestamp": 1_767_607_199, "UsageDimension": "managed_hosts", "UsageQuantity": 7, "DryRun": false, "UsageAllocations": [{"AllocatedUsageQuantity": 3, "Tags": [{"Key": "pool", "Value": "blue"}]}, {"AllocatedUsageQuantity": 4, "Tags": [{"Key": "pool", "Value": "green"}]}]}),
        ),
        (
            "meter-usage-dry-run",
            "buyer aws-marketplace us-east-1 AWSMPMeteringService.MeterUsage".into(),
            json!({"ProductCode": "acmegatewayproductcode000", "Timestamp": 1_767_607_199, "UsageDimension": "processed_gb", "UsageQuantity": 0, "DryRun": true}),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, head, body)| (format!("{name}.req"), request(&head, &body.to_string())))
        .collect()
}

/// The Catalog's routes: `StartChangeSet` with each example's creation plan, and the reads.
fn rest_requests(root: &Path) -> Result<Seeds, String> {
    let mut out = Seeds::new();
    for path in example_specs(root) {
        let (spec, _) = validate_text(&read(&path)?);
        let spec = spec.ok_or_else(|| format!("{} does not parse", path.display()))?;
        let plan = plan_create(&spec, None).map_err(|e| e.to_string())?;
        for (i, cs) in plan.change_sets.iter().enumerate() {
            let body = serde_json::to_string(&cs.request()).map_err(|e| e.to_string())?;
            let name = format!("start-change-set-{}-{i}.req", file_stem(&path));
            out.push((
                name,
                request("seller us-east-1 POST /StartChangeSet", &body),
            ));
        }
    }
    let product = "prod-fedoracbx8664";
    let arn = format!(
        "arn:aws:aws-marketplace:us-east-1:111122223333:AWSMarketplace/AmiProduct/{product}"
    );
    let cases: Vec<(&str, String, String)> = vec![
        ("describe-change-set", "GET /DescribeChangeSet?catalog=AWSMarketplace&changeSetId=cs-0123456789abcdefghijklmno".into(), String::new()),
        ("list-change-sets", "POST /ListChangeSets".into(), json!({"Catalog": "AWSMarketplace", "FilterList": [{"Name": "EntityId", "ValueList": [product]}, {"Name": "Status", "ValueList": ["APPLYING", "PREPARING"]}], "MaxResults": 20}).to_string()),
        ("cancel-change-set", "PATCH /CancelChangeSet?catalog=AWSMarketplace&changeSetId=cs-0123456789abcdefghijklmno".into(), String::new()),
        ("describe-entity", format!("GET /DescribeEntity?catalog=AWSMarketplace&entityId={product}"), String::new()),
        ("batch-describe", "POST /BatchDescribeEntities".into(), json!({"EntityRequestList": [{"Catalog": "AWSMarketplace", "EntityId": product}, {"Catalog": "AWSMarketplace", "EntityId": "offer-fedoracbx8664"}]}).to_string()),
        ("list-entities", "POST /ListEntities".into(), json!({"Catalog": "AWSMarketplace", "EntityType": "AmiProduct", "OwnershipType": "SELF", "MaxResults": 10}).to_string()),
        ("list-assessments", "POST /ListAssessments".into(), json!({"Catalog": "AWSMarketplace"}).to_string()),
        ("tag", "POST /TagResource".into(), json!({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "cloud"}]}).to_string()),
        ("untag", "POST /UntagResource".into(), json!({"ResourceArn": arn, "TagKeys": ["team"]}).to_string()),
        ("list-tags", "POST /ListTagsForResource".into(), json!({"ResourceArn": arn}).to_string()),
        ("put-policy", "POST /PutResourcePolicy".into(), json!({"ResourceArn": arn, "Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}).to_string()),
        ("get-policy", format!("GET /GetResourcePolicy?resourceArn={}", arn.replace(':', "%3A").replace('/', "%2F")), String::new()),
        ("delete-policy", format!("DELETE /DeleteResourcePolicy?resourceArn={}", arn.replace(':', "%3A").replace('/', "%2F")), String::new()),
    ];
    for (name, route, body) in cases {
        out.push((
            format!("{name}.req"),
            request(&format!("seller us-east-1 {route}"), &body),
        ));
    }
    Ok(out)
}

fn line(e: &Event) -> Result<Vec<u8>, String> {
    let mut l = serde_json::to_vec(e).map_err(|e| e.to_string())?;
    l.push(b'\n');
    Ok(l)
}

/// Journals as the agent writes them: a start, three hours of samples closed and delivered,
/// one expired; the same compacted into a snapshot; a torn last line; an unreadable line.
fn journals(root: &Path) -> Result<Seeds, String> {
    let text = read(&root.join("examples/meter/acme-gateway.toml"))?;
    let series = config::Config::parse(&text)?.series()?;
    let mut ledger = Ledger::default();
    let mut events = vec![Event::Started {
        identity: Identity {
            instance_id: "i-0123456789abcdef0".into(),
            product_code: "acmegatewayproductcode000".into(),
            region: "us-east-1".into(),
        },
    }];
    // Monday 5 January 2026, 07:00 UTC, then a sample every 20 minutes for three hours.
    let start = 1_767_596_400i64;
    for n in 0..9i64 {
        let at = start + n * 1200;
        let closes = ledger.closes_due(&series, at);
        for c in &closes {
            ledger.apply(c);
        }
        events.extend(closes);
        let values: BTreeMap<String, f64> = series
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), (n * 1_000_000_007 * (i as i64 + 1)) as f64))
            .collect();
        let sample = Event::Sample {
            at,
            hour: ledger.hour_for(at),
            values,
        };
        ledger.apply(&sample);
        events.push(sample);
    }
    let closes = ledger.closes_due(&series, start + 3 * 3600 + 60);
    for c in &closes {
        ledger.apply(c);
    }
    events.extend(closes);
    let pending: Vec<(i64, String)> = ledger
        .pending()
        .iter()
        .map(|r| (r.hour, r.dimension.clone()))
        .collect();
    for (i, (hour, dimension)) in pending.into_iter().enumerate() {
        events.push(if i == 0 {
            Event::Expired {
                hour,
                dimension,
                reason: "not delivered within six hours".into(),
            }
        } else {
            Event::Sent {
                hour,
                dimension,
                id: format!("mr-{i:04}"),
            }
        });
    }
    let mut full = Vec::new();
    for e in &events {
        full.extend(line(e)?);
    }
    let snapshot = line(&Event::Snapshot {
        ledger: Box::new(replay_all(&events)),
    })?;
    let mut torn = full.clone();
    torn.extend_from_slice(&line(&events[1])?[..20]);
    let mut damaged = line(&events[0])?;
    damaged.extend_from_slice(b"\xff\xfe not an event\n");
    damaged.extend(line(&events[1])?);
    Ok(vec![
        ("three-hours.jsonl".into(), full),
        (
            "snapshot.jsonl".into(),
            [snapshot, line(&events[2])?].concat(),
        ),
        ("torn-last-line.jsonl".into(), torn),
        ("unreadable-line.jsonl".into(), damaged),
    ])
}

fn replay_all(events: &[Event]) -> Ledger {
    let mut l = Ledger::default();
    for e in events {
        l.apply(e);
    }
    l
}

/// Sample load forms: one as a workbook (deflated, as Excel writes them), one (fewer Regions, so
/// smaller) as its parts.
fn workbooks() -> Result<Seeds, String> {
    let parts = |regions: &[&str], types: &[&str]| -> Result<Vec<u8>, String> {
        let xlsx = amipub_loadform::sample::template(regions, types).map_err(|e| e.to_string())?;
        let parts = workbook::encode(&xlsx).ok_or("the sample workbook does not unpack")?;
        Ok(fixed_times(parts))
    };
    let full = parts(
        &["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"],
        &["t3.micro", "m6i.large"],
    )?;
    let full = workbook::pack(&full, zip::CompressionMethod::Deflated)
        .ok_or("the sample workbook does not pack")?;
    Ok(vec![
        ("sample.xlsx".into(), full),
        (
            "sample-parts.txt".into(),
            parts(&["us-east-1"], &["t3.micro"])?,
        ),
    ])
}

/// `bytes` with every ISO 8601 UTC time (`2026-01-05T10:00:00Z`, the workbook's creation time)
/// set to one fixed time, so the seeds come out the same on every run.
fn fixed_times(mut bytes: Vec<u8>) -> Vec<u8> {
    const FIXED: &[u8; 20] = b"2026-01-05T10:00:00Z";
    let shape = |w: &[u8]| {
        w.iter().zip(FIXED).all(|(b, f)| {
            if f.is_ascii_digit() {
                b.is_ascii_digit()
            } else {
                b == f
            }
        })
    };
    let mut i = 0;
    while i + FIXED.len() <= bytes.len() {
        if shape(&bytes[i..i + FIXED.len()]) {
            bytes[i..i + FIXED.len()].copy_from_slice(FIXED);
            i += FIXED.len();
        } else {
            i += 1;
        }
    }
    bytes
}
