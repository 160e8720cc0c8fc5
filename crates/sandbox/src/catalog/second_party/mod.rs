//! The Marketplace's side of the second-party ("provided by AWS") path. A seller clones its AMI
//! into every Region of its own account, shares each clone and its snapshots with the Marketplace
//! accounts, fills the load form's "New AMI Version " sheet, and a person attaches it to a ticket
//! in the second-party queue; the catalog team checks it and publishes (about 4 days), after which
//! the Marketplace owns one copy per Region, as after a self-service change set.
//!
//! Here a ticket is submitted, processed (`checks`) and, once accepted and its delay has passed,
//! published (`version`); `workbook` reads the attachment. The routes are the admin API's
//! `/_sandbox/marketplace/forms…` (see the table in `admin`).

pub mod checks;
pub mod version;
pub mod workbook;

use serde_json::{Value, json};

pub use version::tick;

use super::stamp;
use crate::world::World;
use crate::world::forms::{Form, FormRow, Ticket, TicketStatus};

/// The routes' common prefix.
pub const FORMS: &str = "/_sandbox/marketplace/forms";

/// An admin answer: JSON, or an HTTP status and a message.
type AdminResult = Result<Value, (u16, String)>;

/// Handles one `/_sandbox/marketplace/forms…` request (`path` without a trailing `/`). The
/// caller makes due publications first (`catalog::lifecycle::tick`).
pub fn admin(
    world: &mut World,
    method: &str,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> AdminResult {
    let rest = path.strip_prefix(FORMS).unwrap_or(path);
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match (method, parts.as_slice()) {
        ("POST", []) => submit(world, query, body),
        ("GET", []) => {
            let list: Vec<Value> = world
                .catalog
                .forms
                .values()
                .map(|t| view(world, t))
                .collect();
            Ok(json!({ "tickets": list }))
        }
        ("GET", [id]) => find(world, id).map(|t| view(world, t)),
        ("POST", [id, "process"]) => process(world, id),
        _ => Err((
            404,
            format!(
                "no admin route {method} {path}; see the table in the sandbox's admin module docs"
            ),
        )),
    }
}

fn find<'w>(world: &'w World, id: &str) -> Result<&'w Ticket, (u16, String)> {
    world
        .catalog
        .forms
        .get(id)
        .ok_or_else(|| (404, format!("no load-form ticket {id}")))
}

/// Opens a ticket with the workbook in `body`; `submitted_by` and `ticket_url` come from the
/// query string.
fn submit(world: &mut World, query: Option<&str>, body: &[u8]) -> AdminResult {
    if body.is_empty() {
        return Err((
            400,
            "attach the workbook: POST the filled load form's .xlsx bytes as the body".to_owned(),
        ));
    }
    let max = world.config.max_body_bytes;
    if body.len() > max {
        return Err((
            413,
            format!(
                "the workbook is larger than max_body_bytes ({max}); raise it with POST /_sandbox/config"
            ),
        ));
    }
    let param = |name: &str| {
        form_urlencoded::parse(query.unwrap_or("").as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (form, unreadable) = match workbook::read(body) {
        Ok(f) => (Some(f), None),
        Err(reason) => (None, Some(reason)),
    };
    let id = format!("2p-{:06}", world.catalog.forms.len() + 1);
    let ticket = Ticket {
        id: id.clone(),
        status: TicketStatus::Submitted,
        submitted_by: param("submitted_by"),
        ticket_url: param("ticket_url"),
        submitted: world.clock.elapsed(),
        form,
        unreadable,
        reason: None,
        processed: None,
        publish_at: None,
    };
    world.catalog.forms.insert(id.clone(), ticket);
    if world.config.second_party_auto_process {
        return process(world, &id);
    }
    find(world, &id).map(|t| view(world, t))
}

/// Checks a submitted form now and accepts or rejects it; a ticket already processed is answered
/// as it stands.
fn process(world: &mut World, id: &str) -> AdminResult {
    let ticket = find(world, id)?.clone();
    if ticket.status == TicketStatus::Submitted {
        let now = world.clock.elapsed();
        let verdict = match &ticket.form {
            Some(form) => check_form(world, form, id, now),
            None => Err(ticket
                .unreadable
                .clone()
                .unwrap_or_else(|| "the attachment could not be read".to_owned())),
        };
        let delay = world.config.second_party_publish_delay_seconds.max(0.0);
        if let Some(t) = world.catalog.forms.get_mut(id) {
            t.processed = Some(now);
            match verdict {
                Ok(()) => {
                    t.status = TicketStatus::Accepted;
                    t.publish_at = Some(now + delay);
                }
                Err(reason) => {
                    t.status = TicketStatus::Rejected;
                    t.reason = Some(reason);
                }
            }
        }
    }
    find(world, id).map(|t| view(world, t))
}

/// Every problem of every row, as one reason; `Ok` when there is none.
fn check_form(world: &World, form: &Form, ticket: &str, now: f64) -> Result<(), String> {
    let mut pending: Vec<(String, String)> = world
        .catalog
        .forms
        .values()
        .filter(|t| t.status == TicketStatus::Accepted && t.id != ticket)
        .flat_map(|t| t.form.iter().flat_map(|f| f.rows.iter()))
        .filter_map(|r| {
            Some((
                checks::product_id(&r.product)?.to_owned(),
                r.version_title.clone(),
            ))
        })
        .collect();
    let mut problems = Vec::new();
    for row in &form.rows {
        let check = checks::Check {
            world,
            form,
            row,
            now,
            pending: &pending,
        };
        problems.extend(checks::row_problems(&check));
        if let Some(id) = checks::product_id(&row.product) {
            pending.push((id.to_owned(), row.version_title.clone()));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} problem(s) in sheet \"{}\": {}",
        problems.len(),
        form.sheet,
        problems.join("; ")
    ))
}

/// The admin API's picture of a ticket; `product`, `version` and `regions` are its first row's,
/// `versions` lists every row.
fn view(world: &World, t: &Ticket) -> Value {
    let rows: &[FormRow] = t.form.as_ref().map_or(&[], |f| f.rows.as_slice());
    let versions: Vec<Value> = rows.iter().map(row_view).collect();
    let first = versions.first().cloned().unwrap_or(Value::Null);
    json!({
        "ticket": t.id,
        "status": t.status.as_str(),
        "reason": t.reason,
        "product": first["product"],
        "version": first["version"],
        "regions": if first.is_null() { json!([]) } else { first["regions"].clone() },
        "versions": versions,
        "submitted_by": t.submitted_by,
        "ticket_url": t.ticket_url,
        "submitted_at": stamp(world, t.submitted),
        "processed_at": t.processed.map(|s| stamp(world, s)),
        "publish_at": t.publish_at.map(|s| stamp(world, s)),
    })
}

fn row_view(r: &FormRow) -> Value {
    let product = checks::product_id(&r.product).unwrap_or(&r.product);
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    json!({
        "row": r.row,
        "product": nonempty(product),
        "version": nonempty(&r.version_title),
        "regions": r.clones.iter().map(|(region, _)| region).collect::<Vec<_>>(),
        "clones": r.clones.iter().map(|(region, ami)| json!({ "region": region, "ami": ami })).collect::<Vec<_>>(),
    })
}
