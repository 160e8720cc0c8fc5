//! The Fedora CoreOS decisions on the fixture of Fedora's `stable` stream: which products an
//! update is for, the build each takes, and when a build taken before moves the aliases.

use super::*;
use crate::validate::validate_text;

const STREAM: &str = include_str!("../../../../../fixtures/coreos/stream-stable.json");
const FEDORA: &str = include_str!("../../../../../examples/products/fedora-cloud-base.toml");
const KEY: &str = "org.fedoraproject.prod.coreos.stream.metadata.update";

fn coreos_product(stream: &str) -> ProductSpec {
    let text = FEDORA
        .replace("fedora-cloud-base-x86-64", &format!("fcos-{stream}-x86-64"))
        .replace(
            "topic = \"org.fedoraproject.prod.fedora_image_uploader.published.v1.aws.#\"",
            &format!("topic = \"org.fedoraproject.*.{STREAM_TOPIC}\"\nstream = \"{stream}\""),
        );
    let (spec, problems) = validate_text(&text);
    spec.unwrap_or_else(|| panic!("{problems:?}"))
}

#[test]
fn an_update_of_a_bound_stream_names_its_products_and_others_are_left_alone() {
    let products = vec![coreos_product("stable"), coreos_product("testing")];
    let v = classify_stream(KEY, br#"{"stream": "stable"}"#, &products);
    assert_eq!(
        v,
        Some(Verdict::Stream(StreamUpdate {
            stream: "stable".into(),
            products: vec!["fcos-stable-x86-64".into()],
        }))
    );
    // A stream nobody is bound to still parses; it simply has no products.
    let v = classify_stream(KEY, br#"{"stream": "next"}"#, &products);
    assert!(matches!(v, Some(Verdict::Stream(u)) if u.products.is_empty()));
    // Another topic is not a stream update.
    let other = "org.fedoraproject.prod.fedora_image_uploader.published.v1.aws";
    assert_eq!(classify_stream(other, b"{}", &products), None);
}

#[test]
fn a_bad_body_is_dead_lettered_with_the_field_named() {
    let products = vec![coreos_product("stable")];
    let dead = |body: &[u8]| match classify_stream(KEY, body, &products) {
        Some(Verdict::Dead(r, detail)) => (r, detail),
        other => panic!("{other:?}"),
    };
    assert_eq!(dead(b"not json").0, Reason::NotJson);
    let (r, detail) = dead(br#"{"stream": "../etc"}"#);
    assert_eq!(r, Reason::InvalidBody);
    assert!(detail.contains("body.stream"), "{detail}");
    assert_eq!(dead(br#"{"name": "stable"}"#).0, Reason::InvalidBody);
}

#[test]
fn the_build_is_the_release_image_in_the_source_region() {
    let stream = parse_stream(STREAM.as_bytes()).unwrap();
    let spec = coreos_product("stable");
    let rule = spec.intake.as_ref().unwrap();
    let b = stream_build(&stream, rule).unwrap();
    assert_eq!(b.source_region, "us-east-1");
    assert_eq!(b.source_ami, "ami-0d4e5f60718293a41");
    assert_eq!(b.vars["release"], "41.20241027.3.0");
    assert_eq!(b.vars["stream"], "stable");
    assert_eq!(b.sources.len(), 5);
    assert!(!b.sources.contains_key("us-east-1"));
    let mut arm = rule.clone();
    arm.arch = "ppc64le".into();
    let e = stream_build(&stream, &arm).unwrap_err();
    assert!(e.contains("no architecture ppc64le"), "{e}");
    arm.arch = "aarch64".into();
    arm.source_region = "ap-south-1".into();
    let e = stream_build(&stream, &arm).unwrap_err();
    assert!(e.contains("in ap-south-1"), "{e}");
    assert!(parse_stream(b"{\"stream\": 1}").is_err());
}

#[test]
fn a_build_taken_before_moves_the_alias_only_when_it_is_elsewhere() {
    // (done, newest, alias already there)
    assert_eq!(stream_step(false, false, false), StreamStep::Nothing);
    assert_eq!(stream_step(true, true, true), StreamStep::Nothing);
    assert_eq!(stream_step(true, false, true), StreamStep::Nothing);
    assert_eq!(stream_step(true, false, false), StreamStep::Rollback);
    assert_eq!(stream_step(true, true, false), StreamStep::Promote);
    assert_eq!(
        stream_url(DEFAULT_STREAM_URL, "stable"),
        "https://builds.coreos.fedoraproject.org/streams/stable.json"
    );
}
