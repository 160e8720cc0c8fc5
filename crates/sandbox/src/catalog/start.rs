//! StartChangeSet: the synchronous part. Shape and enum checks, change types per entity type,
//! `Details`/`DetailsDocument` exclusivity, `$Name.Entity.Identifier` references, entity
//! existence and revisions, entity locks (423 naming the holding change set), `Intent=VALIDATE`,
//! and `ClientRequestToken` idempotency. Accepted change sets start PREPARING.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{not_found, validation};
use crate::ec2::Ctx;
use crate::error::{AwsError, AwsResult};
use crate::world::World;
use crate::world::catalog::{Change, ChangeSet};

/// Most open change sets an account may have (AWS does not publish the number).
pub const MAX_OPEN_CHANGE_SETS: usize = 50;

/// (entity type, change type, allowed top-level keys, required keys). `None` for keys: the
/// document is an array.
type Shape = (
    &'static str,
    &'static str,
    Option<&'static [&'static str]>,
    &'static [&'static str],
);

const SHAPES: &[Shape] = &[
    (
        "AmiProduct@1.0",
        "CreateProduct",
        Some(&["ProductTitle"]),
        &[],
    ),
    (
        "AmiProduct@1.0",
        "UpdateInformation",
        Some(&[
            "ProductTitle",
            "ShortDescription",
            "LongDescription",
            "Sku",
            "LogoUrl",
            "VideoUrls",
            "Highlights",
            "AdditionalResources",
            "SupportDescription",
            "Categories",
            "SearchKeywords",
            "AssociatedProducts",
        ]),
        &[],
    ),
    (
        "AmiProduct@1.0",
        "AddDeliveryOptions",
        Some(&["Version", "DeliveryOptions"]),
        &["Version", "DeliveryOptions"],
    ),
    (
        "AmiProduct@1.0",
        "UpdateDeliveryOptions",
        Some(&["Version", "DeliveryOptions"]),
        &[],
    ),
    (
        "AmiProduct@1.0",
        "RestrictDeliveryOptions",
        Some(&["DeliveryOptionIds"]),
        &["DeliveryOptionIds"],
    ),
    (
        "AmiProduct@1.0",
        "AddRegions",
        Some(&["Regions"]),
        &["Regions"],
    ),
    (
        "AmiProduct@1.0",
        "RestrictRegions",
        Some(&["Regions"]),
        &["Regions"],
    ),
    (
        "AmiProduct@1.0",
        "UpdateFutureRegionSupport",
        Some(&["FutureRegionSupport"]),
        &["FutureRegionSupport"],
    ),
    (
        "AmiProduct@1.0",
        "AddInstanceTypes",
        Some(&["InstanceTypes"]),
        &["InstanceTypes"],
    ),
    (
        "AmiProduct@1.0",
        "RestrictInstanceTypes",
        Some(&["InstanceTypes"]),
        &["InstanceTypes"],
    ),
    ("AmiProduct@1.0", "AddDimensions", None, &[]),
    ("AmiProduct@1.0", "UpdateDimensions", None, &[]),
    ("AmiProduct@1.0", "RestrictDimensions", None, &[]),
    (
        "AmiProduct@1.0",
        "UpdateTargeting",
        Some(&["PositiveTargeting"]),
        &["PositiveTargeting"],
    ),
    (
        "AmiProduct@1.0",
        "UpdateVisibility",
        Some(&["TargetVisibility", "ReplacementProductId"]),
        &["TargetVisibility"],
    ),
    ("AmiProduct@1.0", "ReleaseProduct", Some(&[]), &[]),
    (
        "Offer@1.0",
        "CreateOffer",
        Some(&["ProductId", "Name", "OfferSetId"]),
        &["ProductId"],
    ),
    (
        "Offer@1.0",
        "UpdateInformation",
        Some(&["Name", "Description", "PreExistingAgreement"]),
        &[],
    ),
    (
        "Offer@1.0",
        "UpdatePricingTerms",
        Some(&["PricingModel", "Terms"]),
        &["Terms"],
    ),
    (
        "Offer@1.0",
        "UpdateLegalTerms",
        Some(&["Terms"]),
        &["Terms"],
    ),
    (
        "Offer@1.0",
        "UpdateSupportTerms",
        Some(&["Terms"]),
        &["Terms"],
    ),
    (
        "Offer@1.0",
        "UpdateTargeting",
        Some(&["PositiveTargeting", "NegativeTargeting"]),
        &[],
    ),
    (
        "Offer@1.0",
        "UpdateAvailability",
        Some(&["AvailabilityEndDate"]),
        &["AvailabilityEndDate"],
    ),
    (
        "Offer@1.0",
        "UpdateValidityTerms",
        Some(&["Terms"]),
        &["Terms"],
    ),
    (
        "Offer@1.0",
        "UpdateRenewalTerms",
        Some(&["Terms"]),
        &["Terms"],
    ),
    ("Offer@1.0", "ReleaseOffer", Some(&[]), &[]),
];

fn shape(entity_type: &str, change_type: &str) -> Option<&'static Shape> {
    SHAPES
        .iter()
        .find(|(e, c, _, _)| *e == entity_type && *c == change_type)
}

/// StartChangeSet.
pub fn start_change_set(world: &mut World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let account = ctx.account().to_owned();
    let raw = body["ChangeSet"].as_array().ok_or_else(|| validation("1 validation error detected: Value null at 'changeSet' failed to satisfy constraint: Member must not be null"))?;
    if raw.is_empty() || raw.len() > 20 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'changeSet' failed to satisfy constraint: Member must have length between 1 and 20 (it has {})",
            raw.len()
        )));
    }
    let name = match body["ChangeSetName"].as_str() {
        Some(n) => {
            let ok = !n.is_empty()
                && n.chars().count() <= 100
                && n.chars().all(|c| {
                    c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=.:@-".contains(c)
                });
            if !ok {
                return Err(validation(format!(
                    "ChangeSetName '{n}' must be 1-100 characters of letters, digits, spaces and _+=.:@-"
                )));
            }
            n.to_owned()
        }
        None => format!("Submitted by {account}"),
    };
    let intent = body["Intent"].as_str().unwrap_or("APPLY").to_owned();
    if !matches!(intent.as_str(), "APPLY" | "VALIDATE") {
        return Err(validation(format!(
            "Intent '{intent}' must be APPLY or VALIDATE"
        )));
    }
    let token = body["ClientRequestToken"].as_str().map(str::to_owned);
    if let Some(t) = &token
        && (t.is_empty() || t.len() > 64 || !t.bytes().all(|b| (b'!'..=b'~').contains(&b)))
    {
        return Err(validation(
            "ClientRequestToken must be 1-64 printable ASCII characters without spaces",
        ));
    }
    let fingerprint = json!({ "c": body["ChangeSet"], "i": intent, "n": name }).to_string();
    if let Some(t) = &token
        && let Some((id, fp)) = world.catalog.tokens.get(&format!("{account}/{t}"))
    {
        if *fp == fingerprint {
            let arn = world
                .catalog
                .change_sets
                .get(id)
                .map(ChangeSet::arn)
                .unwrap_or_default();
            return Ok(json!({ "ChangeSetId": id, "ChangeSetArn": arn }));
        }
        return Err(validation(format!(
            "ClientRequestToken '{t}' was already used for a different request (change set {id}); use a new token for a new request"
        )));
    }

    let mut changes = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (i, c) in raw.iter().enumerate() {
        let change = parse_change(i, c)?;
        if let Some(n) = &change.change_name
            && names
                .insert(n.clone(), change.change_type.clone())
                .is_some()
        {
            return Err(validation(format!(
                "ChangeName '{n}' is used by more than one change"
            )));
        }
        changes.push(change);
    }
    let mut locked = BTreeSet::new();
    let mut targets = BTreeSet::new();
    for c in &mut changes {
        match c.identifier.clone() {
            None => {}
            Some(r) if r.starts_with('$') => {
                let referenced = r
                    .strip_prefix('$')
                    .and_then(|x| x.strip_suffix(".Entity.Identifier"))
                    .unwrap_or("");
                let ok = names
                    .get(referenced)
                    .is_some_and(|t| t.starts_with("Create"));
                if !ok {
                    return Err(validation(format!(
                        "Entity identifier '{r}' does not reference a Create change of this change set"
                    )));
                }
            }
            Some(id) => {
                let (bare, rev) = match id.split_once('@') {
                    Some((b, r)) => (b.to_owned(), Some(r.to_owned())),
                    None => (id.clone(), None),
                };
                let entity = world.catalog.entities.get(&bare).ok_or_else(|| {
                    not_found(format!(
                        "Entity {bare} of type {} was not found",
                        c.entity_type
                    ))
                })?;
                if entity.owner != account {
                    return Err(AwsError::new(
                        403,
                        "AccessDeniedException",
                        format!("User is not authorized to modify entity {bare}"),
                    ));
                }
                if entity.entity_type() != c.entity_type {
                    return Err(validation(format!(
                        "Entity {bare} is of type {}, not {}",
                        entity.entity_type(),
                        c.entity_type
                    )));
                }
                if let Some(r) = rev
                    && r != entity.revision.to_string()
                {
                    return Err(validation(format!(
                        "Entity {bare}@{r} is not the latest revision; the latest revision is {}",
                        entity.revision
                    )));
                }
                c.entity_id = Some(bare.clone());
                locked.insert(bare);
            }
        }
        let target = c
            .entity_id
            .clone()
            .or(c.identifier.clone())
            .unwrap_or_else(|| format!("new-{:?}", c.change_name));
        if !c.change_type.starts_with("Create")
            && !targets.insert((c.change_type.clone(), target.clone()))
        {
            return Err(validation(format!(
                "Change type {} appears more than once for entity {target}",
                c.change_type
            )));
        }
    }
    // References inside documents (CreateOffer's ProductId, for example).
    for c in &changes {
        for r in references(&c.details) {
            if !names.get(&r).is_some_and(|t| t.starts_with("Create")) {
                return Err(validation(format!(
                    "'${r}.Entity.Identifier' does not reference a Create change of this change set"
                )));
            }
        }
        if let Some(pid) = c.details["ProductId"]
            .as_str()
            .filter(|p| !p.starts_with('$'))
        {
            match world.catalog.entities.get(pid) {
                None => return Err(not_found(format!("Product {pid} was not found"))),
                Some(e) if e.owner != account => {
                    return Err(AwsError::new(
                        403,
                        "AccessDeniedException",
                        format!("User is not authorized to make offers on {pid}"),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    if intent == "VALIDATE"
        && changes
            .iter()
            .any(|c| c.change_type != "AddDeliveryOptions")
    {
        return Err(validation(
            "Intent VALIDATE is supported only for AddDeliveryOptions changes",
        ));
    }
    let holders: Vec<(String, String)> = locked
        .iter()
        .filter_map(|e| {
            world
                .catalog
                .change_sets
                .values()
                .find(|cs| cs.open() && cs.locked.contains(e))
                .map(|cs| (e.clone(), cs.id.clone()))
        })
        .collect();
    if let Some((entity, holder)) = holders.first() {
        return Err(AwsError::new(
            423,
            "ResourceInUseException",
            format!(
                "Requested change set has entities locked by change sets - entity: '{entity}' change sets: '{holder}'."
            ),
        ));
    }
    let open = world
        .catalog
        .change_sets
        .values()
        .filter(|c| c.account == account && c.open())
        .count();
    if open >= MAX_OPEN_CHANGE_SETS {
        return Err(AwsError::new(
            402,
            "ServiceQuotaExceededException",
            "The maximum number of open requests per account has been exceeded.",
        ));
    }
    let tags: BTreeMap<String, String> = body["ChangeSetTags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| {
                    Some((
                        t["Key"].as_str()?.to_owned(),
                        t["Value"].as_str().unwrap_or("").to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();

    let id = world.ids.alnum(25);
    let now = ctx.now;
    let cs = ChangeSet {
        id: id.clone(),
        account: account.clone(),
        name,
        intent,
        status: "PREPARING".to_owned(),
        started: now,
        next_at: now + world.config.catalog_prepare_seconds,
        ended: None,
        failure_code: None,
        failure_description: None,
        changes,
        locked: locked.into_iter().collect(),
        tags,
    };
    let arn = cs.arn();
    if !cs.tags.is_empty() {
        world.catalog.tags.insert(arn.clone(), cs.tags.clone());
    }
    world.catalog.change_sets.insert(id.clone(), cs);
    if let Some(t) = token {
        world
            .catalog
            .tokens
            .insert(format!("{account}/{t}"), (id.clone(), fingerprint));
    }
    Ok(json!({ "ChangeSetId": id, "ChangeSetArn": arn }))
}

fn parse_change(i: usize, c: &Value) -> AwsResult<Change> {
    let at = |what: &str| {
        validation(format!(
            "1 validation error detected: Value at 'changeSet.{}.member.{what}' failed to satisfy constraint",
            i + 1
        ))
    };
    let change_type = c["ChangeType"]
        .as_str()
        .filter(|t| {
            t.starts_with(|ch: char| ch.is_ascii_uppercase())
                && t.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
        })
        .ok_or_else(|| at("changeType"))?
        .to_owned();
    let entity_type = c["Entity"]["Type"]
        .as_str()
        .ok_or_else(|| at("entity.type"))?
        .to_owned();
    let identifier = match &c["Entity"]["Identifier"] {
        Value::Null => None,
        Value::String(s) if !s.is_empty() && s.len() <= 255 => Some(s.clone()),
        _ => return Err(at("entity.identifier")),
    };
    let change_name = match &c["ChangeName"] {
        Value::Null => None,
        Value::String(s)
            if !s.is_empty() && s.len() <= 72 && s.chars().all(|ch| ch.is_ascii_alphanumeric()) =>
        {
            Some(s.clone())
        }
        _ => return Err(at("changeName")),
    };
    let details = match (&c["Details"], &c["DetailsDocument"]) {
        (Value::Null, Value::Null) => {
            return Err(validation(format!(
                "Change {} ({change_type}) must have either Details or DetailsDocument",
                i + 1
            )));
        }
        (Value::String(_), d) if !d.is_null() => {
            return Err(validation(format!(
                "Change {} ({change_type}) has both Details and DetailsDocument; use one",
                i + 1
            )));
        }
        (Value::String(s), _) => {
            if s.len() > 16384 {
                return Err(at("details"));
            }
            serde_json::from_str::<Value>(s)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    validation(format!(
                        "Change {} ({change_type}): Details is not a JSON object string",
                        i + 1
                    ))
                })?
        }
        (Value::Null, d) => d.clone(),
        _ => return Err(at("details")),
    };
    if !matches!(entity_type.as_str(), "AmiProduct@1.0" | "Offer@1.0") {
        return Err(validation(format!(
            "Entity type {entity_type} is not supported; use AmiProduct@1.0 or Offer@1.0"
        )));
    }
    let Some((_, _, keys, required)) = shape(&entity_type, &change_type) else {
        return Err(validation(format!(
            "ChangeType {change_type} is not valid for entity type {entity_type}"
        )));
    };
    if change_type.starts_with("Create") != identifier.is_none() {
        return Err(validation(if identifier.is_none() {
            format!(
                "Change {} ({change_type}) must name an entity Identifier",
                i + 1
            )
        } else {
            format!(
                "Change {} ({change_type}) creates an entity and must not have an Identifier",
                i + 1
            )
        }));
    }
    match keys {
        None => {
            if !details.is_array() {
                return Err(validation(format!(
                    "{change_type}: the DetailsDocument must be an array"
                )));
            }
        }
        Some(allowed) => {
            let obj = details.as_object().ok_or_else(|| {
                validation(format!(
                    "{change_type}: the DetailsDocument must be an object"
                ))
            })?;
            if let Some(extra) = obj.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(validation(format!(
                    "{change_type}: No additional properties are allowed ('{extra}' was unexpected)"
                )));
            }
            if let Some(missing) = required
                .iter()
                .find(|k| obj.get(**k).is_none_or(Value::is_null))
            {
                return Err(validation(format!(
                    "{change_type}: '{missing}' is a required property"
                )));
            }
        }
    }
    Ok(Change {
        change_type,
        change_name,
        entity_type,
        identifier,
        entity_id: None,
        details,
        errors: Vec::new(),
    })
}

/// `$Name.Entity.Identifier` references inside a document.
pub fn references(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => s
            .strip_prefix('$')
            .and_then(|x| x.strip_suffix(".Entity.Identifier"))
            .map(|n| vec![n.to_owned()])
            .unwrap_or_default(),
        Value::Array(a) => a.iter().flat_map(references).collect(),
        Value::Object(o) => o.values().flat_map(references).collect(),
        _ => Vec::new(),
    }
}
