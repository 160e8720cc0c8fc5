//! The second-party ("provided by AWS") path against the sandbox: a seller clones and shares
//! over the EC2 API, the Marketplace's own accounts read back what was shared with them, a load
//! form is submitted, checked and published by the sandbox's Marketplace team, and a fault drops
//! a share silently.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

mod kit;

use amipub_sandbox::world::{MARKETPLACE_ACCOUNT, MARKETPLACE_SCAN_ACCOUNT};
use amipub_sandbox::worlds::{
    FEDORA_PRODUCT_ID, GOVCLOUD_SELLER_ACCOUNT, GOVCLOUD_SELLER_KEY, MARKETPLACE_KEY,
    MARKETPLACE_SCAN_KEY, SELLER_KEY,
};
use kit::{Aws, Clone, Layout, Row, values, workbook, workbook_with};
use serde_json::json;

const BOTH: [&str; 2] = [MARKETPLACE_ACCOUNT, MARKETPLACE_SCAN_ACCOUNT];
const FOUR_DAYS: f64 = 4.0 * 86400.0;

/// Clones in us-east-1 and eu-west-1 (seller) and us-gov-west-1 (GovCloud seller), available,
/// each shared as `share` says: (Region, accounts for the image, accounts for its snapshot).
fn clones(aws: &Aws, prefix: &str, share: &[(&str, &[&str], &[&str])]) -> Vec<Clone> {
    let mut out = vec![
        aws.clone_fedora(SELLER_KEY, "us-east-1", &format!("{prefix}-use1")),
        aws.clone_fedora(SELLER_KEY, "eu-west-1", &format!("{prefix}-euw1")),
    ];
    let name = format!("{prefix}-govw1");
    let added = aws.admin_ok(
        "POST",
        "/_sandbox/images",
        &json!({ "owner": GOVCLOUD_SELLER_ACCOUNT, "region": "us-gov-west-1", "name": name }),
    );
    let ami = added["image_id"].as_str().unwrap();
    out.push(aws.clone_of(GOVCLOUD_SELLER_KEY, "us-gov-west-1", ami, &name));
    aws.advance(3600.0);
    for c in &out {
        let (_, image_to, snapshot_to) = share
            .iter()
            .find(|(r, _, _)| *r == c.region)
            .copied()
            .unwrap_or(("", &BOTH, &BOTH));
        aws.share(key_of(c), c, image_to, snapshot_to);
    }
    out
}

fn key_of(c: &Clone) -> &'static str {
    if c.region.starts_with("us-gov-") {
        GOVCLOUD_SELLER_KEY
    } else {
        SELLER_KEY
    }
}

fn row_of<'a>(version: &'a str, clones: &'a [Clone]) -> Row<'a> {
    Row {
        product: FEDORA_PRODUCT_ID,
        version,
        notes: "Fedora 41 Cloud Base",
        clones: clones
            .iter()
            .map(|c| (c.region.as_str(), c.ami.as_str()))
            .collect(),
    }
}

#[test]
fn an_accepted_form_is_published_as_marketplace_copies_in_every_filled_region() {
    let aws = Aws::start();
    let clones = clones(&aws, "fedora-41-2p", &[]);
    let ticket = aws.submit(&workbook(&[row_of("41.20241027.0", &clones)]));

    let answer = aws.process(&ticket);
    assert_eq!(answer["status"], "accepted", "{answer}");
    assert_eq!(answer["reason"], serde_json::Value::Null);
    assert_eq!(answer["product"], FEDORA_PRODUCT_ID);
    assert_eq!(answer["version"], "41.20241027.0");
    assert_eq!(
        answer["regions"],
        json!(["us-east-1", "us-gov-west-1", "eu-west-1"])
    );
    for c in &clones {
        assert!(aws.marketplace_copies(key_of(c), c).is_empty(), "{c:?}");
    }

    aws.advance(FOUR_DAYS - 60.0);
    assert_eq!(aws.ticket(&ticket)["status"], "accepted");
    assert!(aws.marketplace_copies(SELLER_KEY, &clones[0]).is_empty());

    aws.advance(120.0);
    assert_eq!(aws.ticket(&ticket)["status"], "published");
    for c in &clones {
        let copies = aws.marketplace_copies(key_of(c), c);
        assert_eq!(copies.len(), 1, "one Marketplace copy of {c:?}");
        let xml = aws.ec2_ok(
            key_of(c),
            &c.region,
            "DescribeImages",
            &[("ImageId.1", &copies[0])],
        );
        assert_eq!(values(&xml, "imageState"), ["available"]);
        assert_eq!(values(&xml, "imageOwnerAlias"), ["aws-marketplace"]);
    }
    let doc = aws.entity(SELLER_KEY, FEDORA_PRODUCT_ID);
    let version = doc["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["VersionTitle"] == "41.20241027.0")
        .expect("the new version is on the product");
    assert_eq!(version["Sources"][0]["Image"], clones[0].ami.as_str());
    assert_eq!(version["ReleaseNotes"], "Fedora 41 Cloud Base");
}

#[test]
fn a_clone_whose_snapshot_is_not_shared_with_the_second_account_is_rejected() {
    let aws = Aws::start();
    let only_first: &[&str] = &[MARKETPLACE_ACCOUNT];
    let clones = clones(&aws, "fedora-41-half", &[("eu-west-1", &BOTH, only_first)]);
    let ticket = aws.submit(&workbook(&[row_of("41.20241027.0", &clones)]));

    let answer = aws.process(&ticket);
    assert_eq!(answer["status"], "rejected", "{answer}");
    let reason = answer["reason"].as_str().unwrap();
    let euw1 = &clones[1];
    for part in [
        "row 4",
        "eu-west-1 Cloned AMI ID",
        euw1.snapshot.as_str(),
        euw1.ami.as_str(),
        MARKETPLACE_SCAN_ACCOUNT,
        "ModifySnapshotAttribute",
    ] {
        assert!(reason.contains(part), "{part:?} not in {reason}");
    }
    assert!(reason.starts_with("1 problem(s)"), "{reason}");

    aws.advance(FOUR_DAYS * 2.0);
    assert_eq!(aws.ticket(&ticket)["status"], "rejected");
    assert!(aws.marketplace_copies(SELLER_KEY, &clones[0]).is_empty());
}

#[test]
fn a_repeated_version_title_is_rejected() {
    let aws = Aws::start();
    let clones = clones(&aws, "fedora-40-again", &[]);
    let existing = aws.submit(&workbook(&[row_of("40.20240416.0", &clones)]));
    let answer = aws.process(&existing);
    assert_eq!(answer["status"], "rejected", "{answer}");
    let reason = answer["reason"].as_str().unwrap();
    assert!(reason.contains("New Version Title"), "{reason}");
    assert!(
        reason.contains("already has a version \"40.20240416.0\""),
        "{reason}"
    );

    // A title an accepted form is about to publish is taken too.
    let first = aws.submit(&workbook(&[row_of("41.1", &clones)]));
    assert_eq!(aws.process(&first)["status"], "accepted");
    let second = aws.submit(&workbook(&[row_of("41.1", &clones)]));
    let answer = aws.process(&second);
    assert_eq!(answer["status"], "rejected", "{answer}");
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("is already getting a version")
    );
}

#[test]
fn unreadable_and_incomplete_forms_are_rejected_with_what_to_fix() {
    let aws = Aws::start();
    let clones = clones(&aws, "fedora-41-bad", &[]);
    let row = || row_of("41.2", &clones);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"PK\x03\x04 not really a zip".to_vec(),
            "not an XLSX workbook",
        ),
        (
            workbook_with(
                &Layout {
                    sheet: Some("Versions"),
                    ..Layout::default()
                },
                &[row()],
            ),
            "no sheet \"New AMI Version \"",
        ),
        (
            workbook_with(
                &Layout {
                    without: Some("Release Notes"),
                    ..Layout::default()
                },
                &[row()],
            ),
            "lacks the REQUIRED column(s) \"Release Notes\"",
        ),
        (workbook(&[]), "has no data"),
        (
            workbook(&[Row { notes: "", ..row() }]),
            "row 4, column D (\"Release Notes\") is empty",
        ),
        (
            workbook(&[Row {
                product: "B07XYZ1234",
                ..row()
            }]),
            "\"B07XYZ1234\" names no product",
        ),
        (
            workbook(&[Row {
                clones: vec![("us-east-1", clones[1].ami.as_str())],
                ..row()
            }]),
            "does not exist in us-east-1",
        ),
        (
            workbook(&[Row {
                clones: vec![
                    ("us-east-1", clones[0].ami.as_str()),
                    ("cn-north-1", "ami-0123456789abcdef0"),
                ],
                ..row()
            }]),
            "does not publish in cn-north-1",
        ),
    ];
    for (book, expected) in cases {
        let ticket = aws.submit(&book);
        let answer = aws.process(&ticket);
        assert_eq!(answer["status"], "rejected", "{expected}: {answer}");
        let reason = answer["reason"].as_str().unwrap();
        assert!(reason.contains(expected), "{expected:?} not in {reason}");
    }
    let (status, v) = aws.admin("POST", "/_sandbox/marketplace/forms", b"");
    assert_eq!(status, 400, "{v}");
    let (status, v) = aws.admin("POST", "/_sandbox/marketplace/forms/2p-999999/process", b"");
    assert_eq!(status, 404, "{v}");
}

#[test]
fn a_url_names_the_product_and_a_second_row_its_own_version() {
    let aws = Aws::start();
    let clones = clones(&aws, "fedora-41-url", &[]);
    let url =
        format!("https://aws.amazon.com/marketplace/management/products/{FEDORA_PRODUCT_ID}/");
    let rows = [
        Row {
            product: &url,
            ..row_of("41.3", &clones[..1])
        },
        row_of("41.4", &clones[..2]),
    ];
    let ticket = aws.submit(&workbook(&rows));
    let answer = aws.process(&ticket);
    assert_eq!(answer["status"], "accepted", "{answer}");
    assert_eq!(answer["versions"].as_array().unwrap().len(), 2);
    aws.advance(FOUR_DAYS);
    let doc = aws.entity(SELLER_KEY, FEDORA_PRODUCT_ID);
    let titles: Vec<&str> = doc["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["VersionTitle"].as_str())
        .collect();
    assert!(
        titles.contains(&"41.3") && titles.contains(&"41.4"),
        "{titles:?}"
    );
    assert_eq!(
        aws.marketplace_copies(SELLER_KEY, &clones[0]).len(),
        2,
        "one per version"
    );
    assert_eq!(aws.marketplace_copies(SELLER_KEY, &clones[1]).len(), 1);
    assert!(
        aws.marketplace_copies(GOVCLOUD_SELLER_KEY, &clones[2])
            .is_empty(),
        "no row filled it"
    );
}

#[test]
fn auto_process_accepts_on_submission_and_publishes_after_the_delay() {
    let aws = Aws::start();
    aws.admin_ok(
        "POST",
        "/_sandbox/config",
        &json!({ "second_party_auto_process": true, "second_party_publish_delay_seconds": 600 }),
    );
    let clones = clones(&aws, "fedora-41-auto", &[]);
    let (status, answer) = aws.admin(
        "POST",
        "/_sandbox/marketplace/forms",
        &workbook(&[row_of("41.5", &clones)]),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "accepted", "{answer}");
    let ticket = answer["ticket"].as_str().unwrap();
    aws.advance(601.0);
    assert_eq!(aws.ticket(ticket)["status"], "published");
    let listed = aws.admin_ok("GET", "/_sandbox/marketplace/forms", &json!({}));
    assert_eq!(listed["tickets"][0]["ticket"], ticket);
    assert_eq!(
        listed["tickets"][0]["submitted_by"],
        serde_json::Value::Null
    );
}

#[test]
fn tickets_are_saved_and_loaded_with_the_world() {
    let aws = Aws::start();
    let clones = clones(&aws, "fedora-41-saved", &[]);
    let ticket = aws.submit(&workbook(&[row_of("41.6", &clones)]));
    assert_eq!(aws.process(&ticket)["status"], "accepted");
    let path = std::env::temp_dir().join(format!("amipub-sandbox-2p-{}.json", std::process::id()));
    let path = path.to_string_lossy().into_owned();
    aws.admin_ok("POST", "/_sandbox/save", &json!({ "path": path }));

    let other = Aws::start();
    other.admin_ok("POST", "/_sandbox/load", &json!({ "path": path }));
    let _ = std::fs::remove_file(&path);
    let loaded = other.ticket(&ticket);
    assert_eq!(loaded["status"], "accepted", "{loaded}");
    assert_eq!(loaded["submitted_by"], "releng@example.org");
    other.advance(FOUR_DAYS);
    assert_eq!(other.ticket(&ticket)["status"], "published");
    assert_eq!(other.marketplace_copies(SELLER_KEY, &clones[1]).len(), 1);
}

#[test]
fn drop_share_answers_success_but_the_read_back_finds_no_permission() {
    let aws = Aws::start();
    let dropped = aws.clone_fedora(SELLER_KEY, "us-east-1", "dropped");
    let kept = aws.clone_fedora(SELLER_KEY, "us-east-1", "kept");
    let rules = json!({ "rules": [
        { "service": "ec2", "operation": format!("ModifySnapshotAttribute/{}", dropped.snapshot), "region": "us-east-1", "kind": "drop_share", "probability": 1.0 },
        { "service": "ec2", "operation": "ModifyImageAttribute", "region": "us-east-1", "kind": "drop_share", "probability": 1.0 },
    ]});
    aws.admin_ok("POST", "/_sandbox/faults", &rules);

    for c in [&dropped, &kept] {
        let name = "CreateVolumePermission.Add.1.UserId";
        let xml = aws.ec2_ok(
            SELLER_KEY,
            "us-east-1",
            "ModifySnapshotAttribute",
            &[
                ("SnapshotId", &c.snapshot),
                (name, MARKETPLACE_SCAN_ACCOUNT),
            ],
        );
        assert_eq!(values(&xml, "return"), ["true"]);
        let name = "LaunchPermission.Add.1.UserId";
        let xml = aws.ec2_ok(
            SELLER_KEY,
            "us-east-1",
            "ModifyImageAttribute",
            &[("ImageId", &c.ami), (name, MARKETPLACE_SCAN_ACCOUNT)],
        );
        assert_eq!(values(&xml, "return"), ["true"]);
    }
    let read_back = |c: &Clone| {
        let xml = aws.ec2_ok(
            SELLER_KEY,
            "us-east-1",
            "DescribeSnapshotAttribute",
            &[
                ("SnapshotId", &c.snapshot),
                ("Attribute", "createVolumePermission"),
            ],
        );
        values(&xml, "userId")
    };
    assert!(read_back(&dropped).is_empty(), "the share was dropped");
    assert_eq!(
        read_back(&kept),
        [MARKETPLACE_SCAN_ACCOUNT],
        "the rule names one snapshot"
    );
    let xml = aws.ec2_ok(
        SELLER_KEY,
        "us-east-1",
        "DescribeImageAttribute",
        &[("ImageId", &kept.ami), ("Attribute", "launchPermission")],
    );
    assert!(values(&xml, "userId").is_empty(), "{xml}");

    // Elsewhere the same request is recorded.
    let euw1 = aws.clone_fedora(SELLER_KEY, "eu-west-1", "elsewhere");
    aws.share(SELLER_KEY, &euw1, &[MARKETPLACE_SCAN_ACCOUNT], &[]);
    let xml = aws.ec2_ok(
        SELLER_KEY,
        "eu-west-1",
        "DescribeImageAttribute",
        &[("ImageId", &euw1.ami), ("Attribute", "launchPermission")],
    );
    assert_eq!(values(&xml, "userId"), [MARKETPLACE_SCAN_ACCOUNT]);
}

#[test]
fn the_marketplace_accounts_see_what_is_shared_with_them_and_nothing_else() {
    let aws = Aws::start();
    let shared = aws.clone_fedora(SELLER_KEY, "us-east-1", "shared-with-marketplace");
    let private = aws.clone_fedora(SELLER_KEY, "us-east-1", "kept-private");
    aws.advance(3600.0);
    aws.share(SELLER_KEY, &shared, &BOTH, &BOTH);

    for key in [MARKETPLACE_KEY, MARKETPLACE_SCAN_KEY] {
        let xml = aws.ec2_ok(
            key,
            "us-east-1",
            "DescribeImages",
            &[("ExecutableBy.1", "self"), ("ImageId.1", &shared.ami)],
        );
        assert_eq!(values(&xml, "imageId"), [shared.ami.as_str()], "{key}");
        let xml = aws.ec2_ok(
            key,
            "us-east-1",
            "DescribeImages",
            &[("ExecutableBy.1", "self")],
        );
        // Only explicit shares: neither the private clone nor public AMIs.
        assert_eq!(values(&xml, "imageId"), [shared.ami.as_str()], "{key}");
        let (status, xml) = aws.ec2(
            key,
            "us-east-1",
            "DescribeImages",
            &[("ImageId.1", &private.ami)],
        );
        assert_eq!(status, 400, "{key}: {xml}");
        assert_eq!(values(&xml, "Code"), ["InvalidAMIID.NotFound"]);

        let xml = aws.ec2_ok(
            key,
            "us-east-1",
            "DescribeSnapshots",
            &[
                ("RestorableBy.1", "self"),
                ("SnapshotId.1", &shared.snapshot),
            ],
        );
        assert_eq!(
            values(&xml, "snapshotId"),
            [shared.snapshot.as_str()],
            "{key}"
        );
        let xml = aws.ec2_ok(
            key,
            "us-east-1",
            "DescribeSnapshots",
            &[("RestorableBy.1", "self")],
        );
        assert_eq!(
            values(&xml, "snapshotId"),
            [shared.snapshot.as_str()],
            "{key}"
        );
        let xml = aws.ec2_ok(
            key,
            "us-east-1",
            "DescribeSnapshots",
            &[("SnapshotId.1", &private.snapshot)],
        );
        assert!(values(&xml, "snapshotId").is_empty(), "{key}: {xml}");

        // The same keys work in GovCloud, where the Marketplace also publishes.
        aws.ec2_ok(
            key,
            "us-gov-west-1",
            "DescribeImages",
            &[("Owner.1", "self")],
        );
    }
    // The seller asks who may restore: only the shared snapshot names the scan account.
    let xml = aws.ec2_ok(
        SELLER_KEY,
        "us-east-1",
        "DescribeSnapshots",
        &[("RestorableBy.1", MARKETPLACE_SCAN_ACCOUNT)],
    );
    assert_eq!(values(&xml, "snapshotId"), [shared.snapshot.as_str()]);
    let xml = aws.ec2_ok(
        SELLER_KEY,
        "us-east-1",
        "DescribeImages",
        &[("ExecutableBy.1", MARKETPLACE_SCAN_ACCOUNT)],
    );
    assert_eq!(values(&xml, "imageId"), [shared.ami.as_str()]);
}
