//! Fedora CoreOS: the `coreos.stream.metadata.update` message (body `{"stream": "<name>"}`)
//! says a stream's metadata changed. Which products listen to that stream (their `[intake]`
//! names it), and, once the stream's metadata is fetched, the build each product takes from it:
//! the AWS image of the stream's release for the product's architecture in its source Region.
//! The metadata is read with the CoreOS project's own types (`coreos-stream-metadata`); its
//! format is described at <https://coreos.github.io/stream-metadata-go/> (per architecture,
//! `images.aws.regions.<region> = {release, image}`).

use std::collections::BTreeMap;

use coreos_stream_metadata::Stream;
use serde_json::Value;

pub use super::verdict::StreamUpdate;
use super::verdict::{MAX_BODY, Reason, Verdict, topic_matches};
use crate::release::build::Build;
use crate::spec::{Intake, ProductSpec};

/// The topic (after the environment prefix) of a stream metadata update.
pub const STREAM_TOPIC: &str = "coreos.stream.metadata.update";

/// Fedora's public stream metadata, per stream.
pub const DEFAULT_STREAM_URL: &str =
    "https://builds.coreos.fedoraproject.org/streams/{stream}.json";

/// Whether a routing key carries the stream-update topic (after any prefix words).
pub fn is_stream_topic(key: &str) -> bool {
    let topic: Vec<&str> = STREAM_TOPIC.split('.').collect();
    let words: Vec<&str> = key.split('.').collect();
    words.windows(topic.len()).any(|w| w == topic.as_slice())
}

/// The verdict on a delivery for the stream-bound products, or `None` when it is not a stream
/// update any of them listens to (the build-announcement rules decide then).
pub fn classify_stream(key: &str, body: &[u8], products: &[ProductSpec]) -> Option<Verdict> {
    let bound: Vec<(&ProductSpec, &Intake)> = products
        .iter()
        .filter_map(|p| p.intake.as_ref().map(|i| (p, i)))
        .filter(|(_, i)| i.stream.is_some() && topic_matches(&i.topic, key))
        .collect();
    if bound.is_empty() || !is_stream_topic(key) {
        return None;
    }
    if body.len() > MAX_BODY {
        let detail = format!(
            "the body has {} bytes; at most {MAX_BODY} are read",
            body.len()
        );
        return Some(Verdict::Dead(Reason::TooLarge, detail));
    }
    let stream = match serde_json::from_slice::<Value>(body) {
        Err(e) => {
            return Some(Verdict::Dead(
                Reason::NotJson,
                format!("the body is not JSON: {e}"),
            ));
        }
        Ok(v) => v["stream"].as_str().map(str::to_owned),
    };
    let Some(stream) = stream.filter(|s| valid_stream(s)) else {
        return Some(Verdict::Dead(
            Reason::InvalidBody,
            "body.stream must name a stream (letters, digits, '-' and '_'), e.g. {\"stream\": \"stable\"}"
                .into(),
        ));
    };
    let products = bound
        .into_iter()
        .filter(|(_, i)| i.stream.as_deref() == Some(stream.as_str()))
        .map(|(p, _)| p.product.slug.clone())
        .collect();
    Some(Verdict::Stream(StreamUpdate { stream, products }))
}

/// Whether `s` can be a stream name (it becomes part of a URL and a file name).
pub fn valid_stream(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The URL of a stream's metadata from the configured template (`{stream}` is replaced).
pub fn stream_url(template: &str, stream: &str) -> String {
    template.replace("{stream}", stream)
}

/// Parses a stream's metadata document.
pub fn parse_stream(text: &[u8]) -> Result<Stream, String> {
    serde_json::from_slice(text)
        .map_err(|e| format!("the stream metadata does not parse as CoreOS stream metadata: {e}"))
}

/// The build a product bound to `stream` takes from its metadata: the AWS image of the stream's
/// release for the rule's architecture in its source Region (the other Regions' images are
/// kept as sources). Version titles come from the `release` variable (`41.20241027.3.0`).
pub fn stream_build(stream: &Stream, rule: &Intake) -> Result<Build, String> {
    let arch = &rule.arch;
    let aws = stream
        .architectures
        .get(arch)
        .ok_or_else(|| format!("stream {} has no architecture {arch}", stream.stream))?
        .images
        .as_ref()
        .and_then(|i| i.aws.as_ref())
        .ok_or_else(|| format!("stream {} has no AWS images for {arch}", stream.stream))?;
    let here = aws.regions.get(&rule.source_region).ok_or_else(|| {
        format!(
            "stream {} has no AWS image for {arch} in {}",
            stream.stream, rule.source_region
        )
    })?;
    if here.image.parse::<crate::ids::AmiId>().is_err() {
        return Err(format!(
            "stream {}: {arch} in {} is {:?}, not an AMI id",
            stream.stream, rule.source_region, here.image
        ));
    }
    // Other Regions' images of the same release only: a Region still on an older release is
    // not a source of this one.
    let sources: BTreeMap<String, String> = aws
        .regions
        .iter()
        .filter(|(r, i)| **r != rule.source_region && i.release == here.release)
        .filter(|(_, i)| i.image.parse::<crate::ids::AmiId>().is_ok())
        .map(|(r, i)| (r.clone(), i.image.clone()))
        .collect();
    let vars = BTreeMap::from([
        ("arch".to_owned(), arch.clone()),
        ("release".to_owned(), here.release.clone()),
        ("stream".to_owned(), stream.stream.clone()),
    ]);
    Ok(Build {
        source_region: rule.source_region.clone(),
        source_ami: here.image.clone(),
        vars,
        sources,
    })
}

/// What a stream update means for a product whose build from it was already taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamStep {
    /// Nothing to do: the release is still under way, or the alias already leads to it.
    Nothing,
    /// The stream went back to an older release amipub published: point the aliases at it.
    Rollback,
    /// The stream went forward again to a release amipub published (after a rollback).
    Promote,
}

/// Decides the step for a build taken before: `done` whether its release finished; `newest`
/// whether it is the product's newest finished release; `alias_there` whether the product's
/// `latest` alias already holds its Marketplace AMI (in the source Region).
pub fn stream_step(done: bool, newest: bool, alias_there: bool) -> StreamStep {
    match (done, alias_there, newest) {
        (false, _, _) | (true, true, _) => StreamStep::Nothing,
        (true, false, false) => StreamStep::Rollback,
        (true, false, true) => StreamStep::Promote,
    }
}

#[cfg(test)]
mod tests;
