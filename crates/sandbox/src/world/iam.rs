//! IAM state: roles with trust policies and attached managed policies, the role sessions STS
//! handed out, and the AWS managed policies the sandbox knows (notably
//! `AWSMarketplaceAmiIngestion` with its real actions).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// ARN of the managed policy Marketplace's ingestion role needs.
pub const INGESTION_POLICY_ARN: &str = "arn:aws:iam::aws:policy/AWSMarketplaceAmiIngestion";
/// The service principal the ingestion role must trust.
pub const INGESTION_PRINCIPAL: &str = "assets.marketplace.amazonaws.com";
/// A role's maximum session duration, in seconds, when none is set: one hour
/// (<https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html>). The sandbox's
/// roles all keep it.
pub const DEFAULT_MAX_SESSION_SECS: i64 = 3600;

/// A role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Owning account.
    pub account: String,
    /// Name.
    pub name: String,
    /// Path, `/` by default.
    pub path: String,
    /// `AROA…` id.
    pub id: String,
    /// Trust policy JSON.
    pub trust_policy: String,
    /// Description.
    pub description: Option<String>,
    /// Creation time.
    pub created: String,
    /// Attached managed policy ARNs.
    pub attached: BTreeSet<String>,
    /// Tags.
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
}

impl Role {
    /// `arn:aws:iam::acct:role/path/name`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }

    /// Whether the trust policy lets `principal` (a service name or an account id) assume it.
    pub fn trusts(&self, principal: &str) -> bool {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&self.trust_policy) else {
            return false;
        };
        let statements = match &doc["Statement"] {
            serde_json::Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        statements.iter().any(|s| {
            s["Effect"] == "Allow"
                && action_matches(&s["Action"])
                && ["Service", "AWS"].iter().any(|k| {
                    strings(&s["Principal"][k]).iter().any(|p| {
                        p == principal || p == "*" || p == &format!("arn:aws:iam::{principal}:root")
                    })
                })
        })
    }
}

fn action_matches(v: &serde_json::Value) -> bool {
    strings(v)
        .iter()
        .any(|a| a == "sts:AssumeRole" || a == "sts:*" || a == "*")
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// An AWS managed policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// `ANPA…` id.
    pub id: String,
    /// Default version id.
    pub version: String,
    /// The policy document (JSON).
    pub document: String,
    /// Description.
    pub description: String,
}

/// All IAM state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Iam {
    /// Roles keyed by `account/name`.
    pub roles: BTreeMap<String, Role>,
    /// Role sessions handed out by AssumeRole: the assumed-role ARN → its `AssumedRoleId`
    /// (`role id:session name`), which GetCallerIdentity answers as the caller's `UserId`.
    #[serde(default)]
    pub sessions: BTreeMap<String, String>,
}

impl Iam {
    /// The key of a role.
    pub fn key(account: &str, name: &str) -> String {
        format!("{account}/{name}")
    }

    /// The managed policies AWS provides that the sandbox knows.
    pub fn managed_policies() -> Vec<ManagedPolicy> {
        // The actions of AWSMarketplaceAmiIngestion as documented
        // (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSMarketplaceAmiIngestion.html):
        // snapshot permission changes only on us-east-1 snapshots; image and snapshot reads
        // everywhere.
        let document = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                { "Effect": "Allow", "Action": ["ec2:ModifySnapshotAttribute"], "Resource": "arn:aws:ec2:us-east-1::snapshot/snap-*" },
                { "Effect": "Allow", "Action": ["ec2:DescribeImageAttribute", "ec2:DescribeImages", "ec2:DescribeSnapshotAttribute", "ec2:ModifyImageAttribute"], "Resource": "*" }
            ]
        });
        vec![ManagedPolicy {
            arn: INGESTION_POLICY_ARN.to_owned(),
            name: "AWSMarketplaceAmiIngestion".to_owned(),
            id: "ANPAIWBHWEHBNSG7JQ4CA".to_owned(),
            version: "v1".to_owned(),
            document: document.to_string(),
            description: "Allows AWS Marketplace to copy your Amazon Machine Images (AMIs) in order to list them on AWS Marketplace".to_owned(),
        }]
    }

    /// A managed policy by ARN.
    pub fn managed_policy(arn: &str) -> Option<ManagedPolicy> {
        Self::managed_policies().into_iter().find(|p| p.arn == arn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(trust: serde_json::Value) -> Role {
        Role {
            account: "111122223333".into(),
            name: "r".into(),
            path: "/".into(),
            id: "AROA".into(),
            trust_policy: trust.to_string(),
            description: None,
            created: String::new(),
            attached: BTreeSet::new(),
            tags: Default::default(),
        }
    }

    #[test]
    fn trust_policies_name_services_and_accounts() {
        let r = role(
            serde_json::json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": INGESTION_PRINCIPAL}, "Action": "sts:AssumeRole"}]}),
        );
        assert!(r.trusts(INGESTION_PRINCIPAL));
        assert!(!r.trusts("111122223333"));
        let r = role(
            serde_json::json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::444455556666:root"]}, "Action": ["sts:AssumeRole"]}}),
        );
        assert!(r.trusts("444455556666"));
        let r = role(
            serde_json::json!({"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
        );
        assert!(!r.trusts("444455556666"));
    }
}
