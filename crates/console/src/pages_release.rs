//! The pages of one release, one job and the products: their view models and handlers. Links
//! go to the AWS consoles (an AMI's EC2 page, a change set's Marketplace request page).

use amipub_domain::job::JobState;
use amipub_domain::lifecycle::Status;
use amipub_domain::release::{Release, State as RState};
use amipub_store::Filter;
use amipub_store::verify::Checked;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;

use crate::api_types::FailureOut;
use crate::frame::{Frame, not_found, page, unavailable};
use crate::guard::Seen;
use crate::ops::ProductInfo;
use crate::pages::{TimeRow, time_rows};
use crate::state::App;
use crate::view::{self, clock, plain, span};

/// A value with the URL of its page in an AWS console.
type Linked = (String, String);

/// The EC2 console page of an AMI (`#` when either id is not plain).
pub fn ami_link(region: &str, ami: &str) -> Linked {
    let url = if plain(region) && plain(ami) {
        format!(
            "https://{region}.console.aws.amazon.com/ec2/home?region={region}#ImageDetails:imageId={ami}"
        )
    } else {
        "#".to_owned()
    };
    (ami.to_owned(), url)
}

/// The AWS Marketplace Management Portal page of a change set ("request").
pub fn change_set_link(id: &str) -> Linked {
    let url = if plain(id) {
        format!("https://aws.amazon.com/marketplace/management/requests/{id}")
    } else {
        "#".to_owned()
    };
    (id.to_owned(), url)
}

/// One Region of a release.
pub struct RegionRow {
    pub region: String,
    pub copy: Option<Linked>,
    pub ami: Option<Linked>,
    pub seen: String,
    /// Whether the release's SSM parameters point at its AMI there.
    pub parameters: &'static str,
    /// Whether the release's final check covered the Region.
    pub verified: &'static str,
}

/// A release, as its page shows it.
pub struct ReleaseView {
    pub id: String,
    pub product: String,
    pub version: String,
    pub state: &'static str,
    pub regions: String,
    pub why: String,
    pub source_ami: String,
    pub source_region: String,
    pub source_link: String,
    pub mirror: Option<Linked>,
    pub change_set: Option<Linked>,
    pub verification: Option<String>,
    pub failure: Option<FailureOut>,
    pub can_retry: bool,
    pub can_cancel: bool,
    pub region_rows: Vec<RegionRow>,
    /// The SSM parameter names it writes in every Region.
    pub parameters: Vec<String>,
}

/// Whether the release has written its SSM parameters.
fn written(r: &Release) -> bool {
    matches!(
        r.state,
        RState::ParametersWritten | RState::Announced | RState::Done
    )
}

fn region_rows(r: &Release) -> Vec<RegionRow> {
    r.expected_regions
        .iter()
        .map(|region| {
            let name = region.as_str();
            let clone = r
                .second_party
                .as_ref()
                .and_then(|sp| sp.clones.get(region))
                .map(|c| ami_link(name, &c.ami));
            // The catalog path's one copy is the mirror in us-east-1.
            let mirror = r
                .mirror_ami
                .as_deref()
                .filter(|_| name == "us-east-1")
                .map(|m| ami_link(name, m));
            RegionRow {
                region: name.to_owned(),
                copy: clone.or(mirror),
                ami: r.regions.get(region).map(|a| ami_link(name, a)),
                seen: r
                    .located_at
                    .get(region)
                    .map(|t| clock(*t))
                    .unwrap_or_default(),
                parameters: match (written(r), r.regions.contains_key(region)) {
                    (true, true) => "written",
                    (false, true) => "not yet",
                    (_, false) => "",
                },
                verified: if r.verification.is_some() && r.regions.contains_key(region) {
                    "yes"
                } else {
                    ""
                },
            }
        })
        .collect()
}

impl ReleaseView {
    fn of(r: &Release, now: i64) -> Self {
        let source_region = r.source_region.as_str().to_owned();
        Self {
            id: r.id.to_string(),
            product: r.product.clone(),
            version: r.version.clone(),
            state: r.state.name(),
            regions: view::regions(r),
            why: view::release_why(r, now),
            source_link: ami_link(&source_region, &r.source_ami).1,
            source_ami: r.source_ami.clone(),
            source_region,
            mirror: r.mirror_ami.as_deref().map(|m| ami_link("us-east-1", m)),
            change_set: r.change_set.as_deref().map(change_set_link),
            verification: r.verification.clone(),
            failure: r.failure.as_ref().map(FailureOut::of_release),
            can_retry: r.state == RState::Failed,
            can_cancel: !r.state.is_terminal() || r.state == RState::Failed,
            region_rows: region_rows(r),
            parameters: Vec::new(),
        }
    }
}

/// An announcement of the release.
pub struct SentRow {
    pub id: String,
    pub topic: String,
    pub sent: String,
}

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage {
    frame: Frame,
    r: ReleaseView,
    may_act: bool,
    timeline: Vec<TimeRow>,
    announcements: Vec<SentRow>,
}

/// `GET /releases/{id}`.
pub async fn release(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    seen: Seen,
    RawQuery(q): RawQuery,
) -> Response {
    let (app, id, seen, q) = (&*app, id.as_str(), &seen, q.as_deref());
    if !plain(id) {
        return not_found("release", id);
    }
    let r = match app.store.get(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return not_found("release", id),
        Err(e) => return unavailable(e),
    };
    let (timeline, outbox) = match (app.store.timeline(id).await, app.store.outbox_of(id).await) {
        (Ok(t), Ok(o)) => (t, o),
        (Err(e), _) | (_, Err(e)) => return unavailable(e),
    };
    let finished = r.state.is_terminal();
    page(&ReleasePage {
        frame: Frame::new(&app.keys, &seen.caller, seen.now, !finished, q),
        r: ReleaseView {
            parameters: app.ops.parameters(&r),
            ..ReleaseView::of(&r, seen.now)
        },
        may_act: seen.caller.may_act(),
        timeline: time_rows(&timeline, seen.now, finished),
        announcements: outbox
            .into_iter()
            .map(|o| SentRow {
                id: o.id,
                topic: o.topic,
                sent: o
                    .sent_at
                    .map_or_else(|| format!("not yet ({} tries)", o.attempts), clock),
            })
            .collect(),
    })
}

/// A job, as its page shows it.
pub struct JobView {
    pub id: String,
    pub kind: &'static str,
    pub product: String,
    pub state: &'static str,
    pub why: String,
    pub args: Vec<(String, String)>,
    pub failure: Option<FailureOut>,
    pub outcome: Vec<String>,
    pub can_retry: bool,
    pub can_cancel: bool,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    frame: Frame,
    j: JobView,
    may_act: bool,
    timeline: Vec<TimeRow>,
}

/// `GET /jobs/{id}`.
pub async fn job(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    seen: Seen,
    RawQuery(q): RawQuery,
) -> Response {
    let (app, id, seen, q) = (&*app, id.as_str(), &seen, q.as_deref());
    if !plain(id) {
        return not_found("job", id);
    }
    let found = match app.store.job(id).await {
        Ok(found) => found,
        Err(e) => return unavailable(e),
    };
    let Some(j) = found else {
        return not_found("job", id);
    };
    let timeline = match app.store.job_timeline(id).await {
        Ok(t) => t,
        Err(e) => return unavailable(e),
    };
    let finished = j.state.is_terminal();
    let view = JobView {
        id: j.id.clone(),
        kind: j.kind().label(),
        product: j.request.product.clone(),
        state: j.state.name(),
        why: view::job_why(&j, seen.now),
        args: j.request.args.clone().into_iter().collect(),
        failure: j.failure.as_ref().map(FailureOut::of_job),
        outcome: j.outcome.clone(),
        can_retry: j.state == JobState::Failed,
        can_cancel: !finished || j.state == JobState::Failed,
    };
    page(&JobPage {
        frame: Frame::new(&app.keys, &seen.caller, seen.now, !finished, q),
        j: view,
        may_act: seen.caller.may_act(),
        timeline: time_rows(&timeline, seen.now, finished),
    })
}

/// A version of a product.
pub struct VersionRow {
    pub version: String,
    pub id: String,
    pub state: &'static str,
    pub regions: String,
    pub age: String,
}

/// A product, as the products page shows it.
pub struct ProductView {
    /// What its spec says.
    pub info: ProductInfo,
    pub versions: Vec<VersionRow>,
    /// `Draft`, `Limited`, `Public`, as the last verify saw it.
    pub listing: Option<String>,
    /// When the last verify ran.
    pub checked: Option<String>,
    /// Its checks, per Region (`-`: the listing).
    pub verify: Vec<VerifyRegion>,
}

/// One Region of a product's last verify.
pub struct VerifyRegion {
    pub region: String,
    /// The worst status of its checks.
    pub worst: &'static str,
    pub correct: usize,
    pub total: usize,
    /// The checks that are not correct, in words.
    pub problems: Vec<String>,
}

/// The last verify's checks, grouped by Region.
fn by_region(checked: &[Checked]) -> Vec<VerifyRegion> {
    let mut out: Vec<VerifyRegion> = Vec::new();
    for c in checked {
        let r = &c.row;
        if out.last().is_none_or(|g| g.region != r.region) {
            out.push(VerifyRegion {
                region: r.region.clone(),
                worst: Status::Correct.word(),
                correct: 0,
                total: 0,
                problems: Vec::new(),
            });
        }
        let Some(g) = out.last_mut() else { continue };
        g.total += 1;
        if r.status == Status::Correct {
            g.correct += 1;
            continue;
        }
        if Status::from_word(g.worst).is_none_or(|w| r.status > w) {
            g.worst = r.status.word();
        }
        g.problems.push(format!(
            "{} {}: expected {}, found {}",
            r.status.word(),
            r.item,
            r.expected,
            r.actual
        ));
    }
    out
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    frame: Frame,
    products: Vec<ProductView>,
    may_act: bool,
}

/// How many versions per product the page lists.
const VERSIONS_SHOWN: i64 = 10;

/// `GET /products`.
pub async fn products(State(app): State<Arc<App>>, seen: Seen, RawQuery(q): RawQuery) -> Response {
    let (app, seen, q) = (&*app, &seen, q.as_deref());
    let mut products = Vec::new();
    for p in app.ops.products() {
        let f = Filter {
            product: Some(p.slug.clone()),
            state: Some(RState::Done.name().to_owned()),
            limit: VERSIONS_SHOWN,
            before: None,
        };
        let (versions, checked) = match (
            app.store.release_page(&f).await,
            app.store.verify_rows(Some(&p.slug)).await,
        ) {
            (Ok(v), Ok(c)) => (v, c),
            (Err(e), _) | (_, Err(e)) => return unavailable(e),
        };
        products.push(ProductView {
            listing: checked
                .iter()
                .find(|c| c.row.item == "listing.visibility")
                .map(|c| c.row.actual.clone()),
            checked: checked.iter().map(|c| c.at).max().map(clock),
            verify: by_region(&checked),
            info: p,
            versions: versions
                .iter()
                .map(|(_, r)| VersionRow {
                    version: r.version.clone(),
                    id: r.id.to_string(),
                    state: r.state.name(),
                    regions: view::regions(r),
                    age: span(seen.now - r.entered_at),
                })
                .collect(),
        });
    }
    page(&ProductsPage {
        frame: Frame::new(&app.keys, &seen.caller, seen.now, false, q),
        products,
        may_act: seen.caller.may_act(),
    })
}
