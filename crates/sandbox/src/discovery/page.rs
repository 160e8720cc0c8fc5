//! Pagination tokens of the Discovery API: opaque to callers (hex, within the model's
//! `[a-zA-Z0-9+/=]+`), each naming the product it pages through, where the next page starts and
//! when it was issued. A token of another product, one that does not decode, or one older than
//! 24 hours is refused with `ValidationException` reason `INVALID_PAGINATION_TOKEN` (the model's
//! `nextToken` and `ValidationExceptionReason` documentation,
//! <https://docs.aws.amazon.com/marketplace/latest/APIReference/API_marketplace-discovery_ListFulfillmentOptions.html>).

use super::validation;
use crate::error::AwsResult;

/// A token stops working a day after it was issued.
const TOKEN_LIFETIME_SECS: f64 = 86_400.0;

/// The token of the page of `product` starting at `start`, issued at virtual second `now`.
pub fn token(product: &str, start: usize, now: f64) -> String {
    let plain = format!("{product}|{start}|{}", now.floor() as i64);
    plain.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Where the page a token names starts, if the token is valid for `product` at `now`.
pub fn start_of(token: &str, product: &str, now: f64) -> AwsResult<usize> {
    let invalid = || {
        validation(
            "INVALID_PAGINATION_TOKEN",
            "The nextToken is malformed, expired or belongs to another request; start again from the first page.",
        )
    };
    let plain = decode(token).ok_or_else(invalid)?;
    let mut parts = plain.split('|');
    let (Some(p), Some(start), Some(issued), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let start: usize = start.parse().map_err(|_| invalid())?;
    let issued: f64 = issued.parse::<i64>().map_err(|_| invalid())? as f64;
    if p != product || now - issued > TOKEN_LIFETIME_SECS {
        return Err(invalid());
    }
    Ok(start)
}

fn decode(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_for_its_product_only() {
        let t = token("prod-abc", 25, 100.0);
        assert!(t.chars().all(|c| c.is_ascii_hexdigit()), "{t}");
        assert_eq!(start_of(&t, "prod-abc", 200.0).ok(), Some(25));
        assert!(start_of(&t, "prod-xyz", 200.0).is_err());
        assert!(start_of("zz", "prod-abc", 200.0).is_err());
        assert!(start_of("abc", "prod-abc", 200.0).is_err());
    }

    #[test]
    fn a_token_expires_after_a_day() {
        let t = token("prod-abc", 1, 0.0);
        assert!(start_of(&t, "prod-abc", 86_400.0).is_ok());
        let e = start_of(&t, "prod-abc", 86_401.0).err();
        assert_eq!(
            e.and_then(|e| e.reason).as_deref(),
            Some("INVALID_PAGINATION_TOKEN")
        );
    }
}
