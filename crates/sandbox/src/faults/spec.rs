//! How a fault rule is written in settings (the TOML file, `POST /_sandbox/config`,
//! `POST /_sandbox/faults`) and the checks made when one is read, so a rule that could never fire
//! as written is refused with the fix instead of being silently inert: event kinds
//! (`drop_event`, `duplicate_event`, `delay_event`) only with service `events`, service `events`
//! only with event kinds, and a `delay_event` only with a positive `delay_seconds`.

use serde::{Deserialize, Serialize};

use super::{EVENTS_SERVICE, FaultKind, FaultRule};

/// A rule as settings spell it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleSpec {
    #[serde(default)]
    service: String,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    region: String,
    kind: FaultKind,
    probability: f64,
    #[serde(default)]
    latency_ms: u64,
    /// For `delay_event`: virtual seconds the event is held back.
    #[serde(default, skip_serializing_if = "is_zero")]
    delay_seconds: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// Whole milliseconds of `secs` (negative and non-finite values give 0).
pub(super) fn millis(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        (secs * 1000.0).round() as u64
    } else {
        0
    }
}

/// The kind's name as settings write it.
fn kind_name(kind: FaultKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{kind:?}"))
}

impl RuleSpec {
    /// The rule's selectors and kind, to name it in an error.
    fn name(&self) -> String {
        format!(
            "fault rule {{ service = {:?}, operation = {:?}, kind = {:?} }}",
            self.service,
            self.operation,
            kind_name(self.kind)
        )
    }

    /// Why the rule is refused, with the fix, or `None` if it is fine.
    fn problem(&self) -> Option<String> {
        let kind = kind_name(self.kind);
        let delay = self.kind == FaultKind::DelayEvent;
        if self.kind.is_event() && self.service != EVENTS_SERVICE {
            Some(format!(
                "{kind} acts on event delivery only; set service = \"{EVENTS_SERVICE}\" (and \
                 operation to a detail type such as \"Change Set Succeeded\", or empty)"
            ))
        } else if !self.kind.is_event() && self.service == EVENTS_SERVICE {
            Some(format!(
                "service \"{EVENTS_SERVICE}\" takes only drop_event, duplicate_event or \
                 delay_event; a {kind} rule names the API's service (ec2, iam, sts, ssm, \
                 aws-marketplace, sqs) or none"
            ))
        } else if delay && millis(self.delay_seconds) == 0 {
            Some(format!(
                "delay_event needs delay_seconds > 0 (got {}); add e.g. delay_seconds = 300",
                self.delay_seconds
            ))
        } else if delay && self.latency_ms != 0 {
            Some("delay_event takes delay_seconds, not latency_ms; remove latency_ms".to_owned())
        } else if !delay && self.delay_seconds != 0.0 {
            Some(format!(
                "delay_seconds applies to delay_event only; remove it (a {kind} rule ignores it)"
            ))
        } else {
            None
        }
    }
}

impl TryFrom<RuleSpec> for FaultRule {
    type Error = String;

    fn try_from(spec: RuleSpec) -> Result<Self, String> {
        if let Some(problem) = spec.problem() {
            return Err(format!("{}: {problem}", spec.name()));
        }
        let latency_ms = if spec.kind == FaultKind::DelayEvent {
            millis(spec.delay_seconds)
        } else {
            spec.latency_ms
        };
        Ok(Self {
            service: spec.service,
            operation: spec.operation,
            region: spec.region,
            kind: spec.kind,
            probability: spec.probability,
            latency_ms,
        })
    }
}

impl From<FaultRule> for RuleSpec {
    fn from(rule: FaultRule) -> Self {
        let delay_seconds = rule.delay_seconds();
        let latency_ms = if rule.kind == FaultKind::DelayEvent {
            0
        } else {
            rule.latency_ms
        };
        Self {
            service: rule.service,
            operation: rule.operation,
            region: rule.region,
            kind: rule.kind,
            probability: rule.probability,
            latency_ms,
            delay_seconds,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SandboxConfig;

    fn read(rule: &str) -> Result<Vec<FaultRule>, String> {
        SandboxConfig::from_toml(&format!("[[faults]]\n{rule}"))
            .map(|c| c.faults)
            .map_err(|e| e.to_string())
    }

    fn refusal(rule: &str) -> String {
        match read(rule) {
            Ok(rules) => panic!("accepted {rules:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn an_event_rule_is_read_with_its_delay() {
        let rules = read(
            "service = \"events\"\noperation = \"Change Set Succeeded\"\n\
             kind = \"delay_event\"\nprobability = 0.05\ndelay_seconds = 300",
        );
        let expected = FaultRule::event(FaultKind::DelayEvent, "Change Set Succeeded", 0.05, 300.0);
        assert_eq!(rules, Ok(vec![expected.clone()]));
        assert_eq!(expected.delay_seconds(), 300.0);
        assert_eq!(expected.latency_ms, 300_000);
    }

    #[test]
    fn a_rule_survives_a_round_trip_through_json() {
        // `POST /_sandbox/config` writes the settings to JSON, changes them and reads them back.
        for rule in [
            FaultRule::event(FaultKind::DelayEvent, "", 0.1, 2.5),
            FaultRule::event(FaultKind::DuplicateEvent, "Change Set Failed", 1.0, 0.0),
        ] {
            let json = serde_json::to_value(&rule).unwrap_or_default();
            let back: Result<FaultRule, _> = serde_json::from_value(json.clone());
            assert_eq!(back.ok(), Some(rule), "{json}");
        }
        let json = serde_json::to_value(FaultRule::event(FaultKind::DelayEvent, "", 1.0, 2.5))
            .unwrap_or_default();
        assert_eq!(json["delay_seconds"], 2.5);
        assert_eq!(json["latency_ms"], 0);
    }

    #[test]
    fn a_delay_event_without_a_positive_delay_is_refused() {
        for delay in ["", "delay_seconds = 0", "delay_seconds = -5"] {
            let e = refusal(&format!(
                "service = \"events\"\nkind = \"delay_event\"\nprobability = 1.0\n{delay}"
            ));
            assert!(e.contains("delay_event needs delay_seconds > 0"), "{e}");
            assert!(e.contains("kind = \"delay_event\""), "names the rule: {e}");
        }
    }

    #[test]
    fn event_kinds_need_the_events_service_and_it_takes_only_them() {
        for service in ["", "sqs", "aws-marketplace"] {
            let e = refusal(&format!(
                "service = {service:?}\nkind = \"drop_event\"\nprobability = 0.3"
            ));
            assert!(e.contains("set service = \"events\""), "{e}");
        }
        let e = refusal("service = \"events\"\nkind = \"throttle\"\nprobability = 0.3");
        assert!(e.contains("takes only drop_event"), "{e}");
    }

    #[test]
    fn delay_seconds_is_refused_outside_delay_event_and_latency_inside_it() {
        let e = refusal(
            "service = \"events\"\nkind = \"drop_event\"\nprobability = 1.0\ndelay_seconds = 3",
        );
        assert!(
            e.contains("delay_seconds applies to delay_event only"),
            "{e}"
        );
        let e = refusal(
            "service = \"events\"\nkind = \"delay_event\"\nprobability = 1.0\n\
             delay_seconds = 3\nlatency_ms = 10",
        );
        assert!(e.contains("not latency_ms"), "{e}");
    }

    #[test]
    fn the_documented_event_example_reads() {
        let page = include_str!("../../../../docs/usage/sandbox.md");
        let example = page
            .split("```toml\n")
            .skip(1)
            .filter_map(|block| block.split("```").next())
            .find(|block| block.contains("drop_event"))
            .unwrap_or("");
        let rules = SandboxConfig::from_toml(example).map(|c| c.faults);
        let expected = [
            FaultRule::event(FaultKind::DropEvent, "", 0.3, 0.0),
            FaultRule::event(FaultKind::DuplicateEvent, "", 0.05, 0.0),
            FaultRule::event(FaultKind::DelayEvent, "", 0.05, 300.0),
        ];
        assert_eq!(rules.ok(), Some(expected.to_vec()), "{example}");
    }

    #[test]
    fn unknown_fields_are_still_refused() {
        let e = refusal("service = \"ec2\"\nkind = \"throttle\"\nprobability = 1.0\ndelay = 3");
        assert!(e.contains("unknown field"), "{e}");
    }
}
