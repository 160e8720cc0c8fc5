//! `amipub bench` (d): one second-party release of the Fedora example to every commercial
//! Region, carried to the load form against the in-process sandbox: how fast the clones come
//! (Regions per minute of AWS time, under the sandbox's EC2 rate limits and copy time) and how
//! many EC2 calls the clone and share steps make per Region.

use std::time::Instant;

use amipub_domain::release::State;
use amipub_domain::second_party::SecondPartySettings;
use amipub_domain::spec::DeliveryPath;
use anyhow::Context;

use super::bench_rig::{Rig, rig, spec};

/// Runs the measurement and prints it.
pub async fn run(scale: f64, regions: &[String]) -> anyhow::Result<()> {
    let mut one = spec(0, regions)?;
    one.product.delivery_path = DeliveryPath::SecondParty;
    let dir = tempfile::tempdir()?;
    let template = dir.path().join("template.xlsx");
    let names: Vec<&str> = regions.iter().map(String::as_str).collect();
    std::fs::write(&template, amipub_loadform::sample::template(&names, &[])?)
        .context("cannot write the sample template")?;
    let settings = SecondPartySettings {
        template: Some(template.display().to_string()),
        ..SecondPartySettings::default()
    };
    let rig = rig(scale, std::slice::from_ref(&one), &settings).await?;
    let before = rig.service_calls("ec2");
    let t0 = rig.now();
    let wall = Instant::now();
    rig.record(&one, "41.1").await?;
    let r = until_form(&rig).await?;
    let timeline = rig.store.timeline(&r.id).await?;
    let at = |state: &str| timeline.iter().find(|e| e.to == state).map(|e| e.at);
    let cloning = match (at("admitted"), at("cloned")) {
        (Some(a), Some(b)) => (b - a).max(1),
        _ => anyhow::bail!("the release did not clone: it is {}", r.state.name()),
    };
    let ec2 = rig.service_calls("ec2") - before;
    let copy = lock_copy_seconds(&rig);
    println!(
        "(d) one second-party release to {} Regions, up to its load form",
        regions.len()
    );
    println!(
        "    cloned in {cloning} s of AWS time (copies take {copy:.0} s) → {:.1} Regions per minute; form after {} s ({:.1} s wall)",
        regions.len() as f64 * 60.0 / cloning as f64,
        rig.now() - t0,
        wall.elapsed().as_secs_f64()
    );
    println!(
        "    EC2 {ec2} calls for clone, share and read-back → {:.1} per Region",
        ec2 as f64 / regions.len() as f64
    );
    rig.sandbox.stop().await;
    Ok(())
}

fn lock_copy_seconds(rig: &Rig) -> f64 {
    amipub_sandbox::server::lock(&rig.sandbox.world)
        .config
        .copy_seconds
}

/// Steps until the release waits for its form to be submitted (or ends).
async fn until_form(rig: &Rig) -> anyhow::Result<amipub_domain::release::Release> {
    loop {
        rig.engine.step(rig.now()).await?;
        let all = rig.store.list(10).await?;
        if let Some(r) = all.into_iter().next()
            && (r.state == State::AwaitingSubmission || r.state.is_terminal())
        {
            return Ok(r);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
