//! The change-set events queue itself: where its URL says it lives (`QueueAddress`), and
//! `ensure_queue`, which `amipub init` runs to create it when missing and to let EventBridge's
//! rule send to it. amipub never calls EventBridge: the rule is the operator's to apply (`init`
//! prints it), so this module stops at the queue's resource-based policy.

use amipub_domain::catalog_data::partition_of;
use amipub_domain::release::FailureKind;
use amipub_engine::ports::{PortError, PortResult};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{Value, json};

use super::{code, port_error};
use crate::config::Target;
use crate::observe::Observe;

/// The Region of a queue whose URL names none (`https://queue.amazonaws.com/…`, the sandbox):
/// the Catalog's, where its change-set events are sent.
pub const DEFAULT_REGION: &str = "us-east-1";

/// An SQS client of `target` in `region`, with amipub's interceptor.
pub(crate) async fn client(target: &Target, region: &str) -> aws_sdk_sqs::Client {
    let base = target.sdk_config(region).await;
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&base)
            .interceptor(Observe)
            .build(),
    )
}

/// The EventBridge rule amipub's documentation and `init` name.
pub const RULE_NAME: &str = "amipub-catalog-change-sets";
/// The `Sid` of the statement `ensure_queue` keeps in the queue's policy; other statements are
/// left as they are.
pub const STATEMENT_ID: &str = "AmipubCatalogChangeSets";

/// A queue, as its URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueAddress {
    /// The URL, as configured.
    pub url: String,
    /// Its Region.
    pub region: String,
    /// The account that owns it.
    pub account: String,
    /// Its name.
    pub name: String,
}

impl QueueAddress {
    /// Reads `https://sqs.<region>.amazonaws.com/<account>/<name>` (also the legacy
    /// `https://<region>.queue.amazonaws.com/…` and VPC endpoint hosts; a host naming no Region,
    /// like the sandbox's, means `us-east-1`)
    /// (<https://docs.aws.amazon.com/general/latest/gr/sqs-service.html>).
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| format!("{url:?} is not an http(s) URL"))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [host, account, name] = parts.as_slice() else {
            return Err(format!(
                "{url:?} is not a queue URL (http(s)://host/<account>/<name>)"
            ));
        };
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
            return Err(format!(
                "{url:?} names no 12-digit account and queue name after the host"
            ));
        }
        Ok(Self {
            url: url.to_owned(),
            region: region_of_host(host).unwrap_or(DEFAULT_REGION).to_owned(),
            account: (*account).to_owned(),
            name: (*name).to_owned(),
        })
    }

    /// `arn:<partition>:sqs:<region>:<account>:<name>`.
    pub fn arn(&self) -> String {
        format!(
            "arn:{}:sqs:{}:{}:{}",
            partition_of(&self.region),
            self.region,
            self.account,
            self.name
        )
    }

    /// The ARN of the EventBridge rule (`RULE_NAME`, default event bus) in the queue's Region
    /// and account: EventBridge delivers to an SQS target of its own Region.
    pub fn rule_arn(&self) -> String {
        format!(
            "arn:{}:events:{}:{}:rule/{RULE_NAME}",
            partition_of(&self.region),
            self.region,
            self.account
        )
    }
}

/// The Region label of an SQS host: the one after `sqs` (`sqs.us-east-1.amazonaws.com`,
/// `vpce-….sqs.us-east-1.vpce.amazonaws.com`) or before `queue` (`us-east-1.queue.amazonaws.com`).
fn region_of_host(host: &str) -> Option<&str> {
    let host = host.split(':').next().unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let looks_like_region =
        |l: &&str| l.contains('-') && l.bytes().last().is_some_and(|b| b.is_ascii_digit());
    labels.windows(2).find_map(|w| match w {
        ["sqs", r] if looks_like_region(r) => Some(*r),
        [r, "queue"] if looks_like_region(r) => Some(*r),
        _ => None,
    })
}

/// What `ensure_queue` found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSetup {
    /// The queue's URL, as SQS gives it.
    pub url: String,
    /// The queue's ARN (the rule's target).
    pub arn: String,
    /// Whether it was created now.
    pub created: bool,
    /// Whether its policy was written now (it did not let the rule send yet).
    pub policy_written: bool,
}

/// The queue's policy `current` with amipub's statement (`STATEMENT_ID`) in it: EventBridge's
/// service principal may `sqs:SendMessage`, for the rule `rule_arn` only
/// (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions>).
/// The queue's other statements are kept.
pub fn policy_with_rule(
    current: Option<&str>,
    queue_arn: &str,
    rule_arn: &str,
) -> Result<Value, String> {
    let ours = json!({
        "Sid": STATEMENT_ID,
        "Effect": "Allow",
        "Principal": { "Service": "events.amazonaws.com" },
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": { "ArnEquals": { "aws:SourceArn": rule_arn } }
    });
    let mut policy = match current.filter(|p| !p.trim().is_empty()) {
        Some(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| format!("the queue's policy is not JSON ({e})"))?,
        None => json!({ "Version": "2012-10-17", "Statement": [] }),
    };
    let Some(doc) = policy.as_object_mut() else {
        return Err("the queue's policy is not a JSON object".into());
    };
    let statements = match doc.remove("Statement") {
        None => Vec::new(),
        Some(Value::Array(a)) => a,
        Some(one) => vec![one],
    };
    let mut kept: Vec<Value> = statements
        .into_iter()
        .filter(|s| s["Sid"] != STATEMENT_ID)
        .collect();
    kept.push(ours);
    doc.insert("Statement".into(), Value::Array(kept));
    Ok(policy)
}

/// Creates the queue `queue` names when it is missing and lets the EventBridge rule
/// (`QueueAddress::rule_arn`) send to it, looking first, so it can run any number of times.
/// CreateQueue with no attributes returns an existing queue of that name as it is
/// (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html>).
pub async fn ensure_queue(
    target: &Target,
    queue: &QueueAddress,
    tags: &std::collections::BTreeMap<String, String>,
) -> PortResult<QueueSetup> {
    let sqs = client(target, &queue.region).await;
    let err = |call: &str, e: PortError| e.at(call, &queue.region).about(&queue.url);
    let attributes = |url: String| {
        sqs.get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::QueueArn)
            .attribute_names(QueueAttributeName::Policy)
            .send()
    };
    let (url, created, found) = match attributes(queue.url.clone()).await {
        Ok(found) => (queue.url.clone(), false, found),
        Err(e) if is_missing(&e) => {
            let tagged = (!tags.is_empty()).then(|| tags.clone().into_iter().collect());
            let made = sqs
                .create_queue()
                .queue_name(&queue.name)
                .set_tags(tagged)
                .send()
                .await
                .map_err(|e| err("CreateQueue", port_error("CreateQueue", &e)))?;
            let url = made.queue_url().unwrap_or(&queue.url).to_owned();
            let found = attributes(url.clone())
                .await
                .map_err(|e| err("GetQueueAttributes", port_error("GetQueueAttributes", &e)))?;
            (url, true, found)
        }
        Err(e) => {
            return Err(err(
                "GetQueueAttributes",
                port_error("GetQueueAttributes", &e),
            ));
        }
    };
    let attrs = found.attributes();
    let get = |name: QueueAttributeName| attrs.and_then(|a| a.get(&name)).map(String::as_str);
    let arn = get(QueueAttributeName::QueueArn).map_or_else(|| queue.arn(), str::to_owned);
    let current = get(QueueAttributeName::Policy);
    let wanted = policy_with_rule(current, &arn, &queue.rule_arn())
        .map_err(|why| PortError::new(FailureKind::InvalidInput, why).about(&queue.url))?;
    let unchanged = current
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .is_some_and(|c| c == wanted);
    if !unchanged {
        sqs.set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::Policy, wanted.to_string())
            .send()
            .await
            .map_err(|e| err("SetQueueAttributes", port_error("SetQueueAttributes", &e)))?;
    }
    // A queue made before the operator's tags were set gets them too (TagQueue replaces values
    // and is safe to repeat).
    if !created && !tags.is_empty() {
        sqs.tag_queue()
            .queue_url(&url)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|e| err("TagQueue", port_error("TagQueue", &e)))?;
    }
    Ok(QueueSetup {
        url,
        arn,
        created,
        policy_written: !unchanged,
    })
}

/// Whether SQS said the queue does not exist (`QueueDoesNotExist`, or its query-compatible code
/// `AWS.SimpleQueueService.NonExistentQueue`).
fn is_missing<E: aws_sdk_sqs::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_sqs::error::SdkError<E, R>,
) -> bool {
    matches!(
        code(e),
        Some("QueueDoesNotExist" | "AWS.SimpleQueueService.NonExistentQueue")
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.
    use super::*;

    #[test]
    fn regions_come_from_the_host_else_the_catalogs() {
        for (url, region) in [
            (
                "https://sqs.eu-west-1.amazonaws.com/111122223333/q",
                "eu-west-1",
            ),
            (
                "https://us-west-2.queue.amazonaws.com/111122223333/q",
                "us-west-2",
            ),
            (
                "https://vpce-0a1b.sqs.us-gov-west-1.vpce.amazonaws.com/111122223333/q",
                "us-gov-west-1",
            ),
            (
                "https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q",
                "cn-north-1",
            ),
            ("https://queue.amazonaws.com/111122223333/q", "us-east-1"),
            ("http://127.0.0.1:4566/111122223333/q", "us-east-1"),
        ] {
            let q = QueueAddress::parse(url).unwrap();
            assert_eq!(
                (q.region.as_str(), q.account.as_str(), q.name.as_str()),
                (region, "111122223333", "q"),
                "{url}"
            );
        }
        let gov =
            QueueAddress::parse("https://sqs.us-gov-west-1.amazonaws.com/111122223333/q").unwrap();
        assert_eq!(gov.arn(), "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q");
        assert_eq!(
            gov.rule_arn(),
            "arn:aws-us-gov:events:us-gov-west-1:111122223333:rule/amipub-catalog-change-sets"
        );
        for bad in [
            "sqs.us-east-1.amazonaws.com/111122223333/q",
            "https://h/1/q",
            "https://h/111122223333/",
        ] {
            assert!(QueueAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_policy_lets_only_the_rule_send_and_keeps_other_statements() {
        let other = json!({"Version": "2012-10-17", "Statement": {"Sid": "Mine", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "q"}});
        let p = policy_with_rule(
            Some(&other.to_string()),
            "arn:aws:sqs:us-east-1:1:q",
            "arn:aws:events:us-east-1:1:rule/r",
        )
        .unwrap();
        let statements = p["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Sid"], "Mine");
        let ours = &statements[1];
        assert_eq!(ours["Principal"]["Service"], "events.amazonaws.com");
        assert_eq!(ours["Action"], "sqs:SendMessage");
        assert_eq!(ours["Resource"], "arn:aws:sqs:us-east-1:1:q");
        assert_eq!(
            ours["Condition"]["ArnEquals"]["aws:SourceArn"],
            "arn:aws:events:us-east-1:1:rule/r"
        );
        // Applying it again changes nothing: `ensure_queue` then writes nothing.
        let again = policy_with_rule(
            Some(&p.to_string()),
            "arn:aws:sqs:us-east-1:1:q",
            "arn:aws:events:us-east-1:1:rule/r",
        )
        .unwrap();
        assert_eq!(again, p);
        assert!(policy_with_rule(Some("not json"), "q", "r").is_err());
        let fresh = policy_with_rule(None, "q", "r").unwrap();
        assert_eq!(fresh["Version"], "2012-10-17");
        assert_eq!(fresh["Statement"].as_array().unwrap().len(), 1);
    }
}
