//! `[second_party]` in `amipub.toml`: whom the clones are shared with, the operator's copy of
//! the load form workbook, and how long to wait for a person and for the Marketplace.

use serde::{Deserialize, Serialize};

use crate::release::second_party::{MARKETPLACE_ACCOUNTS, Terms};
use crate::spec::path::FieldPath;
use crate::validate::{Findings, account};

/// `[second_party]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecondPartySettings {
    /// Accounts given launch permission on each clone and create-volume permission on its
    /// snapshots (default: the two Marketplace accounts the form's instructions name).
    #[serde(default = "default_share_with")]
    pub share_with: Vec<String>,
    /// The operator's copy of the second-party product load form (XLSX); amipub fills a copy of
    /// it per submission and never changes the file itself.
    #[serde(default)]
    pub template: Option<String>,
    /// How long a written form may wait for submission before a reminder (`36h`, `1d`).
    #[serde(default = "default_remind_after")]
    pub remind_after: String,
    /// How long the Marketplace is given to publish after submission (`14d`).
    #[serde(default = "default_publish_deadline")]
    pub publish_deadline: String,
}

impl Default for SecondPartySettings {
    fn default() -> Self {
        Self {
            share_with: default_share_with(),
            template: None,
            remind_after: default_remind_after(),
            publish_deadline: default_publish_deadline(),
        }
    }
}

fn default_share_with() -> Vec<String> {
    MARKETPLACE_ACCOUNTS
        .iter()
        .map(|a| (*a).to_owned())
        .collect()
}

fn default_remind_after() -> String {
    "1d".to_owned()
}

fn default_publish_deadline() -> String {
    "14d".to_owned()
}

impl SecondPartySettings {
    /// The timing terms releases carry (defaults where a value does not parse; `check` reports
    /// it).
    pub fn terms(&self) -> Terms {
        let d = Terms::default();
        Terms {
            remind_after: seconds(&self.remind_after).unwrap_or(d.remind_after),
            publish_deadline: seconds(&self.publish_deadline).unwrap_or(d.publish_deadline),
        }
    }

    /// Every problem of the table, with its field path.
    pub fn check(&self, f: &mut Findings, p: &FieldPath) {
        if self.share_with.is_empty() {
            f.error(
                &p.key("share_with"),
                "settings.second_party.share_with.empty",
                "shares with no account",
                "the Marketplace accounts the form's instructions name",
                "remove share_with to use the default (679593333241, 684062674729)",
            );
        }
        for (i, a) in self.share_with.iter().enumerate() {
            account(f, &p.key("share_with").index(i), a);
        }
        for (key, value) in [
            ("remind_after", &self.remind_after),
            ("publish_deadline", &self.publish_deadline),
        ] {
            if seconds(value).is_none() {
                f.error(
                    &p.key(key),
                    "settings.second_party.duration",
                    format!("{value:?} is not a duration"),
                    "a positive number followed by s, m, h or d",
                    "write e.g. \"36h\" or \"14d\"",
                );
            }
        }
    }
}

/// Seconds in a duration such as `90m`, `36h` or `14d`; `None` for anything else.
pub fn seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let factor = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    let n: i64 = text[..text.len() - 1].trim().parse().ok()?;
    (n > 0).then(|| n.checked_mul(factor)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_unit() {
        assert_eq!(seconds("90m"), Some(5400));
        assert_eq!(seconds("36h"), Some(129_600));
        assert_eq!(seconds("14d"), Some(1_209_600));
        assert_eq!(seconds("14"), None);
        assert_eq!(seconds("-1d"), None);
        assert_eq!(seconds("d"), None);
        assert_eq!(seconds("1w"), None);
    }

    #[test]
    fn defaults_share_with_both_marketplace_accounts() {
        let s = SecondPartySettings::default();
        assert_eq!(s.share_with, ["679593333241", "684062674729"]);
        assert_eq!(s.terms(), Terms::default());
        let mut f = Findings::default();
        s.check(&mut f, &FieldPath::root().key("second_party"));
        assert!(f.into_unplaced().is_empty());
    }

    #[test]
    fn bad_values_are_named() {
        let s = SecondPartySettings {
            share_with: vec!["12".into()],
            remind_after: "soon".into(),
            ..SecondPartySettings::default()
        };
        let mut f = Findings::default();
        s.check(&mut f, &FieldPath::root().key("second_party"));
        let text = format!("{:?}", f.into_unplaced());
        assert!(text.contains("remind_after"), "{text}");
        assert!(text.contains("share_with"), "{text}");
    }
}
