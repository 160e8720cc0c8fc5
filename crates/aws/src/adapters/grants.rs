//! The ingestion role: AWS Marketplace assumes it to read submitted AMIs. `check` verifies that it
//! exists, trusts `assets.marketplace.amazonaws.com` and has the `AWSMarketplaceAmiIngestion`
//! managed policy; `ensure` (used by `amipub init`) creates whatever is missing, looking first.

use std::sync::Arc;

use amipub_engine::ports::{Grants, PortResult};

use super::{Shared, code};

/// The service principal that must be trusted.
pub const MARKETPLACE_PRINCIPAL: &str = "assets.marketplace.amazonaws.com";
/// The managed policy's name.
pub const INGESTION_POLICY: &str = "AWSMarketplaceAmiIngestion";

/// The trust policy of the ingestion role.
pub fn trust_policy() -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": MARKETPLACE_PRINCIPAL },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// (partition, role name) of a role ARN.
pub fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, partition, service, _, _, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "iam" {
        return None;
    }
    let name = resource.strip_prefix("role/")?.rsplit('/').next()?;
    (!name.is_empty()).then_some((partition, name))
}

/// `%7B…` (IAM returns policy documents URL-encoded) → text.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `ensure` did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ensured {
    /// The role was created.
    pub created_role: bool,
    /// The policy was attached.
    pub attached_policy: bool,
}

/// The ingestion role in IAM.
#[derive(Debug, Clone)]
pub struct IamGrants {
    shared: Arc<Shared>,
}

impl IamGrants {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    fn role(&self) -> PortResult<(String, String)> {
        let arn = &self.shared.seller.ingestion_role;
        parse_role_arn(arn)
            .map(|(p, n)| (p.to_owned(), n.to_owned()))
            .ok_or_else(|| {
                amipub_engine::PortError::new(
                    amipub_domain::release::FailureKind::InvalidInput,
                    format!(
                        "ingestion_role {arn:?} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                    ),
                )
            })
    }

    fn policy_arn(partition: &str) -> String {
        format!("arn:{partition}:iam::aws:policy/{INGESTION_POLICY}")
    }

    /// (role exists, trusts Marketplace, policy attached).
    async fn look(&self, name: &str, partition: &str) -> PortResult<(bool, bool, bool)> {
        let role = match self
            .shared
            .iam()
            .await
            .get_role()
            .role_name(name)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok((false, false, false)),
            Err(e) => return Err(self.shared.home_error("GetRole", &e)),
        };
        let trust = role
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .map(percent_decode)
            .unwrap_or_default();
        let trusts = trust.contains(MARKETPLACE_PRINCIPAL);
        let attached = self
            .shared
            .iam()
            .await
            .list_attached_role_policies()
            .role_name(name)
            .send()
            .await
            .map_err(|e| self.shared.home_error("ListAttachedRolePolicies", &e))?;
        let wanted = Self::policy_arn(partition);
        let has_policy = attached
            .attached_policies()
            .iter()
            .any(|p| p.policy_arn() == Some(wanted.as_str()));
        Ok((true, trusts, has_policy))
    }

    /// Creates the role and attaches the policy where missing.
    pub async fn ensure(&self) -> PortResult<Ensured> {
        let (partition, name) = self.role()?;
        let (exists, trusts, has_policy) = self.look(&name, &partition).await?;
        let mut done = Ensured::default();
        if !exists {
            match self
                .shared
                .iam()
                .await
                .create_role()
                .role_name(&name)
                .assume_role_policy_document(trust_policy())
                .description("Lets AWS Marketplace read AMIs submitted by amipub")
                .set_tags(self.tags())
                .send()
                .await
            {
                Ok(_) => done.created_role = true,
                // Created meanwhile by someone else: fine (tagged below like any found role).
                Err(e) if code(&e) == Some("EntityAlreadyExists") => self.tag(&name).await?,
                Err(e) => return Err(self.shared.home_error("CreateRole", &e)),
            }
        } else if !trusts {
            self.shared
                .iam()
                .await
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(trust_policy())
                .send()
                .await
                .map_err(|e| self.shared.home_error("UpdateAssumeRolePolicy", &e))?;
        }
        if !has_policy {
            self.shared
                .iam()
                .await
                .attach_role_policy()
                .role_name(&name)
                .policy_arn(Self::policy_arn(&partition))
                .send()
                .await
                .map_err(|e| self.shared.home_error("AttachRolePolicy", &e))?;
            done.attached_policy = true;
        }
        // The operator's tags, on a role made before they were set too (TagRole replaces
        // values and is safe to repeat: https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagRole.html).
        if exists {
            self.tag(&name).await?;
        }
        Ok(done)
    }

    /// TagRole with the operator's tags, if there are any.
    async fn tag(&self, name: &str) -> PortResult<()> {
        let Some(tags) = self.tags() else {
            return Ok(());
        };
        self.shared
            .iam()
            .await
            .tag_role()
            .role_name(name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| self.shared.home_error("TagRole", &e))?;
        Ok(())
    }

    /// The operator's tags as IAM's, or none.
    fn tags(&self) -> Option<Vec<aws_sdk_iam::types::Tag>> {
        let tags: Vec<_> = self
            .shared
            .seller
            .tags
            .iter()
            .filter_map(|(k, v)| {
                aws_sdk_iam::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect();
        (!tags.is_empty()).then_some(tags)
    }
}

impl Grants for IamGrants {
    async fn check(&self) -> PortResult<Option<String>> {
        let (partition, name) = self.role()?;
        let (exists, trusts, has_policy) = self.look(&name, &partition).await?;
        let arn = &self.shared.seller.ingestion_role;
        Ok(if !exists {
            Some(format!("the role {arn} does not exist"))
        } else if !trusts {
            Some(format!(
                "the role {arn} does not trust {MARKETPLACE_PRINCIPAL}"
            ))
        } else if !has_policy {
            Some(format!(
                "the role {arn} lacks the managed policy {}",
                Self::policy_arn(&partition)
            ))
        } else {
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_parse_with_paths_and_partitions() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::111122223333:role/AwsMarketplaceAmiIngestion"),
            Some(("aws", "AwsMarketplaceAmiIngestion"))
        );
        assert_eq!(
            parse_role_arn("arn:aws-us-gov:iam::111122223333:role/service/Ingest"),
            Some(("aws-us-gov", "Ingest"))
        );
        assert_eq!(parse_role_arn("arn:aws:s3:::bucket"), None);
        assert_eq!(parse_role_arn("AwsMarketplaceAmiIngestion"), None);
    }

    #[test]
    fn url_encoded_policies_decode() {
        let enc =
            "%7B%22Principal%22%3A%7B%22Service%22%3A%22assets.marketplace.amazonaws.com%22%7D%7D";
        assert!(percent_decode(enc).contains("\"Service\":\"assets.marketplace.amazonaws.com\""));
        assert_eq!(percent_decode("{\"a\": 1}"), "{\"a\": 1}");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
