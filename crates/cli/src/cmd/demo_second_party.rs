//! `amipub demo --second-party`: the same Fedora build on the "provided by AWS" path. The demo
//! makes the example product second-party, writes a sample load form template (the workbook's
//! header texts, not AWS's file) into its directory, gives the build an AMI in GovCloud (which
//! CopyImage cannot reach from us-east-1), and then plays the person: it attaches the stored
//! workbook to the sandbox Marketplace's ticket queue, which processes it at once and publishes
//! after its delay, and records the submission.

use std::path::Path;

use amipub_domain::release::Event;
use amipub_domain::release::build::Build;
use amipub_domain::settings::Settings;
use amipub_domain::spec::{DeliveryPath, ProductSpec};
use amipub_engine::ports::Forms;
use amipub_sandbox::catalog::second_party::{FORMS, admin};
use amipub_sandbox::server::{Shared, lock};
use amipub_sandbox::worlds::FEDORA_INSTANCE_TYPES;
use anyhow::{Context, bail};

use crate::runtime::Runtime;

/// The account that stands in for the build's GovCloud uploads in the demo.
const GOVCLOUD_BUILD_ACCOUNT: &str = "225566778899";

/// Makes `spec`, `settings` and `build` second-party; the sandbox gets the build's GovCloud AMI.
pub async fn prepare(
    world: &Shared,
    dir: &Path,
    spec: &mut ProductSpec,
    settings: &mut Settings,
    build: &mut Build,
) -> anyhow::Result<()> {
    spec.product.delivery_path = DeliveryPath::SecondParty;
    let regions = spec.region_codes();
    let names: Vec<&str> = regions.iter().map(String::as_str).collect();
    let template = dir.join("load-form-template.xlsx");
    let bytes = amipub_loadform::sample::template(&names, FEDORA_INSTANCE_TYPES)
        .context("cannot build the sample load form template")?;
    std::fs::write(&template, bytes)
        .with_context(|| format!("cannot write {}", template.display()))?;
    settings.second_party.template = Some(template.display().to_string());
    settings
        .trust
        .build_accounts
        .push(GOVCLOUD_BUILD_ACCOUNT.to_owned());
    let body = serde_json::json!({
        "owner": GOVCLOUD_BUILD_ACCOUNT,
        "region": "us-gov-west-1",
        "name": build.vars.get("image_name").cloned().unwrap_or_else(|| "fedora".into()),
        "public": true,
    });
    let answer = sandbox_admin(world, "/_sandbox/images", &body).await?;
    let Some(ami) = answer["image_id"].as_str() else {
        bail!("the sandbox did not add the GovCloud AMI: {answer}");
    };
    build.sources.insert("us-gov-west-1".into(), ami.to_owned());
    eprintln!(
        "Second-party path: template {} · the build's GovCloud AMI {ami}",
        template.display()
    );
    Ok(())
}

async fn sandbox_admin(
    world: &Shared,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    let uri: axum::http::Uri = path.parse().context("admin path")?;
    let body = body.to_string();
    let response =
        amipub_sandbox::admin::handle(world, &axum::http::Method::POST, &uri, body.as_bytes());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .context("the sandbox's answer")?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// The person's part: attach the stored workbook to the Marketplace ticket, record it.
pub async fn submit(rt: &Runtime, world: &Shared, id: &str) -> anyhow::Result<()> {
    let Some((name, bytes)) = rt.store.form(id).await? else {
        bail!("release {id} has no stored load form");
    };
    let ticket = {
        let mut w = lock(world);
        let answer = admin(
            &mut w,
            "POST",
            FORMS,
            Some("submitted_by=amipub-demo"),
            &bytes,
        )
        .map_err(|(_, why)| anyhow::anyhow!("the sandbox refused the form: {why}"))?;
        if answer["status"] == "rejected" {
            bail!(
                "the sandbox's Marketplace rejected the form: {}",
                answer["reason"]
            );
        }
        answer["ticket"].as_str().unwrap_or_default().to_owned()
    };
    eprintln!(
        "Attached {name} to the sandbox Marketplace's ticket {ticket}; it publishes after its delay"
    );
    let r = rt.find(id).await?;
    let (now, _) = rt.clock.now().await?;
    let event = Event::SubmissionRecorded {
        ticket: format!("sandbox:{ticket}"),
        by: "amipub demo".into(),
    };
    rt.engine.request(r, event, now).await?;
    Ok(())
}
