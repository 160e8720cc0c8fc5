//! AMI security assessments: what the Marketplace's scanner recorded for each scanned delivery
//! option (one `AMISecurity@1.0` assessment per `AddDeliveryOptions` change), the controls the
//! sandbox's scanner evaluates, and which of them fail when a scan fails. `catalog::assessments`
//! records assessments as scans end and answers ListAssessments and DescribeAssessment; nothing
//! here does I/O.
//!
//! AWS documents the assessment shapes
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeAssessment.html>) but
//! not the ids of the AMI Security framework's controls, so the ids below are the sandbox's own,
//! one per policy of
//! <https://docs.aws.amazon.com/marketplace/latest/userguide/product-and-ami-policies.html> that
//! the scan checks (and, for root logins, the EC2 guidance on shared Linux AMIs,
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/building-shared-amis.html>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The framework every assessment the sandbox records belongs to, with its version.
pub const AMI_SECURITY: &str = "AMISecurity@1.0";

/// One control of the AMI Security framework as the sandbox's scanner evaluates it: what a
/// failure reports (`ControlError` code, the scope it names and a message that says what was
/// found and how to fix it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlSpec {
    /// The control id.
    pub id: &'static str,
    /// The error code of a failure (`^[A-Z_]+$`).
    pub code: &'static str,
    /// The scope name of a failure (`AMI_ID`, `FILE_PATH`, `PACKAGE_NAME`); `AMI_ID` scopes
    /// name the scanned AMI.
    pub scope: &'static str,
    /// The scope value, unless the scope is the AMI.
    pub value: &'static str,
    /// What was found and what to do about it.
    pub message: &'static str,
}

/// The controls, in the order assessments list them. The policy each follows is on the AMI
/// policies page cited in the module header.
pub const CONTROLS: &[ControlSpec] = &[
    // No known vulnerabilities (CVEs) in the image's packages.
    ControlSpec {
        id: "KNOWN_VULNERABILITIES",
        code: "VULNERABLE_PACKAGE",
        scope: "PACKAGE_NAME",
        value: "openssl",
        message: "Package openssl 3.2.1 is affected by CVE-2024-5535, fixed in 3.2.2. Update the image's packages to fixed versions and build a new AMI.",
    },
    // No malware or viruses.
    ControlSpec {
        id: "MALWARE",
        code: "MALWARE_FOUND",
        scope: "FILE_PATH",
        value: "/usr/local/bin/xmrig",
        message: "A known cryptocurrency miner was found. Remove the file, rebuild the image from trusted sources and build a new AMI.",
    },
    // A supported operating system and software, no end-of-life releases.
    ControlSpec {
        id: "SUPPORTED_SOFTWARE",
        code: "END_OF_LIFE_SOFTWARE",
        scope: "AMI_ID",
        value: "",
        message: "The operating system release has reached its end of life. Build the AMI from a release that is still supported.",
    },
    // Instances authenticate with key pairs, never with passwords.
    ControlSpec {
        id: "SSH_PASSWORD_AUTHENTICATION",
        code: "PASSWORD_AUTHENTICATION_ENABLED",
        scope: "FILE_PATH",
        value: "/etc/ssh/sshd_config",
        message: "sshd accepts passwords. Set PasswordAuthentication no so that only key pairs can log in, then build a new AMI.",
    },
    // No password-based remote login for root.
    ControlSpec {
        id: "SSH_ROOT_LOGIN",
        code: "ROOT_PASSWORD_LOGIN_ENABLED",
        scope: "FILE_PATH",
        value: "/etc/ssh/sshd_config",
        message: "sshd lets root log in with a password. Set PermitRootLogin to prohibit-password (or no), lock root's password (passwd -l root) and build a new AMI.",
    },
    // No passwords, keys or other credentials baked into the image.
    ControlSpec {
        id: "EMBEDDED_CREDENTIALS",
        code: "CREDENTIALS_FOUND",
        scope: "FILE_PATH",
        value: "/root/.ssh/authorized_keys",
        message: "The image contains an authorized SSH key. Remove authorized_keys files, passwords and SSH host keys before the AMI is created.",
    },
    // The buyer administers the instance through a non-root login user that may use sudo.
    ControlSpec {
        id: "SUDO_USER",
        code: "NO_SUDO_USER",
        scope: "AMI_ID",
        value: "",
        message: "No non-root user can administer the instance with sudo. Create the login user the delivery option names (UserName) with sudo rights, for example as cloud-init's default user, and build a new AMI.",
    },
];

/// The control a failed scan fails when nobody chose others: known vulnerabilities, the most
/// common reason a scan fails.
pub const DEFAULT_FAILING: &str = "KNOWN_VULNERABILITIES";

/// The control with id `id`, if the scanner has one.
pub fn control(id: &str) -> Option<&'static ControlSpec> {
    CONTROLS.iter().find(|c| c.id == id)
}

/// The outcome of one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlResult {
    /// The control id.
    pub id: String,
    /// Whether it passed.
    pub passed: bool,
}

/// One recorded assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// `assessment-…`.
    pub id: String,
    /// The seller account that submitted the change set.
    pub account: String,
    /// The product assessed.
    pub entity_id: String,
    /// The change set whose scan made it.
    pub change_set_id: String,
    /// The delivery option the version got, when the change set created one.
    pub delivery_option_id: Option<String>,
    /// The scanned AMI.
    pub ami: String,
    /// Virtual second of the scan's end.
    pub created: f64,
    /// The controls, in [`CONTROLS`] order.
    pub controls: Vec<ControlResult>,
}

impl Assessment {
    /// `PASS` unless a control failed.
    pub fn passed(&self) -> bool {
        self.controls.iter().all(|c| c.passed)
    }

    /// The assessment ARN, shaped as the DescribeAssessment page's example (no account field).
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:aws-marketplace:us-east-1::AWSMarketplace/Assessment/{}",
            self.id
        )
    }
}

/// Every assessment and the scanner's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessments {
    /// Assessments by id.
    pub by_id: BTreeMap<String, Assessment>,
    /// The controls a failed scan of an AMI fails (AMI id → control ids).
    pub failing: BTreeMap<String, Vec<String>>,
    /// The controls a failed scan fails for AMIs without their own choice; empty means
    /// [`DEFAULT_FAILING`].
    pub default_failing: Vec<String>,
}

impl Assessments {
    /// The control results of a scan of `ami`: every control passes, or, for a failed scan, the
    /// chosen controls fail.
    pub fn evaluate(&self, ami: &str, failed: bool) -> Vec<ControlResult> {
        let chosen = self.failing.get(ami).unwrap_or(&self.default_failing);
        let fails = |id: &str| {
            failed
                && if chosen.is_empty() {
                    id == DEFAULT_FAILING
                } else {
                    chosen.iter().any(|c| c == id)
                }
        };
        CONTROLS
            .iter()
            .map(|c| ControlResult {
                id: c.id.to_owned(),
                passed: !fails(c.id),
            })
            .collect()
    }

    /// Chooses the controls failed scans fail, for `ami` or (without one) for every AMI
    /// without its own choice. Unknown control ids are refused with the list of known ones.
    pub fn choose(&mut self, ami: Option<&str>, controls: Vec<String>) -> Result<(), String> {
        if let Some(bad) = controls.iter().find(|c| control(c).is_none()) {
            let known: Vec<&str> = CONTROLS.iter().map(|c| c.id).collect();
            return Err(format!(
                "unknown control {bad}; the scanner's controls are {}",
                known.join(", ")
            ));
        }
        match ami {
            Some(a) => {
                self.failing.insert(a.to_owned(), controls);
            }
            None => self.default_failing = controls,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed_ids(results: &[ControlResult]) -> Vec<&str> {
        results
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.id.as_str())
            .collect()
    }

    #[test]
    fn a_passed_scan_passes_every_control() {
        let mut a = Assessments::default();
        a.choose(Some("ami-1"), vec!["MALWARE".into()]).unwrap();
        let results = a.evaluate("ami-1", false);
        assert_eq!(results.len(), CONTROLS.len());
        assert!(failed_ids(&results).is_empty());
    }

    #[test]
    fn a_failed_scan_fails_the_chosen_controls_or_the_default() {
        let mut a = Assessments::default();
        assert_eq!(failed_ids(&a.evaluate("ami-1", true)), [DEFAULT_FAILING]);
        a.choose(None, vec!["SUDO_USER".into()]).unwrap();
        a.choose(
            Some("ami-2"),
            vec!["SSH_ROOT_LOGIN".into(), "MALWARE".into()],
        )
        .unwrap();
        assert_eq!(failed_ids(&a.evaluate("ami-1", true)), ["SUDO_USER"]);
        assert_eq!(
            failed_ids(&a.evaluate("ami-2", true)),
            ["MALWARE", "SSH_ROOT_LOGIN"]
        );
    }

    #[test]
    fn unknown_controls_are_refused() {
        let mut a = Assessments::default();
        let err = a.choose(None, vec!["NOPE".into()]).unwrap_err();
        assert!(err.contains("NOPE") && err.contains("SUDO_USER"), "{err}");
        assert!(a.default_failing.is_empty());
    }
}
