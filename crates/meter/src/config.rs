//! The agent's TOML configuration: where the journal lives, how to reach the instance metadata
//! service and the Metering Service, and one `[[dimension]]` table per pricing dimension with its
//! source (or one source per usage allocation). Parsing names the field and the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default instance metadata endpoint.
pub const DEFAULT_IMDS: &str = "http://169.254.169.254";
/// The default journal location (the systemd unit's `StateDirectory`).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/amipub-meter";
/// Sampling interval when none is configured, seconds.
pub const DEFAULT_SAMPLE_SECONDS: u64 = 60;

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Agent settings.
    #[serde(default)]
    pub agent: Agent,
    /// What to measure.
    #[serde(default, rename = "dimension")]
    pub dimensions: Vec<Dimension>,
}

/// Agent settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    /// Directory of the journal and the metrics file.
    #[serde(default = "default_state_dir")]
    pub state_dir: PathBuf,
    /// How often sources are sampled, seconds (10–3600).
    #[serde(default = "default_sample_seconds")]
    pub sample_seconds: u64,
    /// The instance metadata service (a path prefix is allowed, for tests).
    #[serde(default = "default_imds")]
    pub imds_endpoint: String,
    /// Metering Service endpoint override; `None`: the Region's own endpoint.
    #[serde(default)]
    pub metering_endpoint: Option<String>,
    /// Product code override; `None`: the instance's product code from the metadata service.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Region override; `None`: the instance's Region.
    #[serde(default)]
    pub region: Option<String>,
    /// `system` (default) or `sandbox`: take time from the amipub sandbox at
    /// `metering_endpoint`, whose hours may pass in seconds. For tests only.
    #[serde(default)]
    pub clock: ClockSource,
}

impl Default for Agent {
    fn default() -> Self {
        Self {
            state_dir: default_state_dir(),
            sample_seconds: DEFAULT_SAMPLE_SECONDS,
            imds_endpoint: default_imds(),
            metering_endpoint: None,
            product_code: None,
            region: None,
            clock: ClockSource::System,
        }
    }
}

/// Where time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockSource {
    /// The system clock.
    #[default]
    System,
    /// The amipub sandbox's virtual clock.
    Sandbox,
}

fn default_state_dir() -> PathBuf {
    PathBuf::from(DEFAULT_STATE_DIR)
}
fn default_sample_seconds() -> u64 {
    DEFAULT_SAMPLE_SECONDS
}
fn default_imds() -> String {
    DEFAULT_IMDS.to_owned()
}

/// One pricing dimension.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// The dimension's API key in the product's pricing (`UsageDimension`).
    pub key: String,
    /// Gauge (a level sampled over the hour) or counter (a total whose growth is the usage).
    pub kind: Kind,
    /// For gauges: how samples become the hour's quantity. Default `max`.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Multiplies every value (e.g. 1e-9 for bytes → GB). Default 1.
    #[serde(default = "one")]
    pub scale: f64,
    /// The source, unless the dimension is split into allocations.
    #[serde(default)]
    pub source: Option<Source>,
    /// Usage allocations: one source per tag set; the quantity is their sum.
    #[serde(default)]
    pub allocations: Vec<Allocation>,
}

fn one() -> f64 {
    1.0
}

/// Gauge or counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A level (users connected now).
    Gauge,
    /// An ever-growing total (bytes processed since start); a drop means it was reset.
    Counter,
}

/// How a gauge's samples become one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The highest sample.
    #[default]
    Max,
    /// The mean of the samples.
    Average,
    /// The last sample.
    Last,
}

/// Where a number comes from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A shell command whose standard output is a number.
    #[serde(default)]
    pub command: Option<String>,
    /// A file holding a number.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// An `http://` URL answering JSON; `pointer` selects the number (default: the whole body).
    #[serde(default)]
    pub http: Option<String>,
    /// JSON pointer into the `http` answer, e.g. `/stats/users`.
    #[serde(default)]
    pub pointer: Option<String>,
    /// An `http://` URL answering Prometheus text; `metric` (and `labels`) select the series,
    /// whose values are summed.
    #[serde(default)]
    pub prometheus: Option<String>,
    /// Metric name for `prometheus`.
    #[serde(default)]
    pub metric: Option<String>,
    /// Label values a `prometheus` series must have.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// How long a read may take, seconds. Default 10.
    #[serde(default = "ten")]
    pub timeout_seconds: u64,
}

fn ten() -> u64 {
    10
}

/// One usage allocation: a tag set and its own source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    /// Up to 5 tags.
    pub tags: BTreeMap<String, String>,
    /// Its source.
    pub source: Source,
}

/// What the source of one series is, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// `sh -c COMMAND`.
    Command(String),
    /// Read a file.
    File(PathBuf),
    /// JSON over HTTP.
    Http {
        /// URL.
        url: String,
        /// JSON pointer.
        pointer: String,
    },
    /// Prometheus text over HTTP.
    Prometheus {
        /// URL.
        url: String,
        /// Metric name.
        metric: String,
        /// Required labels.
        labels: BTreeMap<String, String>,
    },
}

impl Source {
    /// The one kind this source names, or what is wrong with it (`at` names it).
    pub fn kind(&self, at: &str) -> Result<SourceKind, String> {
        let named = [
            self.command.is_some(),
            self.file.is_some(),
            self.http.is_some(),
            self.prometheus.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if named != 1 {
            return Err(format!(
                "{at}: name exactly one of command, file, http or prometheus (found {named})"
            ));
        }
        if let Some(c) = &self.command {
            return Ok(SourceKind::Command(c.clone()));
        }
        if let Some(f) = &self.file {
            return Ok(SourceKind::File(f.clone()));
        }
        if let Some(u) = &self.http {
            check_url(u, &format!("{at}.http"))?;
            return Ok(SourceKind::Http {
                url: u.clone(),
                pointer: self.pointer.clone().unwrap_or_default(),
            });
        }
        let url = self.prometheus.clone().unwrap_or_default();
        check_url(&url, &format!("{at}.prometheus"))?;
        let metric = self
            .metric
            .clone()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| format!("{at}.metric: a prometheus source needs the metric name"))?;
        Ok(SourceKind::Prometheus {
            url,
            metric,
            labels: self.labels.clone(),
        })
    }
}

fn check_url(url: &str, at: &str) -> Result<(), String> {
    if url.starts_with("http://") {
        Ok(())
    } else {
        Err(format!(
            "{at}: {url:?} is not an http:// URL (local sources only; put a local exporter in front of anything else)"
        ))
    }
}

/// One measured series: a dimension, or one allocation of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `key` or `key[i]` for allocation i.
    pub id: String,
    /// The dimension key.
    pub dimension: String,
    /// Allocation tags (empty without allocations).
    pub tags: BTreeMap<String, String>,
    /// Gauge or counter.
    pub kind: Kind,
    /// Aggregation of gauges.
    pub aggregate: Aggregate,
    /// Multiplier.
    pub scale: f64,
    /// Where the number comes from.
    pub source: SourceKind,
    /// Read timeout, seconds.
    pub timeout_seconds: u64,
}

impl Config {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.series()?;
        Ok(config)
    }

    /// Every series, checked: dimension keys unique and valid, one source each, 1–5 tags of the
    /// allowed lengths per allocation, distinct tag sets, a sampling interval of 10–3600 s.
    pub fn series(&self) -> Result<Vec<Series>, String> {
        if !(10..=3600).contains(&self.agent.sample_seconds) {
            return Err(format!(
                "agent.sample_seconds: {} is outside 10–3600",
                self.agent.sample_seconds
            ));
        }
        if self.dimensions.is_empty() {
            return Err(
                "no [[dimension]]: add one table per pricing dimension the agent measures".into(),
            );
        }
        let mut out = Vec::new();
        let mut keys = std::collections::BTreeSet::new();
        for (i, d) in self.dimensions.iter().enumerate() {
            let at = format!("dimension[{i}] ({})", d.key);
            if d.key.is_empty()
                || d.key.len() > 100
                || !d
                    .key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
            {
                return Err(format!(
                    "{at}.key: use the dimension's API key from the product's pricing (1–100 of A-Z a-z 0-9 _ . -)"
                ));
            }
            if !keys.insert(d.key.clone()) {
                return Err(format!("{at}.key: {} is configured twice", d.key));
            }
            if !(d.scale.is_finite() && d.scale > 0.0) {
                return Err(format!("{at}.scale: must be a positive number"));
            }
            if d.kind == Kind::Counter && d.aggregate != Aggregate::Max {
                return Err(format!(
                    "{at}.aggregate: counters are summed by their growth; remove aggregate"
                ));
            }
            match (&d.source, d.allocations.is_empty()) {
                (Some(s), true) => out.push(Series {
                    id: d.key.clone(),
                    dimension: d.key.clone(),
                    tags: BTreeMap::new(),
                    kind: d.kind,
                    aggregate: d.aggregate,
                    scale: d.scale,
                    source: s.kind(&format!("{at}.source"))?,
                    timeout_seconds: s.timeout_seconds,
                }),
                (None, false) => {
                    if d.allocations.len() > 2500 {
                        return Err(format!("{at}.allocations: at most 2500"));
                    }
                    let mut sets = std::collections::BTreeSet::new();
                    for (j, a) in d.allocations.iter().enumerate() {
                        let at = format!("{at}.allocations[{j}]");
                        check_tags(&a.tags, &at)?;
                        if !sets.insert(a.tags.clone()) {
                            return Err(format!("{at}.tags: the same tag set is used twice"));
                        }
                        out.push(Series {
                            id: format!("{}[{j}]", d.key),
                            dimension: d.key.clone(),
                            tags: a.tags.clone(),
                            kind: d.kind,
                            aggregate: d.aggregate,
                            scale: d.scale,
                            source: a.source.kind(&format!("{at}.source"))?,
                            timeout_seconds: a.source.timeout_seconds,
                        });
                    }
                }
                (Some(_), false) => {
                    return Err(format!("{at}: give either source or allocations, not both"));
                }
                (None, true) => {
                    return Err(format!(
                        "{at}: add a [dimension.source] (or [[dimension.allocations]])"
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn check_tags(tags: &BTreeMap<String, String>, at: &str) -> Result<(), String> {
    if tags.is_empty() || tags.len() > 5 {
        return Err(format!("{at}.tags: 1 to 5 tags per allocation"));
    }
    for (k, v) in tags {
        if k.is_empty() || k.len() > 100 || v.is_empty() || v.len() > 256 {
            return Err(format!(
                "{at}.tags: key {k:?} must be 1–100 characters and its value 1–256"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[agent]
state_dir = "/tmp/x"
sample_seconds = 300

[[dimension]]
key = "users"
kind = "gauge"
aggregate = "average"
source = { command = "echo 3" }

[[dimension]]
key = "gb"
kind = "counter"
scale = 1e-9
source = { prometheus = "http://127.0.0.1:9100/metrics", metric = "bytes_total" }

[[dimension]]
key = "hosts"
kind = "gauge"
[[dimension.allocations]]
tags = { team = "a" }
source = { file = "/run/a" }
[[dimension.allocations]]
tags = { team = "b" }
source = { file = "/run/b" }
"#;

    #[test]
    fn a_full_config_yields_one_series_per_dimension_or_allocation() {
        let c = Config::parse(GOOD).unwrap_or_else(|e| panic!("{e}"));
        let s = c.series().unwrap_or_default();
        let ids: Vec<_> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["users", "gb", "hosts[0]", "hosts[1]"]);
        assert_eq!(s[0].aggregate, Aggregate::Average);
        assert_eq!(s[1].kind, Kind::Counter);
        assert_eq!(s[3].tags.get("team").map(String::as_str), Some("b"));
    }

    #[test]
    fn mistakes_name_the_field_and_the_fix() {
        let cases = [
            (
                GOOD.replace("source = { command = \"echo 3\" }", ""),
                "dimension[0] (users): add a [dimension.source]",
            ),
            (
                GOOD.replace(
                    "{ command = \"echo 3\" }",
                    "{ command = \"a\", file = \"b\" }",
                ),
                "exactly one of",
            ),
            (
                GOOD.replace("metric = \"bytes_total\"", ""),
                "dimension[1] (gb).source.metric",
            ),
            (
                GOOD.replace("http://127.0.0.1:9100", "https://x"),
                "not an http:// URL",
            ),
            (
                GOOD.replace("key = \"gb\"", "key = \"users\""),
                "configured twice",
            ),
            (GOOD.replace("team = \"b\"", "team = \"a\""), "same tag set"),
            (
                GOOD.replace("sample_seconds = 300", "sample_seconds = 5"),
                "sample_seconds",
            ),
            (GOOD.replace("scale = 1e-9", "scale = -1.0"), "scale"),
            (
                GOOD.replace(
                    "kind = \"counter\"",
                    "kind = \"counter\"\naggregate = \"last\"",
                ),
                "counters are summed",
            ),
            (
                GOOD.replace("[agent]", "[agent]\nfrobnicate = 1"),
                "unknown field",
            ),
        ];
        for (text, want) in cases {
            let err = Config::parse(&text).err().unwrap_or_default();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
    }
}
