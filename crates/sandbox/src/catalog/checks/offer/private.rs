//! The rules that depend on whether an offer is private: an offer whose targeting names buyer
//! accounts is a private offer, one without is a public offer. Private offers take buyer
//! accounts (1-26 account ids, fixed once released), an availability end date (required to
//! release one, in the future while it is a draft; a past date on a released offer expires it),
//! validity terms and a payment schedule; public offers take none of the last three, and a
//! product has at most one released public offer. Sources: "Work with private offers"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>),
//! the AWS example that expires a private offer
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/marketplace-catalog_example_marketplace-catalog_ExpirePrivateOffer_section.html>)
//! and the `OfferSummary` limit of 26 buyer accounts
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/API_OfferSummary.html>).

use chrono::NaiveDate;
use serde_json::Value;

use super::super::{Ctx, Errors, strings};
use super::product_of;

/// Most buyer accounts a private offer targets.
const BUYER_ACCOUNTS_MAX: usize = 26;

/// What an offer will be if its change set applies.
struct Offer {
    buyers: Vec<String>,
    released: bool,
    end_date: Option<String>,
}

impl Offer {
    fn private(&self) -> bool {
        !self.buyers.is_empty()
    }
}

fn rule<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    doc["Rules"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["Type"] == kind))
        .unwrap_or(&Value::Null)
}

/// The offer `id` as its current document and the changes of the set make it.
fn project(ctx: &Ctx, id: &str) -> Offer {
    let doc = ctx
        .world
        .catalog
        .entities
        .get(id)
        .map_or(&Value::Null, |e| &e.doc);
    let mut o = Offer {
        buyers: strings(&rule(doc, "TargetingRule")["PositiveTargeting"]["BuyerAccounts"]),
        released: doc["State"] == "Released",
        end_date: rule(doc, "AvailabilityRule")["AvailabilityEndDate"]
            .as_str()
            .map(str::to_owned),
    };
    for c in ctx
        .cs
        .changes
        .iter()
        .filter(|c| c.entity_id.as_deref() == Some(id))
    {
        match c.change_type.as_str() {
            "UpdateTargeting" => {
                o.buyers = strings(&c.details["PositiveTargeting"]["BuyerAccounts"]);
            }
            "UpdateAvailability" => {
                o.end_date = c.details["AvailabilityEndDate"].as_str().map(str::to_owned);
            }
            _ => {}
        }
    }
    o
}

/// A calendar date `YYYY-MM-DD`.
fn date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10)
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// UpdateTargeting's buyer accounts: 1-26 distinct 12-digit ids, unchanged once released.
pub(super) fn buyer_accounts(ctx: &Ctx, errs: &mut Errors) {
    let given = &ctx.details()["PositiveTargeting"]["BuyerAccounts"];
    if given.is_null() {
        return;
    }
    let accounts = strings(given);
    let mut unique = accounts.clone();
    unique.sort();
    unique.dedup();
    if accounts.is_empty()
        || accounts.len() > BUYER_ACCOUNTS_MAX
        || unique.len() != accounts.len()
        || accounts
            .iter()
            .any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        errs.push(
            "INVALID_INPUT",
            "BuyerAccounts must hold 1-26 distinct 12-digit AWS account ids.",
        );
    }
    let released = ctx
        .world
        .catalog
        .entities
        .get(&ctx.entity)
        .filter(|e| e.doc["State"] == "Released");
    if let Some(e) = released
        && strings(&rule(&e.doc, "TargetingRule")["PositiveTargeting"]["BuyerAccounts"]) != accounts
    {
        errs.push(
            "INVALID_INPUT",
            "Buyer accounts cannot be added or removed after the offer is released.",
        );
    }
}

/// UpdateAvailability: a calendar date, only on private offers, in the future unless the offer
/// is already released (then a past date expires it).
pub(super) fn availability(ctx: &Ctx, errs: &mut Errors) {
    let given = ctx.details()["AvailabilityEndDate"].as_str().unwrap_or("");
    let Some(end) = date(given) else {
        errs.push(
            "INVALID_AVAILABILITY_END_DATE",
            format!("AvailabilityEndDate '{given}' is not a date in the form YYYY-MM-DD."),
        );
        return;
    };
    let o = project(ctx, &ctx.entity);
    if !o.private() {
        errs.push(
            "INVALID_AVAILABILITY_END_DATE",
            "AvailabilityEndDate isn't supported for public offers.",
        );
    } else if !o.released && end < ctx.world.clock.now().date_naive() {
        errs.push(
            "INVALID_AVAILABILITY_END_DATE",
            "AvailabilityEndDate must be a future date.",
        );
    }
}

/// UpdateValidityTerms: one ValidityTerm with an `AgreementDuration` or an `AgreementEndDate`
/// (and optional `AgreementStartDate`), only on private offers.
pub(super) fn validity(ctx: &Ctx, errs: &mut Errors) {
    if !project(ctx, &ctx.entity).private() {
        errs.push(
            "INVALID_INPUT",
            "ValidityTerm isn't supported for public offers.",
        );
        return;
    }
    let terms = ctx.details()["Terms"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let ok = match terms {
        [t] => {
            let duration = t["AgreementDuration"].as_str().is_some_and(duration_ok);
            let end = t["AgreementEndDate"].as_str().and_then(date);
            let start = &t["AgreementStartDate"];
            t["Type"] == "ValidityTerm"
                && (duration != end.is_some())
                && (start.is_null()
                    || matches!((start.as_str().and_then(date), end), (Some(s), Some(e)) if s < e))
        }
        _ => false,
    };
    if !ok {
        errs.push(
            "INVALID_INPUT",
            "Provide one ValidityTerm with either AgreementDuration (such as P12M) or AgreementEndDate (YYYY-MM-DD, after any AgreementStartDate).",
        );
    }
}

/// An ISO 8601 duration of whole days, months or years (`P650D`, `P12M`, `P1Y`).
fn duration_ok(d: &str) -> bool {
    d.strip_prefix('P')
        .and_then(|r| r.strip_suffix(['D', 'M', 'Y']))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && n != "0")
}

/// UpdatePaymentScheduleTerms: at most one PaymentScheduleTerm in USD whose installments have
/// increasing `ChargeDate`s and non-negative `ChargeAmount`s, only on private offers.
pub(super) fn payment_schedule(ctx: &Ctx, errs: &mut Errors) {
    if !project(ctx, &ctx.entity).private() {
        errs.push(
            "INVALID_INPUT",
            "PaymentScheduleTerm isn't supported for public offers.",
        );
        return;
    }
    let terms = ctx.details()["Terms"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let ok = match terms {
        [] => true,
        [t] => t["Type"] == "PaymentScheduleTerm" && t["CurrencyCode"] == "USD" && schedule_ok(t),
        _ => false,
    };
    if !ok {
        errs.push(
            "INVALID_INPUT",
            "Provide one PaymentScheduleTerm in USD whose Schedule lists installments with increasing ChargeDate (YYYY-MM-DD) and a ChargeAmount of at most 3 decimals.",
        );
    }
}

fn schedule_ok(t: &Value) -> bool {
    let items = t["Schedule"].as_array().map_or(&[][..], Vec::as_slice);
    let dates: Vec<Option<NaiveDate>> = items
        .iter()
        .map(|i| i["ChargeDate"].as_str().and_then(date))
        .collect();
    !items.is_empty()
        && dates.iter().all(Option::is_some)
        && dates.windows(2).all(|w| w[0] < w[1])
        && items
            .iter()
            .all(|i| i["ChargeAmount"].as_str().is_some_and(amount_ok))
}

/// A non-negative amount with at most 3 decimals.
fn amount_ok(a: &str) -> bool {
    let (whole, frac) = a.split_once('.').unwrap_or((a, ""));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 3
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// ReleaseOffer of a private offer needs its availability end date.
pub(super) fn release_end_date(ctx: &Ctx, errs: &mut Errors) {
    let o = project(ctx, &ctx.entity);
    if o.private() && o.end_date.is_none() {
        errs.push(
            "MISSING_AVAILABILITY_END_DATE",
            "Provide an AvailabilityEndDate (UpdateAvailability) before releasing a private offer.",
        );
    }
}

/// ReleaseOffer of a public offer: the product has no other released public offer.
pub(super) fn release_single_public(ctx: &Ctx, errs: &mut Errors) {
    let offer_id = &ctx.entity;
    if project(ctx, offer_id).private() {
        return;
    }
    let product = product_of(ctx, offer_id).unwrap_or_default();
    let others = ctx.world.catalog.entities.values().any(|e| {
        e.kind == "Offer"
            && e.id != *offer_id
            && e.doc["ProductId"] == product.as_str()
            && e.doc["State"] == "Released"
            && strings(&rule(&e.doc, "TargetingRule")["PositiveTargeting"]["BuyerAccounts"])
                .is_empty()
    });
    if others {
        errs.push(
            "TOO_MANY_OFFERS",
            format!("{product} already has a released public offer."),
        );
    }
}
