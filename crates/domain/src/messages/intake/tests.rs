use super::*;
use crate::validate::validate_text;

const FEDORA: &str = include_str!("../../../../../examples/products/fedora-cloud-base.toml");
const X86: &str = include_str!(
    "../../../../../fixtures/fedora-messaging/aws-published-cloud-base-41-x86_64.json"
);

fn products() -> Vec<ProductSpec> {
    vec![validate_text(FEDORA).0.unwrap()]
}

fn sample() -> (String, Vec<u8>) {
    let v: Value = serde_json::from_str(X86).unwrap();
    (
        v["routing_key"].as_str().unwrap().to_owned(),
        serde_json::to_vec(&v["body"]).unwrap(),
    )
}

fn delivery<'a>(key: &'a str, body: &'a [u8]) -> Delivery<'a> {
    Delivery {
        routing_key: key,
        content_type: Some("application/json"),
        content_encoding: Some("utf-8"),
        schema: Some(INBOUND_SCHEMA),
        body,
    }
}

#[test]
fn the_fedora_sample_becomes_a_build_of_the_fedora_product() {
    let (key, body) = sample();
    let Verdict::Builds(b) = classify(&delivery(&key, &body), &products()) else {
        panic!("not accepted")
    };
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].product, "fedora-cloud-base-x86-64");
    assert_eq!(b[0].build.source_region, "us-east-1");
    assert_eq!(b[0].build.source_ami, "ami-06b2596588ff27750");
    assert_eq!(b[0].build.vars["release"], "41");
}

#[test]
fn other_topics_are_irrelevant_and_builds_nobody_wants_are_valid_but_empty() {
    let (key, body) = sample();
    let other = delivery("org.fedoraproject.prod.bodhi.update.comment", b"{}");
    assert_eq!(
        classify(
            &Delivery {
                schema: None,
                ..other
            },
            &products()
        ),
        Verdict::Irrelevant
    );
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    v["architecture"] = "aarch64".into();
    let arm = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        classify(&delivery(&key, &arm), &products()),
        Verdict::Builds(vec![])
    );
}

#[test]
fn amipubs_own_announcements_are_recognised_whatever_the_binding() {
    let published = delivery("org.fedoraproject.prod.amipub.release.submitted.v1", b"{}");
    let by_topic = Delivery {
        schema: None,
        ..published
    };
    assert_eq!(classify(&by_topic, &products()), Verdict::Own);
    // A product template may give the announcement another topic; the schema header tells.
    let by_schema = Delivery {
        routing_key: "org.fedoraproject.prod.cloud.images.published",
        schema: Some("amipub.release.published.v1"),
        ..published
    };
    assert_eq!(classify(&by_schema, &products()), Verdict::Own);
    let (key, body) = sample();
    assert!(matches!(
        classify(&delivery(&key, &body), &products()),
        Verdict::Builds(_)
    ));
}

#[test]
fn each_kind_of_bad_delivery_is_dead_lettered_with_its_reason() {
    let (key, body) = sample();
    let reason = |d: Delivery<'_>| match classify(&d, &products()) {
        Verdict::Dead(r, detail) => {
            assert!(!detail.is_empty());
            Some(r)
        }
        _ => None,
    };
    let big = vec![b' '; MAX_BODY + 1];
    assert_eq!(reason(delivery(&key, &big)), Some(Reason::TooLarge));
    assert_eq!(
        reason(Delivery {
            content_type: Some("text/plain"),
            ..delivery(&key, &body)
        }),
        Some(Reason::ContentType)
    );
    assert_eq!(reason(delivery(&key, b"{not json")), Some(Reason::NotJson));
    assert_eq!(reason(delivery(&key, &[0xff, 0xfe])), Some(Reason::NotJson));
    assert_eq!(
        reason(Delivery {
            schema: Some("fedora_image_uploader.published.v1.azure"),
            ..delivery(&key, &body)
        }),
        Some(Reason::UnknownSchema)
    );
    assert_eq!(
        reason(Delivery {
            schema: None,
            ..delivery(&key, &body)
        }),
        Some(Reason::UnknownSchema)
    );
    assert_eq!(
        reason(delivery(
            "org.fedoraproject.prod.fedora_image_uploader.published.v2.aws",
            &body
        )),
        Some(Reason::UnknownTopic)
    );
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    v.as_object_mut().unwrap().remove("compose_id");
    let missing = serde_json::to_vec(&v).unwrap();
    let Verdict::Dead(Reason::InvalidBody, detail) =
        classify(&delivery(&key, &missing), &products())
    else {
        panic!("missing field accepted")
    };
    assert!(detail.contains("body.compose_id"), "{detail}");
    let mut v: Value = serde_json::from_slice(&body).unwrap();
    v["regions"].as_object_mut().unwrap().remove("us-east-1");
    let no_source = serde_json::to_vec(&v).unwrap();
    assert_eq!(
        reason(delivery(&key, &no_source)),
        Some(Reason::NoSourceAmi)
    );
}

#[test]
fn topic_patterns_follow_amqp_rules() {
    assert!(topic_matches("a.#", "a"));
    assert!(topic_matches("a.#", "a.b.c"));
    assert!(topic_matches("a.*.c", "a.b.c"));
    assert!(!topic_matches("a.*.c", "a.c"));
    assert!(topic_matches("#.c", "a.b.c"));
    assert!(topic_matches("#", ""));
    assert!(!topic_matches("a.b", "a.b.c"));
    assert!(topic_matches("*.#.z", "a.z"));
}

#[test]
fn globs_match_image_names() {
    assert!(glob_matches(
        "Fedora-Cloud-Base-AmazonEC2.x86_64-*",
        "Fedora-Cloud-Base-AmazonEC2.x86_64-41-1.4"
    ));
    assert!(!glob_matches(
        "Fedora-Cloud-Base-AmazonEC2.x86_64-*",
        "Fedora-Cloud-Base-AmazonEC2.aarch64-41-1.4"
    ));
    assert!(glob_matches("a?c*", "abcdef"));
    assert!(glob_matches("*b*d", "abcd"));
    assert!(!glob_matches("a?c", "ac"));
    assert!(glob_matches("*", ""));
}

#[test]
fn release_filters_pick_numbers_and_rawhide() {
    let (key, body) = sample();
    let mut specs = products();
    specs[0].intake.as_mut().unwrap().release = "42".into();
    assert_eq!(
        classify(&delivery(&key, &body), &specs),
        Verdict::Builds(vec![])
    );
    specs[0].intake.as_mut().unwrap().release = "41".into();
    assert!(matches!(classify(&delivery(&key, &body), &specs), Verdict::Builds(b) if b.len() == 1));
    specs[0].intake.as_mut().unwrap().release = "rawhide".into();
    assert_eq!(
        classify(&delivery(&key, &body), &specs),
        Verdict::Builds(vec![])
    );
}

#[test]
fn reason_codes_round_trip() {
    for r in Reason::ALL {
        assert_eq!(Reason::from_code(r.code()), Some(r));
    }
    assert_eq!(Reason::from_code("nope"), None);
}
