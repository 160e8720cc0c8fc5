//! SSM parameters: read one at a time or ten to a call (`get_many`), written as `aws:ec2:image`
//! (so SSM checks the value), and written only when changed (`put_if_changed`), so a restart or
//! a second run makes no new parameter versions; new ones tagged (`create`), and tags read and
//! added (`tags`, `add_tags`) for `verify` and `apply --tags`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use amipub_engine::ports::{Parameters, PortResult};
use aws_sdk_ssm::types::{ParameterType, Tag};

use super::{Shared, code};
use crate::limits::Class;

/// Most names one GetParameters call takes
/// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html>).
pub const GET_MANY_NAMES: usize = 10;

/// SSM Parameter Store.
#[derive(Debug, Clone)]
pub struct SsmParameters {
    shared: Arc<Shared>,
}

impl SsmParameters {
    /// On `shared`.
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The value of `name` in `region`, if set.
    pub async fn value(&self, region: &str, name: &str) -> PortResult<Option<String>> {
        match self
            .shared
            .ssm(region, Class::SsmRead)
            .await?
            .get_parameter()
            .name(name)
            .send()
            .await
        {
            Ok(o) => Ok(o.parameter().and_then(|p| p.value()).map(str::to_owned)),
            Err(e) if code(&e) == Some("ParameterNotFound") => Ok(None),
            Err(e) => Err(self.shared.error(region, "GetParameter", &e).about(name)),
        }
    }
}

impl SsmParameters {
    /// Writes `name` = `ami` in `region` unless it already has that value (so a re-run makes no
    /// new parameter version).
    pub async fn put_if_changed(&self, region: &str, name: &str, ami: &str) -> PortResult<()> {
        if self.value(region, name).await?.as_deref() == Some(ami) {
            return Ok(());
        }
        self.set(region, name, ami).await
    }
}

/// Tags as SSM's.
fn ssm_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

impl Parameters for SsmParameters {
    async fn get(&self, region: &str, name: &str) -> PortResult<Option<String>> {
        self.value(region, name).await
    }

    /// GetParameters, `GET_MANY_NAMES` names a call; a name SSM lists in `InvalidParameters`
    /// (it does not exist) is absent from the result.
    async fn get_many(
        &self,
        region: &str,
        names: &[String],
    ) -> PortResult<BTreeMap<String, String>> {
        let unique: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut out = BTreeMap::new();
        for batch in unique.chunks(GET_MANY_NAMES) {
            let found = self
                .shared
                .ssm(region, Class::SsmRead)
                .await?
                .get_parameters()
                .set_names(Some(batch.iter().map(|n| (*n).to_owned()).collect()))
                .send()
                .await
                .map_err(|e| {
                    self.shared
                        .error(region, "GetParameters", &e)
                        .about(&batch.join(", "))
                })?;
            for p in found.parameters() {
                let (Some(name), Some(value)) = (p.name(), p.value()) else {
                    continue;
                };
                // A name asked for with a version or label selector comes back without it.
                let asked = match p.selector() {
                    Some(sel) if !batch.contains(&name) => format!("{name}{sel}"),
                    _ => name.to_owned(),
                };
                out.insert(asked, value.to_owned());
            }
        }
        Ok(out)
    }

    async fn set(&self, region: &str, name: &str, ami: &str) -> PortResult<()> {
        self.shared
            .ssm(region, Class::SsmWrite)
            .await?
            .put_parameter()
            .name(name)
            .value(ami)
            .r#type(ParameterType::String)
            .data_type("aws:ec2:image")
            .overwrite(true)
            .description("Written by amipub")
            .send()
            .await
            .map_err(|e| self.shared.error(region, "PutParameter", &e).about(name))?;
        Ok(())
    }

    /// ListTagsForResource of the parameter
    /// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListTagsForResource.html>).
    async fn tags(&self, region: &str, name: &str) -> PortResult<Option<BTreeMap<String, String>>> {
        let out = self
            .shared
            .ssm(region, Class::SsmRead)
            .await?
            .list_tags_for_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .send()
            .await;
        match out {
            Ok(o) => Ok(Some(
                o.tag_list()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect(),
            )),
            Err(e) if code(&e) == Some("InvalidResourceId") => Ok(None),
            Err(e) => Err(self
                .shared
                .error(region, "ListTagsForResource", &e)
                .about(name)),
        }
    }

    /// AddTagsToResource of a parameter; `false` when SSM does not know it
    /// (<https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AddTagsToResource.html>).
    async fn add_tags(
        &self,
        region: &str,
        name: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<bool> {
        let tags = ssm_tags(tags);
        let out = self
            .shared
            .ssm(region, Class::SsmWrite)
            .await?
            .add_tags_to_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(tags))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if code(&e) == Some("InvalidResourceId") => Ok(false),
            Err(e) => Err(self
                .shared
                .error(region, "AddTagsToResource", &e)
                .about(name)),
        }
    }

    /// PutParameter with `Tags`, the operator's and `tags` (which SSM takes only for a new parameter, without
    /// `Overwrite`: <https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html>).
    /// One that appeared meanwhile (another worker) is overwritten as `set` does.
    async fn create(
        &self,
        region: &str,
        name: &str,
        ami: &str,
        tags: &BTreeMap<String, String>,
    ) -> PortResult<()> {
        // The operator's tags go on every parameter, whoever asked.
        let mut all = self.shared.seller.tags.clone();
        all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        if all.is_empty() {
            return self.set(region, name, ami).await;
        }
        let tags = ssm_tags(&all);
        let out = self
            .shared
            .ssm(region, Class::SsmWrite)
            .await?
            .put_parameter()
            .name(name)
            .value(ami)
            .r#type(ParameterType::String)
            .data_type("aws:ec2:image")
            .description("Written by amipub")
            .set_tags(Some(tags))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("ParameterAlreadyExists") => {
                self.set(region, name, ami).await
            }
            Err(e) => Err(self.shared.error(region, "PutParameter", &e).about(name)),
        }
    }
}
