//! The fields every announcement of a release repeats: the build's (as the inbound message
//! named them), the product, the version and the release.

use amipub_domain::release::Release;

use crate::product::Product;

/// The build fields every announcement repeats from the inbound message, plus the product,
/// version and release.
pub fn common_fields(product: &Product, r: &Release) -> serde_json::Map<String, serde_json::Value> {
    let var = |k: &str| r.vars.get(k).cloned();
    // Fedora's release is an integer; other distributions may name theirs.
    let release = match var("release") {
        Some(v) => v
            .parse::<i64>()
            .map_or(serde_json::Value::String(v), serde_json::Value::from),
        None => serde_json::Value::Null,
    };
    let body = serde_json::json!({
        "architecture": var("arch").unwrap_or_else(|| product.spec.product.architecture.clone()),
        "compose_id": var("compose_id"),
        "image_name": var("image_name"),
        "release": release,
        "subvariant": var("subvariant"),
        "regions": { r.source_region.to_string(): r.source_ami.clone() },
        "product_id": product.spec.product.id,
        "product": r.product,
        "version_title": r.version,
        "release_id": r.id,
    });
    match body {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}
