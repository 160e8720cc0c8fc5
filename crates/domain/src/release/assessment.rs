//! The AWS Marketplace security assessment of a submitted version, in amipub's words: each
//! control of the `AMISecurity` framework with its result and what AWS says to do about it
//! (DescribeAssessment's `ControlAssessments`,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ControlAssessment.html>),
//! and how a failed scan's explanation and a succeeded scan's timeline name them. Pure: the
//! engine reads the assessment through the catalog port and hands the controls to `decide` in
//! the change set's event.

use serde::{Deserialize, Serialize};

use super::decide::explain;
use super::model::FailureKind;

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

/// A failed change set explained (as [`explain`] does) and, when its assessment names failed
/// controls, with each failed control in the detail and its remedy in the remedy: the scan
/// failed, and the fix is in the image.
pub fn explain_scan(
    errors: &[(String, String)],
    controls: &[ControlFinding],
) -> (FailureKind, String, String) {
    let (kind, detail, remedy) = explain(errors);
    let bad = failed(controls);
    if bad.is_empty() {
        return (kind, detail, remedy);
    }
    let names: Vec<&str> = bad.iter().map(|c| c.control.as_str()).collect();
    let detail = format!(
        "{detail} Failed AMI security controls: {}.",
        names.join(", ")
    );
    let fixes: Vec<String> = bad
        .iter()
        .map(|c| format!("{}: {}", c.control, c.remedy))
        .collect();
    let remedy = format!(
        "Fix each failed control in the image, then build and publish a new AMI. {} If a finding is wrong, ask AWS Marketplace Seller Operations, then amipub retry.",
        fixes.join(" ")
    );
    (FailureKind::ScanFailed, detail, remedy)
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

    fn error(code: &str, message: &str, scope: &[(&str, &str)]) -> ControlError {
        ControlError {
            code: code.into(),
            message: message.into(),
            scope: scope
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn controls_read_their_result_and_remedy_from_aws() {
        let c = ControlFinding::read(
            "SSH_PASSWORD_AUTHENTICATION",
            "FAIL",
            &[error(
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
        let bare = ControlFinding::read("X", "FAIL", &[error("CODE_ONLY", "", &[])]);
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
    fn a_failed_scan_names_each_failed_control_and_its_remedy() {
        let errors = [("SCAN_ERROR".to_owned(), "https://report".to_owned())];
        let controls = [
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read(
                "SUDO_USER",
                "FAIL",
                &[error("NO_SUDO_USER", "Add a sudo user.", &[])],
            ),
            ControlFinding::read("SSH_ROOT_LOGIN", "FAIL", &[error("R", "Lock root.", &[])]),
        ];
        let (kind, detail, remedy) = explain_scan(&errors, &controls);
        assert_eq!(kind, FailureKind::ScanFailed);
        assert!(detail.contains("https://report"), "{detail}");
        assert!(
            detail.ends_with("Failed AMI security controls: SUDO_USER, SSH_ROOT_LOGIN."),
            "{detail}"
        );
        assert!(!detail.contains("MALWARE"), "{detail}");
        assert!(
            remedy.contains("SUDO_USER: Add a sudo user.")
                && remedy.contains("SSH_ROOT_LOGIN: Lock root."),
            "{remedy}"
        );
        assert_eq!(failed(&controls).len(), 2);
    }

    #[test]
    fn without_failed_controls_the_change_set_errors_explain_alone() {
        let errors = [("ASSET_ACCESS_EXCEPTION".to_owned(), "role".to_owned())];
        let passed = [ControlFinding::read("MALWARE", "PASS", &[])];
        assert_eq!(explain_scan(&errors, &passed), explain(&errors));
        assert_eq!(explain_scan(&errors, &[]), explain(&errors));
    }

    #[test]
    fn a_failed_change_set_keeps_its_failed_controls_on_the_release() {
        use crate::release::{Event, Release, State, decide};
        let mut r = Release::new(
            "r-0123456789ab",
            "fedora",
            "41.1",
            "us-east-1",
            "ami-0123456789abcdef0",
            vec!["125523088429".into()],
            "x86_64",
            vec!["us-east-1".into()],
            0,
        );
        r.state = State::Scanning;
        r.change_set = Some("cs1".into());
        let controls = vec![
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read(
                "SUDO_USER",
                "FAIL",
                &[error("NO_SUDO_USER", "Add a sudo user.", &[])],
            ),
        ];
        let event = Event::ChangeSetFailed {
            errors: vec![("SCAN_ERROR".into(), "https://report".into())],
            controls,
        };
        let (after, cmds) = decide(&r, &event, 100);
        let f = after.failure.unwrap();
        assert!(cmds.is_empty());
        assert_eq!(
            (after.state, f.step, f.kind),
            (State::Failed, State::Scanning, FailureKind::ScanFailed)
        );
        assert_eq!(f.controls.len(), 1);
        assert_eq!(f.controls[0].control, "SUDO_USER");
        assert!(
            f.remedy.contains("SUDO_USER: Add a sudo user."),
            "{}",
            f.remedy
        );
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
