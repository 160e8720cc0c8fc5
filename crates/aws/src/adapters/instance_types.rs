//! EC2's instance types: the current-generation ones of an architecture in the seller's home
//! Region (DescribeInstanceTypes with the `current-generation` and
//! `processor-info.supported-architecture` filters, every page), for products whose spec asks
//! for `all_current`
//! (<https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceTypes.html>).

use std::sync::Arc;

use amipub_engine::lifecycle_ports::InstanceTypeCatalog;
use amipub_engine::ports::PortResult;
use aws_sdk_ec2::types::Filter;

use super::Shared;
use crate::limits::Class;

/// The adapter.
pub struct Ec2InstanceTypes {
    shared: Arc<Shared>,
}

impl Ec2InstanceTypes {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

/// EC2's name of an architecture as amipub's specs write it.
fn ec2_architecture(architecture: &str) -> &str {
    match architecture {
        "aarch64" => "arm64",
        other => other,
    }
}

impl InstanceTypeCatalog for Ec2InstanceTypes {
    async fn current(&self, architecture: &str) -> PortResult<Vec<String>> {
        let home = self.shared.home().to_owned();
        let mut types = Vec::new();
        let mut token: Option<String> = None;
        // At most 100 per page; a bound on the pages guards against a token that never ends.
        for _ in 0..50 {
            let out = self
                .shared
                .ec2(&home, Class::Ec2Describe)
                .await?
                .describe_instance_types()
                .filters(
                    Filter::builder()
                        .name("current-generation")
                        .values("true")
                        .build(),
                )
                .filters(
                    Filter::builder()
                        .name("processor-info.supported-architecture")
                        .values(ec2_architecture(architecture))
                        .build(),
                )
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.shared.home_error("DescribeInstanceTypes", &e))?;
            types.extend(
                out.instance_types()
                    .iter()
                    .filter_map(|t| t.instance_type().map(|n| n.as_str().to_owned())),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        types.sort();
        types.dedup();
        Ok(types)
    }
}
