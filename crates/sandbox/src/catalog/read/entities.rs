//! ListEntities: the caller's entities of one type, narrowed by the legacy `FilterList` and by
//! the `EntityTypeFilters` union (AMI product filters here, offer filters in `offers`), sorted
//! by `Sort` or the `EntityTypeSort` union, paginated, and summarised. Summary members without a
//! value are left out rather than sent empty (an untitled draft has no `Name`), as the model's
//! `EntitySummary` constrains `Name` to at least one character
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_ListEntities.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_EntitySummary.html>).

use serde_json::{Value, json};

use super::super::validation;
use super::offers::{self, title};
use super::page;
use crate::ec2::Ctx;
use crate::error::AwsResult;
use crate::protocol::json::strings;
use crate::world::World;
use crate::world::catalog::Entity;

/// ListEntities.
pub fn list_entities(world: &World, ctx: &Ctx, body: &Value) -> AwsResult<Value> {
    let kind = body["EntityType"].as_str().unwrap_or("");
    let mut items: Vec<&Entity> = world
        .catalog
        .entities
        .values()
        .filter(|e| e.owner == ctx.account() && e.kind == kind)
        .collect();
    legacy_filters(&mut items, body)?;
    if let Some(union) = body["EntityTypeFilters"].as_object() {
        let [(member, filters)] = union.iter().collect::<Vec<_>>()[..] else {
            return Err(validation(
                "EntityTypeFilters is a union: set exactly one member",
            ));
        };
        if member == "OfferFilters" {
            offers::filter(&mut items, filters)?;
        } else {
            product_filters(&mut items, filters);
        }
    }
    sort(&mut items, body);
    let (start, end) = page(body, 20, 50, items.len())?;
    let list: Vec<Value> = items[start..end].iter().map(|e| summary(e)).collect();
    let mut out = json!({ "EntitySummaryList": list });
    if end < items.len() {
        out["NextToken"] = json!(format!("sbx-{end}"));
    }
    Ok(out)
}

fn product_visibility(e: &Entity) -> Option<String> {
    e.doc["Description"]["Visibility"]
        .as_str()
        .map(str::to_owned)
}

fn legacy_filters(items: &mut Vec<&Entity>, body: &Value) -> AwsResult<()> {
    for f in body["FilterList"].as_array().into_iter().flatten() {
        let values = strings(&f["ValueList"]);
        let has = |v: Option<String>| v.is_some_and(|v| values.contains(&v));
        match f["Name"].as_str().unwrap_or("") {
            "EntityId" => items.retain(|e| values.contains(&e.id)),
            "Name" | "ProductTitle" => items.retain(|e| has(title(e))),
            "Visibility" => items.retain(|e| has(product_visibility(e))),
            other => return Err(validation(format!("Filter name '{other}' is not valid"))),
        }
    }
    Ok(())
}

/// The AMI product filters: `EntityId`, `ProductTitle` (values or wildcard), `Visibility` and
/// `LastModifiedDate`.
fn product_filters(items: &mut Vec<&Entity>, f: &Value) {
    if f["EntityId"].is_object() {
        let v = strings(&f["EntityId"]["ValueList"]);
        items.retain(|e| v.contains(&e.id));
    }
    if let Some(w) = f["ProductTitle"]["WildCardValue"].as_str() {
        items.retain(|e| title(e).is_some_and(|t| t.contains(w)));
    } else if f["ProductTitle"].is_object() {
        let v = strings(&f["ProductTitle"]["ValueList"]);
        items.retain(|e| title(e).is_some_and(|t| v.contains(&t)));
    }
    if f["Visibility"].is_object() {
        let v = strings(&f["Visibility"]["ValueList"]);
        items.retain(|e| product_visibility(e).is_some_and(|x| v.contains(&x)));
    }
    let range = &f["LastModifiedDate"]["DateRange"];
    if let Some(after) = range["AfterValue"].as_str() {
        items.retain(|e| e.last_modified.as_str() >= after);
    }
    if let Some(before) = range["BeforeValue"].as_str() {
        items.retain(|e| e.last_modified.as_str() <= before);
    }
}

fn sort(items: &mut [&Entity], body: &Value) {
    let sort = body["EntityTypeSort"]
        .as_object()
        .and_then(|o| o.values().next().cloned())
        .unwrap_or_else(|| body["Sort"].clone());
    let by = sort["SortBy"].as_str().unwrap_or("LastModifiedDate");
    let key = |e: &Entity| -> String {
        match (e.kind.as_str(), by) {
            ("Offer", _) => offers::sort_key(e, by),
            (_, "EntityId") => e.id.clone(),
            (_, "ProductTitle" | "Name") => title(e).unwrap_or_default(),
            (_, "Visibility") => product_visibility(e).unwrap_or_default(),
            _ => e.last_modified.clone(),
        }
    };
    items.sort_by(|a, b| key(a).cmp(&key(b)).then(a.id.cmp(&b.id)));
    if sort["SortOrder"].as_str().unwrap_or("DESCENDING") == "DESCENDING" {
        items.reverse();
    }
}

fn summary(e: &Entity) -> Value {
    let mut s = json!({
        "EntityType": e.kind, "EntityId": e.id, "EntityArn": e.arn(),
        "LastModifiedDate": e.last_modified,
    });
    if let Some(t) = title(e) {
        s["Name"] = json!(t);
    }
    if e.kind == "Offer" {
        if let Some(v) = offers::visibility(e) {
            s["Visibility"] = json!(v);
        }
        s["OfferSummary"] = offers::summary(e);
        return s;
    }
    let mut product = json!({});
    if let Some(t) = title(e) {
        product["ProductTitle"] = json!(t);
    }
    if let Some(v) = product_visibility(e) {
        s["Visibility"] = json!(v);
        product["Visibility"] = json!(v);
    }
    s["AmiProductSummary"] = product;
    s
}
