//! A release's dry run: the read-only half of its first steps, with nothing created — is the
//! source AMI admissible (the release machine's own admission, fed by the same inspection), is
//! the ingestion role in place, is the version new on the listing. `publish --validate-only`
//! prints it.

use amipub_domain::release::{Event, Release, State, decide};

use crate::engine::Engine;
use crate::ports::{Catalog, Grants, Images, Ports};

/// What a dry run found; each `Err` says what is wrong in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// The source AMI passes admission.
    pub source: Result<(), String>,
    /// The ingestion role is in place (else what is missing, `amipub init` fixes it).
    pub role: Result<(), String>,
    /// Whether the version is already listed (publishing would only locate and announce it).
    pub listed: Result<bool, String>,
}

impl Preflight {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.source.is_ok() && self.role.is_ok() && self.listed.is_ok()
    }
}

impl<P: Ports> Engine<P> {
    /// The dry run of `release` at `now`: read-only calls, nothing stored or created.
    pub async fn preflight(&self, release: &Release, now: i64) -> Preflight {
        let ports = self.ports();
        let source = match ports
            .images()
            .inspect(&release.source_region, &release.source_ami)
            .await
        {
            Err(e) => Err(format!("cannot inspect the source AMI: {e}")),
            Ok(facts) => {
                let event = facts.map_or(Event::SourceMissing, Event::SourceInspected);
                let (after, _) = decide(release, &event, now);
                match after.state {
                    State::Admitted => Ok(()),
                    other => Err(after
                        .rejection
                        .or(after
                            .failure
                            .map(|f| format!("{} ({})", f.detail, f.remedy)))
                        .unwrap_or_else(|| other.name().to_owned())),
                }
            }
        };
        let role = match ports.grants().check().await {
            Ok(None) => Ok(()),
            Ok(Some(missing)) => Err(format!("{missing}; `amipub init` fixes it")),
            Err(e) => Err(format!("cannot check the ingestion role: {e}")),
        };
        let pid = self
            .product(&release.product)
            .and_then(|p| p.spec.product.id.clone())
            .unwrap_or_default();
        let listed = match ports.catalog().versions(&pid).await {
            Ok(vs) => Ok(vs.iter().any(|v| v.title == release.version)),
            Err(e) => Err(format!("cannot read {pid} from the Catalog: {e}")),
        };
        Preflight {
            source,
            role,
            listed,
        }
    }
}
