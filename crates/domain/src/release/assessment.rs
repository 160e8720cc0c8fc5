//! The AWS Marketplace security assessment of a submitted version, in amipub's words: each
//! control of the `AMISecurity` framework with its result and what AWS says to do about it
//! (DescribeAssessment's `ControlAssessments`,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ControlAssessment.html>),
//! and how a failed scan's explanation and a succeeded scan's timeline name them. Pure: the
//! engine reads the assessment through the catalog port and hands the controls to `decide` in
//! the change set's event.

use serde::{Deserialize, Serialize};

/// The result of one control (`ControlAssessmentResult`,
/// <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ControlAssessment.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ControlResult {
    /// The AMI meets the control.
    Pass,
    /// The AMI fails the control: the version is refused.
    Fail,
    /// The control was not evaluated.
    NotExecuted,
    /// The control passed under an exemption.
    ExemptionPass,
}

impl ControlResult {
    /// From AWS's value (`PASS`, `FAIL`, `NOT_EXECUTED`, `EXEMPTION_PASS`); a value AWS adds
    /// later counts as not executed, neither a pass nor a failure.
    pub fn parse(value: &str) -> Self {
        match value {
            "PASS" => Self::Pass,
            "FAIL" => Self::Fail,
            "EXEMPTION_PASS" => Self::ExemptionPass,
            _ => Self::NotExecuted,
        }
    }

    /// Whether the control counts as met.
    pub fn passed(self) -> bool {
        matches!(self, Self::Pass | Self::ExemptionPass)
    }
}

/// One error AWS reports on a control (`ControlError`): its code, its message and the
/// name/value pairs of its scope (`FILE_PATH`, `PACKAGE_NAME`, `AMI_ID`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ControlError {
    /// The code.
    pub code: String,
    /// The message: what was found and, usually, what to do.
    pub message: String,
    /// Where: (name, value) pairs.
    pub scope: Vec<(String, String)>,
}

impl ControlError {
    /// An error with its code, message and (name, value) scope pairs.
    pub fn new(code: &str, message: &str, scope: &[(&str, &str)]) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            scope: scope
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }
}

/// One control of an assessment, as amipub keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlFinding {
    /// AWS's id of the control.
    pub control: String,
    /// Its result.
    pub result: ControlResult,
    /// What to do about it, from AWS's messages (empty for a met control without errors).
    pub remedy: String,
}

impl ControlFinding {
    /// A control from DescribeAssessment's answer: its id, result and errors. The remedy is each
    /// error's message followed by where it applies; a failed control without errors points at
    /// the scan report.
    pub fn read(control: &str, result: &str, errors: &[ControlError]) -> Self {
        let result = ControlResult::parse(result);
        let mut remedy = errors
            .iter()
            .map(|e| {
                let message = if e.message.is_empty() {
                    e.code.as_str()
                } else {
                    e.message.as_str()
                };
                let place: Vec<String> = e
                    .scope
                    .iter()
                    .map(|(name, value)| format!("{name} {value}"))
                    .collect();
                if place.is_empty() {
                    message.to_owned()
                } else {
                    format!("{} ({})", message.trim_end(), place.join(", "))
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        if remedy.is_empty() && result == ControlResult::Fail {
            remedy = "AWS gave no details; read the scan report in the AWS Marketplace Management Portal.".into();
        }
        Self {
            control: control.to_owned(),
            result,
            remedy,
        }
    }
}

/// The failed controls among `controls`.
pub fn failed(controls: &[ControlFinding]) -> Vec<ControlFinding> {
    controls
        .iter()
        .filter(|c| c.result == ControlResult::Fail)
        .cloned()
        .collect()
}

/// A succeeded scan's assessment in a line for the timeline, or nothing when none was read.
pub fn summary(controls: &[ControlFinding]) -> Option<String> {
    if controls.is_empty() {
        return None;
    }
    let passed = controls.iter().filter(|c| c.result.passed()).count();
    let mut line = format!(
        "AMI security assessment: {passed} of {} controls passed",
        controls.len()
    );
    let others: Vec<String> = controls
        .iter()
        .filter(|c| !c.result.passed())
        .map(|c| format!("{} ({:?})", c.control, c.result))
        .collect();
    if !others.is_empty() {
        line.push_str(&format!("; not passed: {}", others.join(", ")));
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_read_their_result_and_remedy_from_aws() {
        let c = ControlFinding::read(
            "SSH_PASSWORD_AUTHENTICATION",
            "FAIL",
            &[ControlError::new(
                "PASSWORD_AUTHENTICATION_ENABLED",
                "Set PasswordAuthentication no.",
                &[("FILE_PATH", "/etc/ssh/sshd_config")],
            )],
        );
        assert_eq!(c.result, ControlResult::Fail);
        assert_eq!(
            c.remedy,
            "Set PasswordAuthentication no. (FILE_PATH /etc/ssh/sshd_config)"
        );
        let pass = ControlFinding::read("MALWARE", "PASS", &[]);
        assert_eq!(
            (pass.result, pass.remedy.as_str()),
            (ControlResult::Pass, "")
        );
        let bare = ControlFinding::read("X", "FAIL", &[ControlError::new("CODE_ONLY", "", &[])]);
        assert_eq!(bare.remedy, "CODE_ONLY");
        let silent = ControlFinding::read("X", "FAIL", &[]);
        assert!(silent.remedy.contains("scan report"), "{}", silent.remedy);
        assert_eq!(
            ControlResult::parse("SOMETHING_NEW"),
            ControlResult::NotExecuted
        );
        assert!(ControlResult::parse("EXEMPTION_PASS").passed());
    }

    #[test]
    fn a_succeeded_scan_summarises_its_controls() {
        assert_eq!(summary(&[]), None);
        let controls = [
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read("SUDO_USER", "NOT_EXECUTED", &[]),
        ];
        assert_eq!(
            summary(&controls).unwrap(),
            "AMI security assessment: 1 of 2 controls passed; not passed: SUDO_USER (NotExecuted)"
        );
    }
}
