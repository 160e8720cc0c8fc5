//! The second-party path end to end with the real binary against the sandbox: a release of the
//! Fedora example in every Region (GovCloud's included) clones once per Region, shares every
//! clone and snapshot with both Marketplace accounts, fills the operator's workbook (read back
//! with calamine, every filled cell checked and every other cell unchanged), waits for the form
//! to be submitted, and after the sandbox's Marketplace publishes it locates every Region, writes
//! SSM and announces. Also: a dropped share, a template without a Region's column, a rejected
//! form and its retry, and three simulated days of waiting with one reminder.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::time::Duration;

use amipub_domain::catalog_data::{commercial_regions, govcloud_regions};
use amipub_domain::release::State;
use amipub_sandbox::catalog::second_party::{FORMS, admin};
use amipub_sandbox::server::lock;
use amipub_sandbox::worlds::{MARKETPLACE_KEY, MARKETPLACE_SCAN_KEY};
use amipub_testkit::service::{Env, SOURCE_AMI, VERSION, release_id};
use calamine::{Data, Reader, Xlsx};

const AMIPUB: &str = env!("CARGO_BIN_EXE_amipub");
const SCALE: f64 = 3000.0;
const LIMIT: Duration = Duration::from_secs(120);
const MARKETPLACE: [&str; 2] = ["679593333241", "684062674729"];

/// The Regions of the Fedora example: every commercial Marketplace Region and GovCloud's.
fn regions() -> Vec<String> {
    commercial_regions()
        .chain(govcloud_regions())
        .map(|r| r.code.clone())
        .collect()
}

fn region_refs(all: &[String]) -> Vec<&str> {
    all.iter().map(String::as_str).collect()
}

/// Publishes the sample build (with its GovCloud AMI `gov`); the release id once the form
/// waits for submission.
fn publish_until_form(env: &Env, gov: &str) -> String {
    let (code, out, err) = env
        .publish_build(SOURCE_AMI)
        .arg("--source")
        .arg(gov)
        .finish(LIMIT);
    assert_eq!(code, 0, "{err}\n{out}");
    assert!(out.contains("amipub submitted"), "{out}");
    release_id(&err).unwrap()
}

fn state(env: &Env, id: &str) -> amipub_domain::release::Release {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { env.store().await.get(id).await.unwrap().unwrap() })
}

/// Writes the stored workbook with `amipub form` and returns its bytes.
fn form_bytes(env: &Env, id: &str) -> Vec<u8> {
    let out_dir = env.path("forms");
    let out = out_dir.display().to_string();
    let (code, stdout, err) = env.amipub(["form", id, "--out", &out]).finish(LIMIT);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains(".csv"), "{stdout}");
    let name = std::fs::read_dir(&out_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
        .unwrap();
    std::fs::read(name).unwrap()
}

/// Every cell of every sheet: (sheet, row, column) → text.
fn cells(bytes: &[u8]) -> std::collections::BTreeMap<(String, u32, u32), String> {
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (r, row) in range.rows().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if *v != Data::Empty {
                    out.insert((name.clone(), r0 + r as u32, c0 + c as u32), v.to_string());
                }
            }
        }
    }
    out
}

/// Header texts of the version sheet with whitespace folded, by column.
fn header_of(cells: &std::collections::BTreeMap<(String, u32, u32), String>, col: u32) -> String {
    let sheet = "New AMI Version ".to_owned();
    let h = cells
        .get(&(sheet.clone(), 1, col))
        .or_else(|| cells.get(&(sheet, 2, col)))
        .cloned()
        .unwrap_or_default();
    h.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn submit(env: &Env, workbook: &[u8]) -> String {
    let mut w = lock(&env.world);
    let t = admin(&mut w, "POST", FORMS, Some("submitted_by=alice"), workbook).unwrap();
    t["ticket"].as_str().unwrap().to_owned()
}

fn process(env: &Env, ticket: &str) -> serde_json::Value {
    let mut w = lock(&env.world);
    admin(
        &mut w,
        "POST",
        &format!("{FORMS}/{ticket}/process"),
        None,
        &[],
    )
    .unwrap()
}

#[test]
fn a_second_party_release_clones_shares_fills_the_form_and_completes_after_publication() {
    let env = Env::new(AMIPUB, SCALE);
    lock(&env.world).config.second_party_publish_delay_seconds = 6.0 * 3600.0;
    let all = regions();
    assert_eq!(all.len(), 36, "34 commercial Regions and 2 GovCloud");
    let (template, gov) = env.second_party(&region_refs(&all));
    env.append_config("[tags]\nFedoraGroup = \"cloud\"\n");
    let id = publish_until_form(&env, &gov);

    // One clone per Region, in the seller account of its partition, shared with both
    // Marketplace accounts, snapshots included.
    let clones = env.clones(&id);
    let mut seen: Vec<&str> = clones.iter().map(|c| c.region.as_str()).collect();
    seen.sort_unstable();
    let mut want = region_refs(&all);
    want.sort_unstable();
    assert_eq!(seen, want, "exactly one clone per Region");
    for c in &clones {
        let seller = if c.region.starts_with("us-gov-") {
            "222233334444"
        } else {
            "111122223333"
        };
        assert_eq!(c.owner, seller, "{c:?}");
        assert!(!c.snapshots.is_empty(), "{c:?}");
        // The configured and provenance tags, on the clone and each of its snapshots.
        let w = lock(&env.world);
        let held = std::iter::once(&w.ec2.images[&c.ami].tags)
            .chain(c.snapshots.iter().map(|(s, _)| &w.ec2.snapshots[s].tags));
        for tags in held {
            for (k, v) in [
                ("FedoraGroup", "cloud"),
                ("amipub:clone-of", id.as_str()),
                ("amipub:source-ami", SOURCE_AMI),
                ("amipub:source-owner", "125523088429"),
            ] {
                assert_eq!(tags.get(k).map(String::as_str), Some(v), "{c:?} {tags:?}");
            }
        }
        drop(w);
        for a in MARKETPLACE {
            assert!(c.launch.contains(&a.to_owned()), "{c:?}");
            assert!(
                c.snapshots
                    .iter()
                    .all(|(_, users)| users.contains(&a.to_owned())),
                "{c:?}"
            );
        }
    }
    // Read back as the Marketplace accounts see it, with their own keys.
    for key in [MARKETPLACE_KEY, MARKETPLACE_SCAN_KEY] {
        for c in &clones {
            let xml = env.ec2_as(key, &c.region, "DescribeImages", &[("ImageId.1", &c.ami)]);
            assert!(
                xml.contains(&c.ami),
                "{key} cannot see {} in {}",
                c.ami,
                c.region
            );
            for (snap, _) in &c.snapshots {
                let xml = env.ec2_as(
                    key,
                    &c.region,
                    "DescribeSnapshots",
                    &[("SnapshotId.1", snap)],
                );
                assert!(
                    xml.contains(snap.as_str()),
                    "{key} cannot restore {snap} in {}",
                    c.region
                );
            }
        }
    }
    let r = state(&env, &id);
    assert_eq!(r.state, State::AwaitingSubmission);

    // The workbook: every filled cell is the release's, every other cell is the template's.
    let bytes = form_bytes(&env, &id);
    let before = cells(&std::fs::read(&template).unwrap());
    let after = cells(&bytes);
    let sheet = "New AMI Version ".to_owned();
    let filled: Vec<_> = after
        .keys()
        .filter(|k| k.0 == sheet && k.1 == 3)
        .cloned()
        .collect();
    for (k, v) in &before {
        if !(k.0 == sheet && k.1 == 3) {
            assert_eq!(after.get(k), Some(v), "template cell {k:?} changed");
        }
    }
    assert_eq!(
        before.len() + filled.len(),
        after.len(),
        "only row 4 is new"
    );
    let by_header: std::collections::BTreeMap<String, String> = filled
        .iter()
        .map(|k| (header_of(&after, k.2), after[k].clone()))
        .collect();
    assert_eq!(by_header["Product ID or ASIN or URL"], "prod-fedoracbx8664");
    assert_eq!(by_header["Product Title"], "Fedora Cloud Base (x86_64)");
    assert_eq!(by_header["New Version Title"], VERSION);
    assert_eq!(by_header["Release Notes"], r.notes);
    assert!(r.notes.contains("# Fedora 41 Cloud Base"), "{}", r.notes);
    assert_eq!(by_header["Source AMI ID"], SOURCE_AMI);
    for c in &clones {
        assert_eq!(
            by_header[&format!("{} Cloned AMI ID", c.region)],
            c.ami,
            "{}",
            c.region
        );
    }
    assert_eq!(by_header.len(), 5 + all.len());

    // The Marketplace accepts it and, after its delay, owns a copy in every Region.
    let ticket = submit(&env, &bytes);
    let answer = process(&env, &ticket);
    assert_eq!(answer["status"], "accepted", "{answer}");
    let url = format!("https://support.example/tickets/{ticket}");
    let (code, out, err) = env
        .amipub([
            "submitted",
            &id,
            "--ticket",
            &url,
            "--by",
            "alice",
            "--wait",
        ])
        .finish(LIMIT);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = state(&env, &id);
    assert_eq!(r.state, State::Done, "{r:?}");
    assert_eq!(r.regions.len(), all.len());
    let sp = r.second_party.clone().unwrap();
    assert_eq!(sp.ticket.as_deref(), Some(url.as_str()));
    assert_eq!(sp.submitted_by.as_deref(), Some("alice"));
    let (params, _) = env.parameters("/fedora/cloud/41/");
    assert_eq!(
        params,
        all.len() * 2,
        "versioned and latest in every Region"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async { env.store().await.outbox_of(&id).await.unwrap() });
    let schemas: Vec<&str> = rows.iter().map(|r| r.schema.as_str()).collect();
    assert_eq!(schemas, ["amipub.release.published.v1"]);
    assert_eq!(env.mirrors(), 0, "no catalog-path mirror");
    let w = lock(&env.world);
    let calls = |op: &str| w.requests.iter().filter(|q| q.operation == op).count();
    assert_eq!(
        calls("StartChangeSet"),
        0,
        "no change set on the second-party path"
    );
    assert_eq!(calls("CopyImage"), all.len(), "one CopyImage per Region");
    let ec2 = w.requests.iter().filter(|q| q.service == "ec2").count();
    eprintln!(
        "second-party release: {} Regions, {ec2} EC2 calls ({:.1} per Region)",
        all.len(),
        ec2 as f64 / all.len() as f64
    );
}

#[test]
fn a_dropped_share_and_a_template_without_a_region_fail_naming_what_is_missing() {
    let env = Env::new(AMIPUB, SCALE);
    let all = regions();
    // The template lacks eu-south-2's column.
    let short: Vec<&str> = region_refs(&all)
        .into_iter()
        .filter(|r| *r != "eu-south-2")
        .collect();
    let (_, gov) = env.second_party(&short);
    {
        let rules = serde_json::json!([{
            "service": "ec2", "operation": "ModifySnapshotAttribute", "region": "eu-west-3",
            "kind": "drop_share", "probability": 1.0
        }]);
        lock(&env.world).config.faults = serde_json::from_value(rules).unwrap();
    }
    let (code, out, err) = env
        .publish_build(SOURCE_AMI)
        .arg("--source")
        .arg(&gov)
        .finish(LIMIT);
    assert_ne!(code, 0, "{out}");
    let id = release_id(&err).unwrap();
    let f = state(&env, &id).failure.unwrap();
    assert_eq!(f.step, State::Cloned);
    assert!(f.detail.contains("eu-west-3"), "{}", f.detail);
    assert!(f.detail.contains("snapshot snap-"), "{}", f.detail);
    assert!(
        f.detail.contains("684062674729") && f.detail.contains("679593333241"),
        "{}",
        f.detail
    );
    assert!(
        !f.detail.contains("launch permission"),
        "only the snapshot share was dropped: {}",
        f.detail
    );

    // Without the fault the shares hold; then the template's missing column stops the form.
    lock(&env.world).config.faults.clear();
    let (code, _, _) = env.amipub(["retry", &id]).finish(LIMIT);
    assert_ne!(code, 0);
    let f = state(&env, &id).failure.unwrap();
    assert_eq!(f.step, State::Shared);
    assert!(
        f.detail.contains("no column for Region(s) eu-south-2"),
        "{}",
        f.detail
    );
    assert_eq!(
        env.clones(&id).len(),
        all.len(),
        "the retry made no new clone"
    );
}

#[test]
fn a_rejected_form_fails_with_the_reason_and_retry_completes_it() {
    let env = Env::new(AMIPUB, SCALE);
    lock(&env.world).config.second_party_publish_delay_seconds = 3600.0;
    let all = regions();
    let (_, gov) = env.second_party(&region_refs(&all));
    let id = publish_until_form(&env, &gov);
    // Someone removed a share by hand before the form was processed.
    let victim = env
        .clones(&id)
        .into_iter()
        .find(|c| c.region == "ap-south-1")
        .unwrap();
    lock(&env.world)
        .ec2
        .images
        .get_mut(&victim.ami)
        .unwrap()
        .launch_users
        .clear();
    let ticket = submit(&env, &form_bytes(&env, &id));
    let answer = process(&env, &ticket);
    assert_eq!(answer["status"], "rejected", "{answer}");
    let reason = answer["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("ap-south-1"), "{reason}");
    let (code, out, err) = env
        .amipub(["submitted", &id, "--rejected", &reason, "--by", "bob"])
        .finish(LIMIT);
    assert_eq!(code, 0, "{err}\n{out}");
    let r = state(&env, &id);
    assert_eq!(r.state, State::Failed);
    assert!(r.failure.unwrap().detail.contains(&reason));

    // retry shares again (repairing the share), writes a new workbook, waits again.
    let (code, out, err) = env.amipub(["retry", &id]).finish(LIMIT);
    assert_eq!(code, 0, "{err}\n{out}");
    assert_eq!(state(&env, &id).state, State::AwaitingSubmission);
    let ticket = submit(&env, &form_bytes(&env, &id));
    assert_eq!(process(&env, &ticket)["status"], "accepted");
    let (code, _, err) = env
        .amipub(["submitted", &id, "--ticket", "https://t/2", "--wait"])
        .finish(LIMIT);
    assert_eq!(code, 0, "{err}");
    assert_eq!(state(&env, &id).state, State::Done);
    assert_eq!(env.clones(&id).len(), all.len());
}

#[test]
fn a_form_waiting_three_days_is_reminded_once_and_completes_when_submitted() {
    let env = Env::new(AMIPUB, SCALE);
    lock(&env.world).config.second_party_publish_delay_seconds = 3600.0;
    let all = regions();
    let (_, gov) = env.second_party(&region_refs(&all));
    let id = publish_until_form(&env, &gov);
    // Three simulated days pass with a worker running: it looks hourly and reminds once.
    let mut serve = env.amipub(["serve", "--listen", "127.0.0.1:0"]).spawn();
    lock(&env.world).clock.advance(3.0 * 86400.0);
    let deadline = std::time::Instant::now() + LIMIT;
    let reminded = loop {
        let r = state(&env, &id);
        if r.second_party.as_ref().is_some_and(|s| s.reminded)
            || std::time::Instant::now() > deadline
        {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = serve.kill();
    assert_eq!(reminded.state, State::AwaitingSubmission);
    assert!(
        reminded.second_party.unwrap().reminded,
        "no reminder after three days"
    );
    let (code, out, _) = env.amipub(["status"]).finish(LIMIT);
    assert_eq!(code, 0);
    assert!(out.contains("REMINDED: form waits since"), "{out}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async { env.store().await.outbox_of(&id).await.unwrap() });
    let reminders = rows
        .iter()
        .filter(|r| r.schema == "amipub.release.awaiting-submission.v1")
        .count();
    assert_eq!(reminders, 1);

    let ticket = submit(&env, &form_bytes(&env, &id));
    assert_eq!(process(&env, &ticket)["status"], "accepted");
    let (code, _, err) = env
        .amipub(["submitted", &id, "--ticket", "https://t/3", "--wait"])
        .finish(LIMIT);
    assert_eq!(code, 0, "{err}");
    assert_eq!(state(&env, &id).state, State::Done);
}

#[test]
fn load_form_fills_the_metadata_update_sheet_of_a_second_party_product() {
    let env = Env::new(AMIPUB, SCALE);
    let all = regions();
    let (template, _) = env.second_party(&region_refs(&all));
    let out = env.path("load-form").display().to_string();
    let (code, stdout, err) = env.amipub(["load-form", "--out", &out]).finish(LIMIT);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("Metadata Update"), "{stdout}");
    let bytes = std::fs::read(env.path("load-form/second-party-load-form.xlsx")).unwrap();
    let (before, after) = (cells(&std::fs::read(&template).unwrap()), cells(&bytes));
    let sheet = "Metadata Update".to_owned();
    let header = |col: u32| {
        let h = after
            .get(&(sheet.clone(), 1, col))
            .or_else(|| after.get(&(sheet.clone(), 2, col)))
            .cloned()
            .unwrap_or_default();
        h.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let row: std::collections::BTreeMap<String, String> = after
        .iter()
        .filter(|(k, _)| k.0 == sheet && k.1 == 3)
        .map(|(k, v)| (header(k.2), v.clone()))
        .collect();
    assert_eq!(row["Product Title"], "Fedora Cloud Base (x86_64)");
    assert_eq!(row["Type"], "Single AMI");
    assert_eq!(row["Operating System username"], "fedora");
    assert_eq!(row["us-gov-east-1 Availability"], "true");
    assert_eq!(row["t3.small Availability"], "true");
    for (k, v) in &before {
        assert_eq!(after.get(k), Some(v), "template cell {k:?} changed");
    }
    // Its listing is the Marketplace team's to change: apply says so and names load-form.
    let spec = env.path("products/fedora.toml").display().to_string();
    let (code, _, err) = env.amipub(["apply", "--product", &spec]).finish(LIMIT);
    assert_ne!(code, 0);
    assert!(
        err.contains("second-party product") && err.contains("amipub load-form"),
        "{err}"
    );
    // Without a template it says what to set.
    let config = env.path("amipub.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let cut = text.find("[second_party]").unwrap();
    std::fs::write(&config, &text[..cut]).unwrap();
    let (code, _, err) = env.amipub(["load-form", "--out", &out]).finish(LIMIT);
    assert_ne!(code, 0);
    assert!(err.contains("set [second_party] template"), "{err}");
}

#[test]
fn the_demo_takes_the_second_party_path_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let mut cmd = std::process::Command::new(AMIPUB);
    cmd.args(["demo", "--second-party", "--dir", &d]);
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AMIPUB_TEST_HALT_AT",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}\n{stdout}");
    assert!(stdout.contains("the load form is ready"), "{stdout}");
    assert!(
        stdout.contains("is published: Marketplace AMIs in 36 of 36 Regions"),
        "{stdout}"
    );
    assert!(stderr.contains("ticket 2p-"), "{stderr}");
}
