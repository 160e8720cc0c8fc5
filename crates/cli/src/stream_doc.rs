//! The per-stream documents of Fedora CoreOS products (`[coreos] streams_dir/<stream>.json`):
//! where each architecture's `latest` leads, per Region, as Marketplace AMIs. The shape is the
//! stream metadata's own (`architectures.<arch>.images.<platform>.regions.<region> =
//! {release, image}`, <https://coreos.github.io/stream-metadata-go/>) under the platform key
//! `aws-marketplace`, so the stream tooling can merge it into a stream's metadata beside the
//! community AMIs (`aws`) without touching them. A published release replaces its
//! architecture's Regions; an alias move of `latest` (a rollback) sets the Regions it moved.

use std::path::{Path, PathBuf};

use amipub_domain::messages::PUBLISHED;
use amipub_domain::messages::coreos::valid_stream;
use amipub_domain::messages::outbound::ALIAS_MOVED;
use serde_json::{Map, Value, json};

/// The platform key of Marketplace AMIs in the documents.
pub const PLATFORM: &str = "aws-marketplace";

/// The stream document an announcement changes, if any: (stream, file).
pub fn target(streams_dir: &Path, schema: &str, body: &Value) -> Option<(String, PathBuf)> {
    let stream = body["stream"].as_str().filter(|s| valid_stream(s))?;
    let moves_latest = schema == ALIAS_MOVED && body["alias"] == "latest";
    (schema == PUBLISHED || moves_latest).then(|| {
        (
            stream.to_owned(),
            streams_dir.join(format!("{stream}.json")),
        )
    })
}

/// The member `key` of `v`, made an object when `v` is not one (a file another tool wrote in
/// another shape is mended rather than a panic).
pub fn object_at<'v>(v: &'v mut Value, key: &str) -> &'v mut Value {
    if !v.is_object() {
        *v = json!({});
    }
    let slot = &mut v[key];
    if !slot.is_object() {
        *slot = json!({});
    }
    slot
}

/// `doc` with the announcement merged in, stamped `now` (RFC 3339).
pub fn merged(mut doc: Value, stream: &str, schema: &str, body: &Value, now: &str) -> Value {
    if !doc.is_object() {
        doc = json!({});
    }
    doc["stream"] = json!(stream);
    doc["metadata"] =
        json!({ "last-modified": now, "generator": concat!("amipub ", env!("CARGO_PKG_VERSION")) });
    let arch = body["architecture"].as_str().unwrap_or("unknown");
    let mut at = &mut doc;
    for key in ["architectures", arch, "images", PLATFORM, "regions"] {
        at = object_at(at, key);
    }
    let regions = at;
    if schema == PUBLISHED {
        let release = &body["version_title"];
        let fresh: Map<String, Value> = body["marketplace_regions"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(r, ami)| (r.clone(), json!({ "release": release, "image": ami })))
            .collect();
        *regions = Value::Object(fresh);
    } else {
        let release = &body["to_version"];
        for (r, m) in body["regions"].as_object().into_iter().flatten() {
            *object_at(regions, r) = json!({ "release": release, "image": m["to"] });
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_then_a_rollback_leave_the_older_release_in_each_moved_region() {
        let dir = Path::new("/srv/streams");
        let published = |v: &str, ami: &str| {
            json!({"product": "fcos", "architecture": "x86_64", "stream": "stable",
                   "version_title": v,
                   "marketplace_regions": {"us-east-1": ami, "eu-west-1": ami}})
        };
        let (stream, file) = target(dir, PUBLISHED, &published("1", "ami-1")).unwrap();
        assert_eq!(file, Path::new("/srv/streams/stable.json"));
        let doc = merged(
            Value::Null,
            &stream,
            PUBLISHED,
            &published("1", "ami-1"),
            "t1",
        );
        let doc = merged(doc, &stream, PUBLISHED, &published("2", "ami-2"), "t2");
        let regions = &doc["architectures"]["x86_64"]["images"][PLATFORM]["regions"];
        assert_eq!(
            regions["eu-west-1"],
            json!({"release": "2", "image": "ami-2"})
        );
        let back = json!({"product": "fcos", "architecture": "x86_64", "stream": "stable",
                          "alias": "latest", "to_version": "1",
                          "regions": {"us-east-1": {"from": "ami-2", "to": "ami-1"}}});
        assert!(target(dir, ALIAS_MOVED, &back).is_some());
        let doc = merged(doc, "stable", ALIAS_MOVED, &back, "t3");
        let regions = &doc["architectures"]["x86_64"]["images"][PLATFORM]["regions"];
        assert_eq!(
            regions["us-east-1"],
            json!({"release": "1", "image": "ami-1"})
        );
        assert_eq!(regions["eu-west-1"]["release"], "2");
        assert_eq!(doc["metadata"]["last-modified"], "t3");
        // A file of another shape is mended, not a panic.
        let odd_doc = json!({"architectures": {"x86_64": {"images": ["aws"]}}});
        let mended = merged(odd_doc, "stable", ALIAS_MOVED, &back, "t4");
        let regions = &mended["architectures"]["x86_64"]["images"][PLATFORM]["regions"];
        assert_eq!(regions["us-east-1"]["release"], "1");
        // Other aliases, releases without a stream and odd stream names change no document.
        let mut other = back.clone();
        other["alias"] = json!("stable-41");
        assert!(target(dir, ALIAS_MOVED, &other).is_none());
        let mut odd = published("3", "ami-3");
        odd["stream"] = json!("../x");
        assert!(target(dir, PUBLISHED, &odd).is_none());
        odd.as_object_mut().unwrap().remove("stream");
        assert!(target(dir, PUBLISHED, &odd).is_none());
    }
}
