//! Instance metadata (IMDSv2) for instances of the sandbox, under `/_imds/<instance-id>/latest/…`:
//! `PUT api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`), then, with the
//! `X-aws-ec2-metadata-token` header, `meta-data/instance-id`, `meta-data/ami-id`,
//! `meta-data/instance-type`, `meta-data/placement/region`, `meta-data/product-codes`,
//! `meta-data/iam/security-credentials/[ROLE]` and `dynamic/instance-identity/document`.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response};
use serde_json::json;

use crate::world::{Shared, lock};

/// The role name instances get.
pub const INSTANCE_ROLE: &str = "amipub-meter-instance";

fn text(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Body::from(body))
        .unwrap_or_else(|_| Response::new(Body::empty()))
}

/// Handles one IMDS request.
pub fn handle(shared: &Shared, method: &Method, path: &str, headers: &HeaderMap) -> Response<Body> {
    let rest = path.trim_start_matches("/_imds/");
    let (instance_id, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let mut world = lock(shared);
    let now = world.clock.elapsed();
    let Some(instance) = world.metering.instances.get(instance_id).cloned() else {
        return text(404, "Not Found".into());
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    if rest == "latest/api/token" {
        if method != Method::PUT {
            return text(405, "Method Not Allowed".into());
        }
        let ttl =
            header("x-aws-ec2-metadata-token-ttl-seconds").and_then(|v| v.parse::<f64>().ok());
        let Some(ttl) = ttl.filter(|t| (1.0..=21600.0).contains(t)) else {
            return text(400, "Bad Request".into());
        };
        let token = world.ids.alnum(56);
        if let Some(i) = world.metering.instances.get_mut(instance_id) {
            i.tokens.insert(token.clone(), now + ttl);
        }
        return text(200, token);
    }
    let valid = header("x-aws-ec2-metadata-token")
        .is_some_and(|t| instance.tokens.get(t).is_some_and(|exp| *exp > now));
    if !valid {
        return text(401, "Unauthorized".into());
    }
    let launched = world
        .clock
        .at(instance.launched)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let body = match rest {
        "latest/meta-data/instance-id" => instance.id.clone(),
        "latest/meta-data/ami-id" => instance.image_id.clone(),
        "latest/meta-data/instance-type" => instance.instance_type.clone(),
        "latest/meta-data/placement/region" => instance.region.clone(),
        "latest/meta-data/product-codes" if !instance.product_codes.is_empty() => instance.product_codes.join("\n"),
        "latest/meta-data/iam/security-credentials" | "latest/meta-data/iam/security-credentials/" => INSTANCE_ROLE.to_owned(),
        p if p == format!("latest/meta-data/iam/security-credentials/{INSTANCE_ROLE}") => {
            let expires = (world.clock.now() + chrono::Duration::hours(6)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
            json!({
                "Code": "Success", "LastUpdated": launched, "Type": "AWS-HMAC",
                "AccessKeyId": instance.access_key, "SecretAccessKey": "sandbox", "Token": "sandbox-session",
                "Expiration": expires
            })
            .to_string()
        }
        "latest/dynamic/instance-identity/document" => json!({
            "accountId": instance.account, "architecture": "x86_64", "availabilityZone": format!("{}a", instance.region),
            "imageId": instance.image_id, "instanceId": instance.id, "instanceType": instance.instance_type,
            "marketplaceProductCodes": instance.product_codes, "pendingTime": launched, "region": instance.region,
            "version": "2017-09-30", "privateIp": "10.0.0.10", "billingProducts": null, "kernelId": null, "ramdiskId": null
        })
        .to_string(),
        _ => return text(404, "Not Found".into()),
    };
    text(200, body)
}
