//! Offers in ListEntities: the `OfferSummary` members (Name, ProductId, ResaleAuthorizationId,
//! ReleaseDate, AvailabilityEndDate, BuyerAccounts, State, Targeting, OfferSetId), the
//! `OfferFilters` and the `OfferSort` keys, all read from the offer's DescribeEntity document
//! (its `Rules`: `TargetingRule` and `AvailabilityRule`). An offer targeted at buyer accounts is
//! a private offer
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferSummary.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferFilters.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferSort.html>,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>).

use serde_json::{Map, Value, json};

use super::super::validation;
use crate::error::AwsResult;
use crate::protocol::json::strings;
use crate::world::catalog::Entity;

/// The length of a `DateTimeISO8601` value (`2018-02-27T13:45:22Z`).
const DATE_TIME_CHARS: usize = 20;

/// An offer's rule of type `kind`.
fn rule<'a>(e: &'a Entity, kind: &str) -> &'a Value {
    e.doc["Rules"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["Type"] == kind))
        .unwrap_or(&Value::Null)
}

fn buyer_accounts(e: &Entity) -> Vec<String> {
    strings(&rule(e, "TargetingRule")["PositiveTargeting"]["BuyerAccounts"])
}

/// The kinds of targeting the offer has (`None` when it has none).
fn targeting(e: &Entity) -> Vec<String> {
    let r = rule(e, "TargetingRule");
    let present = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
    let mut kinds = Vec::new();
    if present(&r["PositiveTargeting"]["BuyerAccounts"]) {
        kinds.push("BuyerAccounts".to_owned());
    }
    if present(&r["PositiveTargeting"]["ParticipatingPrograms"]) {
        kinds.push("ParticipatingPrograms".to_owned());
    }
    if present(&r["PositiveTargeting"]["CountryCodes"])
        || present(&r["NegativeTargeting"]["CountryCodes"])
    {
        kinds.push("CountryCodes".to_owned());
    }
    if kinds.is_empty() {
        kinds.push("None".to_owned());
    }
    kinds
}

/// The `AvailabilityRule` end date (`YYYY-MM-DD`) as a `DateTimeISO8601` at midnight UTC.
fn availability_end(e: &Entity) -> Option<String> {
    rule(e, "AvailabilityRule")["AvailabilityEndDate"]
        .as_str()
        .map(|d| format!("{d}T00:00:00Z"))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The offer's values of a filter or sort key (several for buyer accounts and targeting).
fn values(e: &Entity, key: &str) -> Vec<String> {
    let one = match key {
        "EntityId" => Some(e.id.clone()),
        "Name" => title(e),
        "ProductId" | "ResaleAuthorizationId" | "ReleaseDate" | "State" | "OfferSetId" => {
            text(&e.doc[key])
        }
        "AvailabilityEndDate" => availability_end(e),
        "BuyerAccounts" => return buyer_accounts(e),
        "Targeting" => return targeting(e),
        "LastModifiedDate" => Some(e.last_modified.clone()),
        "CreatedBySource" => Some("Seller".to_owned()),
        _ => None,
    };
    one.into_iter().collect()
}

/// `Private` for an offer targeted at buyer accounts, `Public` for a released one that is not.
pub(super) fn visibility(e: &Entity) -> Option<&'static str> {
    if !buyer_accounts(e).is_empty() {
        Some("Private")
    } else if e.doc["State"] == "Released" {
        Some("Public")
    } else {
        None
    }
}

/// The `OfferSummary` of an offer; members without a value are left out.
pub(super) fn summary(e: &Entity) -> Value {
    let mut s = Map::new();
    for key in [
        "Name",
        "ProductId",
        "ResaleAuthorizationId",
        "ReleaseDate",
        "AvailabilityEndDate",
        "State",
        "OfferSetId",
    ] {
        if let Some(v) = values(e, key).pop() {
            s.insert(key.to_owned(), json!(v));
        }
    }
    let buyers = buyer_accounts(e);
    if !buyers.is_empty() {
        s.insert("BuyerAccounts".to_owned(), json!(buyers));
    }
    s.insert("Targeting".to_owned(), json!(targeting(e)));
    Value::Object(s)
}

/// The sort key of `OfferSort.SortBy` (LastModifiedDate by default).
pub(super) fn sort_key(e: &Entity, by: &str) -> String {
    let v = values(e, by);
    if v.is_empty() && by == "LastModifiedDate" {
        return e.last_modified.clone();
    }
    v.join(",")
}

/// Keeps the offers every member of `OfferFilters` matches: `ValueList` (any of the values),
/// `WildCardValue` (a substring) or `DateRange` (`AfterValue` ≤ value ≤ `BeforeValue`).
pub(super) fn filter(items: &mut Vec<&Entity>, filters: &Value) -> AwsResult<()> {
    let Some(members) = filters.as_object() else {
        return Ok(());
    };
    for (key, f) in members {
        let range = date_range(key, &f["DateRange"])?;
        let listed = f["ValueList"].is_array().then(|| strings(&f["ValueList"]));
        let wildcard = f["WildCardValue"].as_str();
        items.retain(|e| {
            let v = values(e, key);
            listed
                .as_ref()
                .is_none_or(|l| v.iter().any(|x| l.contains(x)))
                && wildcard.is_none_or(|w| v.iter().any(|x| x.contains(w)))
                && range.as_ref().is_none_or(|(after, before)| {
                    v.iter().any(|x| {
                        after.as_deref().is_none_or(|a| x.as_str() >= a)
                            && before.as_deref().is_none_or(|b| x.as_str() <= b)
                    })
                })
        });
    }
    Ok(())
}

/// A `DateRange`'s bounds, each a `DateTimeISO8601` when given.
fn date_range(key: &str, r: &Value) -> AwsResult<Option<(Option<String>, Option<String>)>> {
    if r.is_null() {
        return Ok(None);
    }
    let bound = |name: &str| -> AwsResult<Option<String>> {
        match r[name].as_str() {
            None => Ok(None),
            Some(v) if date_time(v) => Ok(Some(v.to_owned())),
            Some(v) => Err(validation(format!(
                "OfferFilters.{key}.DateRange.{name} '{v}' must be a date and time such as 2018-02-27T13:45:22Z"
            ))),
        }
    };
    Ok(Some((bound("AfterValue")?, bound("BeforeValue")?)))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
fn date_time(v: &str) -> bool {
    v.len() == DATE_TIME_CHARS
        && chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%SZ").is_ok()
}

/// The entity's name: an offer's `Name`, a product's `ProductTitle`; none when unset or empty.
pub(super) fn title(e: &Entity) -> Option<String> {
    let v = if e.kind == "Offer" {
        &e.doc["Name"]
    } else {
        &e.doc["Description"]["ProductTitle"]
    };
    v.as_str().filter(|t| !t.is_empty()).map(str::to_owned)
}
