//! A failed change set in plain words: what AWS's `ErrorDetailList` means, the remedy, and, for a
//! failed security scan, each failed control of its assessment. Pure; `decide` and the job
//! machine call it when a change set ends in failure.

use super::assessment::{ControlFinding, failed};
use super::model::FailureKind;

/// A failed change set's `ErrorDetailList`, in plain words with a remedy.
pub fn explain(errors: &[(String, String)]) -> (FailureKind, String, String) {
    let words = |code: &str, msg: &str| -> String {
        match code {
            "SCAN_ERROR" => format!(
                "The AWS Marketplace security scan found problems in the image (report: {msg})"
            ),
            "ASSET_ACCESS_EXCEPTION" => {
                format!("AWS Marketplace could not use the ingestion role to read the AMI ({msg})")
            }
            "ASSET_NOT_FOUND" => format!(
                "AWS Marketplace could not find the AMI in us-east-1 of the seller account ({msg})"
            ),
            "DUPLICATE_VERSION_TITLE" => {
                format!("The product already has a version with this title ({msg})")
            }
            "INCOMPATIBLE_AMI"
            | "INVALID_AMI_ARCHITECTURE"
            | "INVALID_AMI_VIRTUALIZATION_TYPE"
            | "EXISTING_AMI_PRODUCT_CODE" => {
                format!("The AMI does not meet the Marketplace requirements: {msg}")
            }
            _ => format!("AWS Marketplace refused the change ({code}: {msg})"),
        }
    };
    let detail = if errors.is_empty() {
        "The change set failed without details (a Marketplace server fault).".to_owned()
    } else {
        errors
            .iter()
            .map(|(c, m)| words(c, m))
            .collect::<Vec<_>>()
            .join("; ")
            + "."
    };
    let codes: Vec<&str> = errors.iter().map(|(c, _)| c.as_str()).collect();
    let (kind, remedy) = if codes.contains(&"SCAN_ERROR") {
        (
            FailureKind::ScanFailed,
            "Read the scan report, fix the findings (update packages, remove keys and passwords), build and publish a new AMI; if the finding is wrong, ask Seller Operations and then amipub retry.",
        )
    } else if codes.contains(&"ASSET_ACCESS_EXCEPTION") {
        (
            FailureKind::AccessDenied,
            "Run amipub init to repair the ingestion role, then amipub retry.",
        )
    } else if codes.contains(&"DUPLICATE_VERSION_TITLE") {
        (
            FailureKind::InvalidInput,
            "Change the version-title template (or pass --version) so the title is new, then publish again.",
        )
    } else if errors.is_empty() {
        (FailureKind::ServerFault, "Run amipub retry later.")
    } else {
        (
            FailureKind::InvalidInput,
            "Fix the product spec or the image as the message says, then amipub retry.",
        )
    };
    (kind, detail, remedy.to_owned())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::assessment::{ControlError, ControlFinding};

    #[test]
    fn a_failed_scan_names_each_failed_control_and_its_remedy() {
        let errors = [("SCAN_ERROR".to_owned(), "https://report".to_owned())];
        let controls = [
            ControlFinding::read("MALWARE", "PASS", &[]),
            ControlFinding::read(
                "SUDO_USER",
                "FAIL",
                &[ControlError::new("NO_SUDO_USER", "Add a sudo user.", &[])],
            ),
            ControlFinding::read(
                "SSH_ROOT_LOGIN",
                "FAIL",
                &[ControlError::new("R", "Lock root.", &[])],
            ),
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
}
