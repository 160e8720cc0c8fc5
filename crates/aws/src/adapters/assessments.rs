//! The AMI security assessments of a change set: ListAssessments filtered to the change set and
//! the `AMISecurity` framework
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListAssessments.html>),
//! then DescribeAssessment of each for its controls
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_DescribeAssessment.html>),
//! every page of both, turned into the domain's `ControlFinding`s.

use amipub_domain::changeset::CATALOG;
use amipub_domain::release::ControlFinding;
use amipub_domain::release::assessment::ControlError;
use amipub_engine::ports::PortResult;
use aws_sdk_marketplacecatalog::types::{AssessmentTargetFilter, ControlAssessment};

use super::catalog::MarketplaceCatalog;
use crate::limits::Class;

/// The framework of the security scan of AMI versions.
const AMI_SECURITY: &str = "AMISecurity";
/// The largest page both operations allow.
const PAGE: i32 = 100;
/// Pages followed at most per listing: a change set adds a handful of versions, so more pages
/// than this means a token that never ends.
const MAX_PAGES: usize = 20;

impl MarketplaceCatalog {
    /// The controls of every `AMISecurity` assessment of `change_set`.
    pub(super) async fn change_set_controls(
        &self,
        change_set: &str,
    ) -> PortResult<Vec<ControlFinding>> {
        let mut controls = Vec::new();
        for id in self.assessment_ids(change_set).await? {
            controls.extend(self.assessment_controls(&id).await?);
        }
        Ok(controls)
    }

    async fn assessment_ids(&self, change_set: &str) -> PortResult<Vec<String>> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .shared
                .catalog(Class::CatalogAssessments)
                .await
                .list_assessments()
                .catalog(CATALOG)
                .framework_id(AMI_SECURITY)
                .assessment_target_filter(
                    AssessmentTargetFilter::builder()
                        .change_set_id(change_set)
                        .build(),
                )
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    self.shared
                        .home_error("ListAssessments", &e)
                        .about(change_set)
                })?;
            ids.extend(
                out.assessment_summary_list()
                    .iter()
                    .filter_map(|a| a.assessment_id().map(str::to_owned)),
            );
            match out.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        Ok(ids)
    }

    async fn assessment_controls(&self, id: &str) -> PortResult<Vec<ControlFinding>> {
        let mut controls = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let out = self
                .shared
                .catalog(Class::CatalogAssessments)
                .await
                .describe_assessment()
                .catalog(CATALOG)
                .assessment_identifier(id)
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| self.shared.home_error("DescribeAssessment", &e).about(id))?;
            controls.extend(out.control_assessments().iter().map(finding));
            match out.next_token() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        Ok(controls)
    }
}

/// One SDK control in the domain's words.
fn finding(c: &ControlAssessment) -> ControlFinding {
    let errors: Vec<ControlError> = c
        .errors()
        .iter()
        .map(|e| ControlError {
            code: e.code().unwrap_or_default().to_owned(),
            message: e.message().unwrap_or_default().to_owned(),
            scope: e
                .scope()
                .iter()
                .map(|s| {
                    (
                        s.name().unwrap_or_default().to_owned(),
                        s.value().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        })
        .collect();
    ControlFinding::read(
        c.control_id().unwrap_or("unnamed control"),
        c.control_assessment_result().map_or("", |r| r.as_str()),
        &errors,
    )
}

#[cfg(test)]
mod tests {
    use amipub_domain::release::ControlResult;
    use aws_sdk_marketplacecatalog::types::{ControlAssessmentResult, ErrorScope};

    use super::*;

    #[test]
    fn sdk_controls_become_findings_with_aws_remedies() {
        let failed = ControlAssessment::builder()
            .control_id("SUDO_USER")
            .control_assessment_result(ControlAssessmentResult::Fail)
            .errors(
                aws_sdk_marketplacecatalog::types::ControlError::builder()
                    .code("NO_SUDO_USER")
                    .message("Add a sudo user.")
                    .scope(ErrorScope::builder().name("AMI_ID").value("ami-1").build())
                    .build(),
            )
            .build();
        let f = finding(&failed);
        assert_eq!(
            (f.control.as_str(), f.result, f.remedy.as_str()),
            (
                "SUDO_USER",
                ControlResult::Fail,
                "Add a sudo user. (AMI_ID ami-1)"
            )
        );
        let passed = ControlAssessment::builder()
            .control_id("MALWARE")
            .control_assessment_result(ControlAssessmentResult::Pass)
            .build();
        assert_eq!(finding(&passed).result, ControlResult::Pass);
        assert_eq!(
            finding(&ControlAssessment::builder().build()).result,
            ControlResult::NotExecuted
        );
    }
}
