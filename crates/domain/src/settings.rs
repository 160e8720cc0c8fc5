//! `amipub.toml`: accounts and roles per partition, trusted build accounts, endpoints, the bus,
//! change-set events, the store and the products directory. Parsed with `deny_unknown_fields`, then checked like a
//! spec (every problem at once, with lines). Secrets are never values here: the file names the
//! environment variable or file that holds them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, RoleArn};
use crate::spec::parse_toml;
use crate::spec::path::FieldPath;
use crate::validate::{Findings, Problem, account};

/// The commented example configuration; it is also amipub's built-in default, which points at
/// the sandbox's accounts.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../examples/amipub.toml");

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Directory of product spec files.
    #[serde(default = "default_products_dir")]
    pub products_dir: String,
    /// Where state lives.
    #[serde(default)]
    pub store: Store,
    /// Credentials and accounts per AWS partition (`aws`, `aws-us-gov`).
    pub partitions: BTreeMap<String, Partition>,
    /// Whose AMIs may be published.
    pub trust: Trust,
    /// Endpoint overrides (the sandbox); absent means real AWS.
    #[serde(default)]
    pub endpoints: Endpoints,
    /// The message bus.
    #[serde(default)]
    pub bus: Option<Bus>,
    /// Change-set events: an SQS queue fed by an EventBridge rule.
    #[serde(default)]
    pub events: Option<EventsSettings>,
    /// The JSON feed of the latest Marketplace AMIs per product, arch and Region, rewritten after
    /// every announcement (for a website to serve).
    #[serde(default = "default_feed_file")]
    pub feed_file: String,
    /// The second-party ("provided by AWS") path.
    #[serde(default)]
    pub second_party: crate::second_party::SecondPartySettings,
    /// Who may use the web console and the JSON API of `amipub serve`.
    #[serde(default)]
    pub console: crate::console::ConsoleSettings,
    /// Fedora CoreOS stream metadata: where it is read, and where the per-stream documents of
    /// Marketplace AMIs are written.
    #[serde(default)]
    pub coreos: CoreosSettings,
    /// Tags put on every resource amipub creates (`FedoraGroup = "cloud"`), besides its own
    /// provenance tags (`amipub:…`).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// `[coreos]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoreosSettings {
    /// The URL of a stream's metadata; `{stream}` is replaced by its name.
    #[serde(default = "default_stream_url")]
    pub stream_url: String,
    /// The directory of the per-stream documents (`<stream>.json`): the Marketplace AMI of each
    /// architecture and Region, in the stream metadata's own shape.
    #[serde(default = "default_streams_dir")]
    pub streams_dir: String,
}

impl Default for CoreosSettings {
    fn default() -> Self {
        Self {
            stream_url: default_stream_url(),
            streams_dir: default_streams_dir(),
        }
    }
}

fn default_stream_url() -> String {
    crate::messages::coreos::DEFAULT_STREAM_URL.to_owned()
}

fn default_streams_dir() -> String {
    "streams".to_owned()
}

fn default_datagrepper_url() -> String {
    crate::messages::datagrepper::DEFAULT_URL.to_owned()
}

fn default_feed_file() -> String {
    "amipub-feed.json".to_owned()
}

fn default_products_dir() -> String {
    "products".to_owned()
}

/// `[store]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// `sqlite://path` (default) or `postgres://…`; a password goes in `password_env`.
    #[serde(default = "default_store_url")]
    pub url: String,
    /// Environment variable holding the database password, if any.
    #[serde(default)]
    pub password_env: Option<String>,
    /// File holding the database password (a mounted secret), if any.
    #[serde(default)]
    pub password_file: Option<String>,
    /// PostgreSQL `sslmode`: `disable`, `prefer`, `require`, `verify-ca` or `verify-full`.
    #[serde(default)]
    pub sslmode: Option<String>,
    /// CA bundle the PostgreSQL server's certificate must chain to.
    #[serde(default)]
    pub ca_file: Option<String>,
}

impl Default for Store {
    fn default() -> Self {
        Self {
            url: default_store_url(),
            password_env: None,
            password_file: None,
            sslmode: None,
            ca_file: None,
        }
    }
}

fn default_store_url() -> String {
    "sqlite://amipub.db".to_owned()
}

/// `[partitions.<name>]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// The seller account in this partition.
    pub account_id: String,
    /// The Marketplace ingestion role (commercial partition only).
    #[serde(default)]
    pub ingestion_role: Option<String>,
    /// A role to assume before every call, if the base credentials are not the seller's.
    #[serde(default)]
    pub assume_role: Option<String>,
    /// A named profile from the shared AWS config for the base credentials.
    #[serde(default)]
    pub profile: Option<String>,
    /// Accounts granted launch and create-volume permission on mirrored AMIs.
    #[serde(default)]
    pub share_with: Vec<String>,
}

/// `[trust]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// Accounts whose AMIs are accepted as sources.
    pub build_accounts: Vec<String>,
}

/// `[endpoints]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    /// One URL for every service (the sandbox answers them all).
    #[serde(default)]
    pub url: Option<String>,
    /// Per-service overrides, keyed by service (`ec2`, `marketplace-catalog`, …).
    #[serde(default)]
    pub services: BTreeMap<String, String>,
}

/// `[bus]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Bus {
    /// `amqp://` or `amqps://` URL, without a password.
    pub url: String,
    /// Environment variable holding the password, if any.
    #[serde(default)]
    pub password_env: Option<String>,
    /// CA bundle file.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// Client certificate file.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// Client key file.
    #[serde(default)]
    pub key_file: Option<String>,
    /// Our durable queue.
    #[serde(default = "default_queue")]
    pub queue: String,
    /// Binding patterns on `amq.topic`.
    #[serde(default)]
    pub bindings: Vec<String>,
    /// Prefix of outgoing topics, e.g. `org.fedoraproject.prod.`.
    #[serde(default)]
    pub topic_prefix: String,
    /// Deliveries the broker may send ahead of acknowledgements.
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Datagrepper, the bus's archive, which `amipub catch-up` reads missed messages from.
    #[serde(default = "default_datagrepper_url")]
    pub datagrepper_url: String,
    /// How far back `amipub serve` catches up when it starts (`2h`, `1d`); none by default.
    #[serde(default)]
    pub catch_up: Option<String>,
}

/// `[events]`: an SQS queue that an EventBridge rule feeds with the Marketplace Catalog's
/// change-set events (`amipub_domain::changeset::events`). Events only wake waiting releases and
/// jobs early; without them the paced polling notices every end.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventsSettings {
    /// The queue's URL, `https://sqs.<region>.amazonaws.com/<account>/<name>`; absent: no events.
    #[serde(default)]
    pub queue_url: Option<String>,
    /// How long one ReceiveMessage waits for a message (long polling), seconds.
    #[serde(default = "default_wait_seconds")]
    pub wait_seconds: i32,
}

/// SQS long polling waits at most 20 s
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html>);
/// the longest wait makes the fewest empty receives.
pub const MAX_EVENTS_WAIT_SECS: i32 = 20;

fn default_wait_seconds() -> i32 {
    MAX_EVENTS_WAIT_SECS
}

impl EventsSettings {
    /// The queue's URL, when events are on.
    pub fn queue(&self) -> Option<&str> {
        self.queue_url.as_deref()
    }
}

/// Whether `url` names a queue as SQS writes its URLs: `http(s)://host/<12-digit account>/<name>`
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html>).
fn is_queue_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    matches!(parts.as_slice(), [host, account, name]
        if !host.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && !url.chars().any(char::is_whitespace))
}

/// Checks `[events]`.
fn check_events(f: &mut Findings, path: &FieldPath, events: &EventsSettings) {
    if let Some(url) = &events.queue_url
        && !is_queue_url(url)
    {
        f.error(
            &path.key("queue_url"),
            "settings.events.queue-url",
            format!("{url:?} is not an SQS queue URL"),
            "http(s)://host/<12-digit account>/<queue name>",
            "copy the queue's URL from the SQS console or `aws sqs get-queue-url`, e.g. https://sqs.us-east-1.amazonaws.com/111122223333/amipub-catalog-events",
        );
    }
    if !(1..=MAX_EVENTS_WAIT_SECS).contains(&events.wait_seconds) {
        f.error(
            &path.key("wait_seconds"),
            "settings.events.wait-seconds",
            format!("{} is not a long-polling wait", events.wait_seconds),
            format!("1 to {MAX_EVENTS_WAIT_SECS} seconds (SQS's longest wait)"),
            format!("write wait_seconds = {MAX_EVENTS_WAIT_SECS}, or remove it"),
        );
    }
}

fn default_prefetch() -> u16 {
    25
}

fn default_queue() -> String {
    "amipub".to_owned()
}

impl Settings {
    /// The seller account and ingestion role of the commercial partition.
    pub fn seller(&self) -> Option<(AccountId, RoleArn)> {
        let p = self.partitions.get("aws")?;
        Some((
            p.account_id.parse().ok()?,
            p.ingestion_role.as_ref()?.parse().ok()?,
        ))
    }
}

/// Whether a URL carries a password (`scheme://user:password@host…`); a port is not one.
fn has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// Parses and checks a configuration text.
pub fn validate_settings_text(text: &str) -> (Option<Settings>, Vec<Problem>) {
    let settings: Settings = match parse_toml(text) {
        Ok(s) => s,
        Err(p) => return (None, vec![*p]),
    };
    let mut f = Findings::default();
    let root = FieldPath::root();
    let pp = root.key("partitions");
    if !settings.partitions.contains_key("aws") {
        f.error(
            &pp,
            "settings.partition.missing",
            "has no [partitions.aws]",
            "the commercial partition holds the seller account",
            "add [partitions.aws] with account_id and ingestion_role",
        );
    }
    for (name, part) in &settings.partitions {
        let p = pp.key(name);
        if !matches!(name.as_str(), "aws" | "aws-us-gov" | "aws-cn") {
            f.error(
                &p,
                "settings.partition.name",
                format!("{name:?} is not a partition amipub supports"),
                "aws, aws-us-gov, aws-cn",
                "rename the table",
            );
        }
        account(&mut f, &p.key("account_id"), &part.account_id);
        for (key, arn) in [
            ("ingestion_role", &part.ingestion_role),
            ("assume_role", &part.assume_role),
        ] {
            if let Some(arn) = arn {
                match arn.parse::<RoleArn>() {
                    Err(e) => f.error(
                        &p.key(key),
                        "settings.role-arn",
                        e.to_string(),
                        e.expected,
                        "copy the role ARN from IAM",
                    ),
                    Ok(r) if r.partition() != name => f.error(
                        &p.key(key),
                        "settings.role-partition",
                        format!("{arn} belongs to partition {}", r.partition()),
                        format!("roles of [partitions.{name}] live in {name}"),
                        "use a role of this partition",
                    ),
                    Ok(_) => {}
                }
            }
        }
        if name == "aws" && part.ingestion_role.is_none() {
            f.error(&p, "settings.ingestion-role.missing", "names no ingestion_role", "AddDeliveryOptions needs the role Marketplace assumes to read the AMI", "add ingestion_role = \"arn:aws:iam::<seller>:role/AwsMarketplaceAmiIngestion\" (amipub init creates it)");
        }
        for (i, a) in part.share_with.iter().enumerate() {
            account(&mut f, &p.key("share_with").index(i), a);
        }
    }
    settings
        .second_party
        .check(&mut f, &root.key("second_party"));
    settings.console.check(&mut f, &root.key("console"));
    let tp = root.key("trust").key("build_accounts");
    if settings.trust.build_accounts.is_empty() {
        f.error(
            &tp,
            "settings.trust.empty",
            "trusts no build account",
            "at least one account",
            "list the accounts that own your source AMIs",
        );
    }
    for (i, a) in settings.trust.build_accounts.iter().enumerate() {
        account(&mut f, &tp.index(i), a);
    }
    let urls = settings
        .endpoints
        .url
        .iter()
        .map(|u| (root.key("endpoints").key("url"), u));
    let svc = settings
        .endpoints
        .services
        .iter()
        .map(|(k, u)| (root.key("endpoints").key("services").key(k), u));
    for (path, url) in urls.chain(svc) {
        if !crate::validate::is_url_like(url) {
            f.error(
                &path,
                "settings.endpoint.url",
                format!("{url:?} is not an http(s) URL"),
                "http(s)://host[:port]",
                "write e.g. http://127.0.0.1:4566",
            );
        }
    }
    if let Some(bus) = &settings.bus {
        if !(bus.url.starts_with("amqp://") || bus.url.starts_with("amqps://")) {
            f.error(
                &root.key("bus").key("url"),
                "settings.bus.url",
                format!("{:?} is not an AMQP URL", bus.url),
                "amqp:// or amqps://",
                "write e.g. amqps://amipub@rabbitmq.fedoraproject.org/%2Fpublic_pubsub",
            );
        }
        if has_password(&bus.url) {
            f.error(
                &root.key("bus").key("url"),
                "settings.secret-in-file",
                "carries a password",
                "secrets are referenced, never written in the file",
                "remove the password from the URL and set password_env",
            );
        }
        if let Some(c) = &bus.catch_up
            && crate::second_party::settings::seconds(c).is_none()
        {
            f.error(
                &root.key("bus").key("catch_up"),
                "settings.duration",
                format!("{c:?} is not a duration"),
                "a number and s, m, h or d",
                "write e.g. \"2h\"",
            );
        }
        if !crate::validate::is_url_like(&bus.datagrepper_url) {
            f.error(
                &root.key("bus").key("datagrepper_url"),
                "settings.endpoint.url",
                format!("{:?} is not an http(s) URL", bus.datagrepper_url),
                "http(s)://host[:port]/path",
                "write e.g. https://apps.fedoraproject.org/datagrepper",
            );
        }
    }
    crate::tags::check(&mut f, &root.key("tags"), &settings.tags);
    let stream_url = &settings.coreos.stream_url;
    if !crate::validate::is_url_like(stream_url) || !stream_url.contains("{stream}") {
        f.error(
            &root.key("coreos").key("stream_url"),
            "settings.coreos.stream-url",
            format!("{stream_url:?} is not an http(s) URL with {{stream}}"),
            "http(s)://host/…/{stream}.json",
            "write e.g. https://builds.coreos.fedoraproject.org/streams/{stream}.json",
        );
    }
    if let Some(events) = &settings.events {
        check_events(&mut f, &root.key("events"), events);
    }
    if has_password(&settings.store.url) {
        f.error(
            &root.key("store").key("url"),
            "settings.secret-in-file",
            "carries a password",
            "secrets are referenced, never written in the file",
            "remove the password from the URL and set password_env",
        );
    }
    let problems = f.into_problems(text);
    (Some(settings), problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::has_errors;

    #[test]
    fn the_commented_example_config_is_valid() {
        let (settings, problems) = validate_settings_text(EXAMPLE_CONFIG);
        assert!(!has_errors(&problems), "{problems:#?}");
        let settings = settings.unwrap();
        assert!(settings.seller().is_some());
        assert!(!settings.trust.build_accounts.is_empty());
    }

    #[test]
    fn ports_are_not_passwords() {
        assert!(has_password("amqps://user:hunter2@broker:5671/%2F"));
        assert!(has_password("postgres://u:p@db/amipub"));
        assert!(!has_password("amqps://localhost:5671/%2F"));
        assert!(!has_password("amqps://amipub@broker:5671/%2F"));
        assert!(!has_password("sqlite://amipub.db"));
    }

    #[test]
    fn a_password_in_the_bus_url_is_refused() {
        let text =
            EXAMPLE_CONFIG.to_owned() + "\n[bus]\nurl = \"amqps://user:hunter2@broker:5671/%2F\"\n";
        let (_, problems) = validate_settings_text(&text);
        let p = problems
            .iter()
            .find(|p| p.rule == "settings.secret-in-file")
            .unwrap();
        assert_eq!(p.path, "bus.url");
        assert!(!p.message.contains("hunter2"));
    }

    #[test]
    fn events_take_a_queue_url_and_a_long_poll() {
        let text = EXAMPLE_CONFIG.to_owned()
            + "\n[events]\nqueue_url = \"https://sqs.us-east-1.amazonaws.com/111122223333/amipub-catalog-events\"\n";
        let (settings, problems) = validate_settings_text(&text);
        assert!(!has_errors(&problems), "{problems:#?}");
        let events = settings.unwrap().events.unwrap();
        assert_eq!(
            events.queue(),
            Some("https://sqs.us-east-1.amazonaws.com/111122223333/amipub-catalog-events")
        );
        assert_eq!(events.wait_seconds, MAX_EVENTS_WAIT_SECS);
    }

    #[test]
    fn a_bad_events_table_is_reported_with_its_field_and_fix() {
        let text = EXAMPLE_CONFIG.to_owned()
            + "\n[events]\nqueue_url = \"sqs.us-east-1.amazonaws.com/1/q\"\nwait_seconds = 0\n";
        let (_, problems) = validate_settings_text(&text);
        let url = problems
            .iter()
            .find(|p| p.rule == "settings.events.queue-url")
            .unwrap();
        assert_eq!(url.path, "events.queue_url");
        assert!(url.fix.contains("https://sqs."), "{}", url.fix);
        let wait = problems
            .iter()
            .find(|p| p.rule == "settings.events.wait-seconds")
            .unwrap();
        assert_eq!(wait.path, "events.wait_seconds");
        let lines = EXAMPLE_CONFIG.lines().count();
        assert_eq!((url.line, wait.line), (Some(lines + 3), Some(lines + 4)));

        let unknown = EXAMPLE_CONFIG.to_owned() + "\n[events]\nqueue = \"x\"\n";
        let (_, problems) = validate_settings_text(&unknown);
        let p = problems
            .iter()
            .find(|p| p.rule == "toml.unknown-field")
            .unwrap();
        assert_eq!(p.path, "events.queue");
        assert_eq!(p.line, Some(EXAMPLE_CONFIG.lines().count() + 3));
    }

    #[test]
    fn queue_urls_name_an_account_and_a_queue() {
        for good in [
            "https://sqs.us-east-1.amazonaws.com/111122223333/amipub-catalog-events",
            "http://127.0.0.1:4566/111122223333/amipub-catalog-events",
        ] {
            assert!(is_queue_url(good), "{good}");
        }
        for bad in [
            "sqs.us-east-1.amazonaws.com/111122223333/q",
            "https://sqs.us-east-1.amazonaws.com/q",
            "https://sqs.us-east-1.amazonaws.com/111122223333/",
            "https://sqs.us-east-1.amazonaws.com/11112222333x/q",
            "https://host/111122223333/q/extra",
        ] {
            assert!(!is_queue_url(bad), "{bad}");
        }
    }

    #[test]
    fn bad_accounts_and_roles_are_reported_with_lines() {
        let text = "[partitions.aws]\naccount_id = \"123\"\ningestion_role = \"arn:aws-us-gov:iam::111122223333:role/x\"\n[trust]\nbuild_accounts = []\n";
        let (_, problems) = validate_settings_text(text);
        let rules: Vec<_> = problems.iter().map(|p| (p.rule, p.line)).collect();
        assert!(rules.contains(&("account.format", Some(2))), "{rules:?}");
        assert!(
            rules.contains(&("settings.role-partition", Some(3))),
            "{rules:?}"
        );
        assert!(
            rules.contains(&("settings.trust.empty", Some(5))),
            "{rules:?}"
        );
    }
}
