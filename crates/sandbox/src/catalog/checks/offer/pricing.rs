//! The rules of UpdatePricingTerms: the pricing model, and the usage rate card (known
//! dimensions, valid USD amounts, all zero under `Free`). The term types and limits are those of
//! the pricing section of "Work with private offers"
//! (<https://docs.aws.amazon.com/marketplace/latest/APIReference/work-with-private-offers.html>).

use std::collections::BTreeSet;

use serde_json::Value;

use super::super::{Ctx, Errors, project};
use super::product_of;

fn model(d: &Value) -> &str {
    d["PricingModel"].as_str().unwrap_or("")
}

pub(super) fn pricing_model(ctx: &Ctx, errs: &mut Errors) {
    let model = model(ctx.details());
    if !matches!(model, "Usage" | "Contract" | "Free" | "Byol") {
        errs.push(
            "INVALID_INPUT",
            format!("PricingModel '{model}' is not one of Usage, Contract, Free, Byol."),
        );
    }
}

pub(super) fn rate_cards(ctx: &Ctx, errs: &mut Errors) {
    let d = ctx.details();
    let product = product_of(ctx, &ctx.entity).unwrap_or_default();
    let dims = project(ctx.world, ctx.cs, &product).dimensions;
    for t in d["Terms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["Type"] == "UsageBasedPricingTerm")
    {
        let card = t["RateCards"][0]["RateCard"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        if card.is_empty() || card.len() > 800 {
            errs.push("INVALID_RATE_CARD", "A rate card holds 1-800 rates.");
        }
        for r in card {
            rate(r, model(d), &dims, errs);
        }
    }
}

fn rate(r: &Value, model: &str, dims: &BTreeSet<String>, errs: &mut Errors) {
    let key = r["DimensionKey"].as_str().unwrap_or("");
    let price = r["Price"].as_str().unwrap_or("x");
    if !dims.contains(key) {
        errs.push(
            "INVALID_RATE_CARD",
            format!("Rate for unknown dimension '{key}'."),
        );
    }
    if !price_ok(price) {
        errs.push(
            "INVALID_RATE_CARD",
            format!("Price '{price}' is not a valid USD amount."),
        );
    } else if model == "Free" && price.parse::<f64>().unwrap_or(1.0) != 0.0 {
        errs.push(
            "INCOMPATIBLE_RATES",
            "Free pricing requires every rate to be 0.",
        );
    }
}

/// A USD amount: up to 9 whole digits and 8 decimals, at most 100,000,000.
fn price_ok(p: &str) -> bool {
    let (w, f) = p.split_once('.').unwrap_or((p, ""));
    !w.is_empty()
        && w.len() <= 9
        && w.bytes().all(|b| b.is_ascii_digit())
        && f.len() <= 8
        && f.bytes().all(|b| b.is_ascii_digit())
        && p.parse::<f64>().is_ok_and(|v| v <= 100_000_000.0)
}
