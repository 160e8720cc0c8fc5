//! Change-set events: what EventBridge delivers to an SQS queue when a Marketplace Catalog change
//! set ends (source `aws.marketplacecatalog`, detail types `Change Set Succeeded`, `Change Set
//! Failed`, `Change Set Cancelled`; delivery is best effort:
//! <https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-marketplacecatalog.html>). The
//! message body is the event itself. An event only says which change set ended; what it means for
//! a release still comes from DescribeChangeSet.

use serde::Deserialize;

/// The EventBridge rule pattern that selects these events.
pub const RULE_PATTERN: &str = r#"{"source":["aws.marketplacecatalog"],"detail-type":["Change Set Succeeded","Change Set Failed","Change Set Cancelled"]}"#;

/// How a change set ended, as its event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `Change Set Succeeded`.
    Succeeded,
    /// `Change Set Failed`.
    Failed,
    /// `Change Set Cancelled`.
    Cancelled,
}

impl Ending {
    /// In words: `succeeded`, `failed`, `cancelled`.
    pub fn words(self) -> &'static str {
        match self {
            Ending::Succeeded => "succeeded",
            Ending::Failed => "failed",
            Ending::Cancelled => "cancelled",
        }
    }
}

/// One change set's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSetEnded {
    /// The change set's id.
    pub change_set: String,
    /// How it ended.
    pub ending: Ending,
}

#[derive(Deserialize)]
struct Envelope {
    source: String,
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: Detail,
}

#[derive(Deserialize)]
struct Detail {
    #[serde(rename = "ChangeSetId")]
    change_set_id: String,
}

/// Reads one message body; the error says why it is not a change-set event (such a message is
/// deleted and logged, never retried).
pub fn parse(body: &str) -> Result<ChangeSetEnded, String> {
    let e: Envelope = serde_json::from_str(body)
        .map_err(|e| format!("not an EventBridge change-set event ({e})"))?;
    if e.source != "aws.marketplacecatalog" {
        return Err(format!(
            "an event from {}, not aws.marketplacecatalog: the EventBridge rule should select only {RULE_PATTERN}",
            e.source
        ));
    }
    let ending = match e.detail_type.as_str() {
        "Change Set Succeeded" => Ending::Succeeded,
        "Change Set Failed" => Ending::Failed,
        "Change Set Cancelled" => Ending::Cancelled,
        other => return Err(format!("detail type {other:?} is not a change set's end")),
    };
    if e.detail.change_set_id.is_empty() {
        return Err("the event names no ChangeSetId".into());
    }
    Ok(ChangeSetEnded {
        change_set: e.detail.change_set_id,
        ending,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = r#"{"version":"0","id":"6f3c","detail-type":"Change Set Failed","source":"aws.marketplacecatalog","account":"111122223333","time":"2022-11-01T13:12:22Z","region":"us-east-1","resources":["arn:aws:aws-marketplace:us-east-1:111122223333:AWSMarketplace/ChangeSet/76yesvf8y165pa4f98td2crtg"],"detail":{"requestId":"8a1b","Catalog":"AWSMarketplace","ChangeSetId":"76yesvf8y165pa4f98td2crtg","ChangeSetName":"Add 41","StartTime":"2022-11-01T12:45:22Z","EndTime":"2022-11-01T13:12:22Z","FailureCode":"CLIENT_ERROR"}}"#;

    #[test]
    fn a_documented_event_names_its_change_set_and_ending() {
        let e = parse(FAILED).unwrap();
        assert_eq!(e.change_set, "76yesvf8y165pa4f98td2crtg");
        assert_eq!(e.ending, Ending::Failed);
        let ok = FAILED.replace("Change Set Failed", "Change Set Succeeded");
        assert_eq!(parse(&ok).unwrap().ending, Ending::Succeeded);
    }

    #[test]
    fn other_events_and_garbage_are_refused_with_the_reason() {
        let offer = FAILED.replace("Change Set Failed", "Offer Released");
        assert!(parse(&offer).unwrap_err().contains("Offer Released"));
        let other = FAILED.replace("aws.marketplacecatalog", "aws.ec2");
        assert!(parse(&other).unwrap_err().contains("EventBridge rule"));
        assert!(parse("{").unwrap_err().contains("not an EventBridge"));
    }
}
