//! Fuzz target `bus_intake`: one delivery as the AMQP intake receives it — routing key, content
//! type and encoding, the `fedora_messaging_schema` header and the raw body (framing in
//! `amipub_fuzz::delivery`) — through what `amipub serve` does with it short of the store and
//! EC2: the intake decision for the example products (`amipub_domain::messages::classify`) and,
//! for each build a product takes, the new release (`amipub_domain::release::build::new_release`).
#![no_main]

use std::sync::OnceLock;

use amipub_domain::messages::{Delivery, Verdict, classify};
use amipub_domain::release::build::new_release;
use amipub_domain::release::second_party::Terms;
use amipub_domain::spec::{ProductSpec, parse_spec};
use amipub_fuzz::delivery;
use libfuzzer_sys::fuzz_target;

/// The example products that take builds from the bus, with the three kinds of `release` rule.
fn products() -> &'static [ProductSpec] {
    static PRODUCTS: OnceLock<Vec<ProductSpec>> = OnceLock::new();
    PRODUCTS.get_or_init(|| {
        let fedora = include_str!("../../examples/products/fedora-cloud-base.toml");
        let mut out = Vec::new();
        for (release, slug) in [("*", ""), ("rawhide", "-rawhide"), ("41", "-41")] {
            let text = fedora
                .replacen("release = \"*\"", &format!("release = {release:?}"), 1)
                .replacen("slug = \"", &format!("slug = \"x{slug}"), 1);
            out.extend(parse_spec(&text).ok());
        }
        out.extend(parse_spec(include_str!("../../examples/products/nginx-free.toml")).ok());
        out
    })
}

/// The Fedora build account, as `amipub.toml` trusts it.
const TRUSTED: &str = "125523088429";
/// Monday 5 January 2026, 10:00 UTC.
const NOW: i64 = 1_767_607_200;

fuzz_target!(|data: &[u8]| {
    let d = delivery::decode(data);
    let verdict = classify(
        &Delivery {
            routing_key: &d.routing_key,
            content_type: d.content_type.as_deref(),
            content_encoding: d.content_encoding.as_deref(),
            schema: d.schema.as_deref(),
            body: &d.body,
        },
        products(),
    );
    let Verdict::Builds(builds) = verdict else {
        return;
    };
    for b in &builds {
        let Some(spec) = products().iter().find(|s| s.product.slug == b.product) else {
            continue;
        };
        let _ = new_release(
            spec,
            &b.build,
            &[TRUSTED.to_owned()],
            None,
            "20260105",
            &Terms::default(),
            NOW,
        );
    }
});
