//! The instance metadata service, IMDSv2 only: a session token first, then the instance id, the
//! Region, the AMI's product codes and the instance role's temporary credentials. Each failure is
//! said in plain words with what to check.

use std::time::{Duration, SystemTime};

use crate::http;

/// Token lifetime asked for, seconds.
const TOKEN_TTL: &str = "21600";
/// One metadata call's timeout.
const TIMEOUT: Duration = Duration::from_secs(3);

/// The metadata service at a base URL (`http://169.254.169.254`, or a sandbox's
/// `http://127.0.0.1:PORT/_imds/i-…`).
#[derive(Debug, Clone)]
pub struct Imds {
    base: String,
}

/// What the instance is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// `i-…`.
    pub id: String,
    /// Region.
    pub region: String,
    /// Product codes of its AMI.
    pub product_codes: Vec<String>,
}

/// Temporary credentials of the instance role.
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    /// Role name.
    pub role: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret.
    pub secret_access_key: String,
    /// Session token.
    pub token: String,
    /// Expiry.
    pub expiration: Option<SystemTime>,
}

impl Imds {
    /// The service at `base`.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    async fn token(&self) -> Result<String, String> {
        let r = http::request(
            "PUT",
            &format!("{}/latest/api/token", self.base),
            &[("X-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL)],
            TIMEOUT,
        )
        .await
        .map_err(|e| {
            format!(
                "the instance metadata service at {} does not answer ({e}); is this an EC2 instance, and is the metadata service enabled with a hop limit that reaches this process?",
                self.base
            )
        })?;
        if r.status != 200 {
            return Err(format!(
                "the instance metadata service refused a session token (HTTP {}); IMDSv2 must be enabled",
                r.status
            ));
        }
        Ok(r.text().trim().to_owned())
    }

    async fn get(&self, token: &str, path: &str) -> Result<Option<String>, String> {
        let r = http::request(
            "GET",
            &format!("{}/latest/{path}", self.base),
            &[("X-aws-ec2-metadata-token", token)],
            TIMEOUT,
        )
        .await?;
        match r.status {
            200 => Ok(Some(r.text())),
            404 => Ok(None),
            s => Err(format!(
                "the instance metadata service answered HTTP {s} for {path}"
            )),
        }
    }

    /// The instance's id, Region and product codes.
    pub async fn instance(&self) -> Result<Instance, String> {
        let t = self.token().await?;
        let id = self
            .get(&t, "meta-data/instance-id")
            .await?
            .ok_or("the metadata service has no instance-id")?;
        let region = self
            .get(&t, "meta-data/placement/region")
            .await?
            .ok_or("the metadata service has no placement/region")?;
        let codes = self
            .get(&t, "meta-data/product-codes")
            .await?
            .unwrap_or_default();
        Ok(Instance {
            id: id.trim().to_owned(),
            region: region.trim().to_owned(),
            product_codes: codes.split_whitespace().map(str::to_owned).collect(),
        })
    }

    /// The instance role's current credentials.
    pub async fn credentials(&self) -> Result<RoleCredentials, String> {
        let t = self.token().await?;
        let role = self
            .get(&t, "meta-data/iam/security-credentials/")
            .await?
            .and_then(|r| r.lines().next().map(|l| l.trim().to_owned()))
            .filter(|r| !r.is_empty())
            .ok_or("the instance has no IAM role: attach an instance profile whose role allows aws-marketplace:MeterUsage")?;
        let doc = self
            .get(&t, &format!("meta-data/iam/security-credentials/{role}"))
            .await?
            .ok_or_else(|| format!("the metadata service has no credentials for role {role}"))?;
        parse_credentials(&role, &doc)
    }
}

/// Reads the credentials document of `role`.
pub fn parse_credentials(role: &str, doc: &str) -> Result<RoleCredentials, String> {
    let v: serde_json::Value = serde_json::from_str(doc)
        .map_err(|e| format!("the credentials of role {role} are not JSON: {e}"))?;
    if v["Code"].as_str().is_some_and(|c| c != "Success") {
        return Err(format!(
            "the metadata service could not get credentials for role {role}: {}",
            v["Message"].as_str().unwrap_or("no reason given")
        ));
    }
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the credentials of role {role} lack {k}"))
    };
    let expiration = v["Expiration"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp().max(0) as u64));
    Ok(RoleCredentials {
        role: role.to_owned(),
        access_key_id: field("AccessKeyId")?,
        secret_access_key: field("SecretAccessKey")?,
        token: field("Token")?,
        expiration,
    })
}

/// The SDK's credentials provider backed by the metadata service.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The metadata service.
    pub imds: Imds,
    /// Whether it is the sandbox's, whose expiry times are virtual.
    pub sandbox: bool,
}

impl aws_credential_types::provider::ProvideCredentials for Provider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let c = self.imds.credentials().await.map_err(|e| {
                aws_credential_types::provider::error::CredentialsError::provider_error(e)
            })?;
            // The sandbox's expiry is virtual and may lie before the real now: give the SDK a
            // real one, or it would fetch credentials again for every call.
            let expiry = if self.sandbox {
                Some(SystemTime::now() + Duration::from_secs(300))
            } else {
                c.expiration
            };
            Ok(aws_credential_types::Credentials::new(
                c.access_key_id,
                c.secret_access_key,
                Some(c.token),
                expiry,
                "amipub-meter-imds",
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_documents_are_read_or_explained() {
        let ok = r#"{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
        let c = parse_credentials("r", ok).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.access_key_id.as_str(), c.token.as_str()), ("ASIA1", "t"));
        assert!(c.expiration.is_some());
        let e = parse_credentials("r", r#"{"Code":"Failure","Message":"no"}"#)
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("could not get credentials for role r: no"),
            "{e}"
        );
        let e = parse_credentials("r", r#"{"Code":"Success"}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("lack AccessKeyId"), "{e}");
    }
}
