//! Who amipub is in each partition: STS GetCallerIdentity with the partition's credentials
//! (<https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html>), which
//! needs no permission, so a refusal is always about the credentials themselves.

use std::sync::Arc;

use amipub_engine::ports::PortResult;

use super::Shared;
use crate::limits::Class;

/// The caller of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account the credentials belong to.
    pub account: String,
    /// The principal's ARN (user, assumed role, …).
    pub arn: String,
    /// Where the credentials came from, in words.
    pub credentials: String,
}

/// STS.
#[derive(Debug, Clone)]
pub struct Identity {
    shared: Arc<Shared>,
}

impl Identity {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The partitions amipub has credentials for, each with its home Region.
    pub fn partitions(&self) -> Vec<(String, String)> {
        let mut out = vec![("aws".to_owned(), self.shared.home().to_owned())];
        out.extend(
            self.shared
                .others
                .iter()
                .map(|(name, r)| (name.clone(), r.home().to_owned())),
        );
        out
    }

    /// Who the credentials of `region`'s partition are.
    pub async fn caller(&self, region: &str) -> PortResult<Caller> {
        let clients = self.shared.partition(region)?;
        self.shared.limits.acquire(region, Class::Iam).await;
        let sts = clients.sts(region);
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| self.shared.error(region, "GetCallerIdentity", &e))?;
        Ok(Caller {
            account: out.account().unwrap_or_default().to_owned(),
            arn: out.arn().unwrap_or_default().to_owned(),
            credentials: clients.credentials().to_owned(),
        })
    }
}
