//! EventBridge's part: delivering a service event to the SQS queue a rule targets, as a rule
//! with an SQS target would, with the event fault rules applied on the way (`drop_event`,
//! `duplicate_event`, `delay_event`; see `crate::faults`). The event's content is built by the
//! service that emits it (`crate::catalog::lifecycle`); the queue's side is `crate::sqs`.
//!
//! Both faults are things a consumer must cope with on AWS: EventBridge delivers Marketplace
//! Catalog events on a best-effort basis
//! (<https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-marketplacecatalog.html>), and a
//! standard queue delivers at least once and out of order
//! (<https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html>).

use serde_json::Value;

use crate::faults::{FaultKind, FaultRule, first_firing};
use crate::world::World;

/// Delivers `event` (an EventBridge event: `detail-type`, `account`, `region`, `resources`) to
/// the queue `queue` in the event's account and Region, unless a fault rule says otherwise. A
/// queue that does not exist receives nothing, as with EventBridge.
pub fn deliver(world: &mut World, queue: &str, event: &Value) {
    let field = |name: &str| event[name].as_str().unwrap_or("").to_owned();
    let (account, region) = (field("account"), field("region"));
    let body = event.to_string();
    match decide(world, event).map(|rule| (rule.kind, rule.delay_seconds())) {
        Some((FaultKind::DropEvent, _)) => {}
        Some((FaultKind::DuplicateEvent, _)) => {
            crate::sqs::deliver(world, &account, &region, queue, &body);
            crate::sqs::deliver(world, &account, &region, queue, &body);
        }
        Some((FaultKind::DelayEvent, secs)) => {
            crate::sqs::deliver_after(world, &account, &region, queue, &body, secs);
        }
        _ => crate::sqs::deliver(world, &account, &region, queue, &body),
    }
}

/// The event rule that applies to `event`, drawn from the world's fault stream.
fn decide(world: &mut World, event: &Value) -> Option<FaultRule> {
    let detail_type = event["detail-type"].as_str().unwrap_or("");
    let region = event["region"].as_str().unwrap_or("");
    // The id a resource ARN ends with (`…:AWSMarketplace/ChangeSet/<id>`), for rules that aim
    // at one change set.
    let resource = event["resources"][0]
        .as_str()
        .and_then(|arn| arn.rsplit('/').next());
    let World {
        config, fault_rng, ..
    } = world;
    first_firing(&config.faults, fault_rng, |rule| {
        rule.matches_event(detail_type, region, resource)
    })
    .cloned()
}

#[cfg(test)]
mod tests;
