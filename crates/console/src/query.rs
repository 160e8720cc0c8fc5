//! The list endpoints' query string: `state`, `product`, `limit` and `before` (the cursor a
//! page's `next` gave), checked with an error that names the parameter and what it accepts.

use amipub_store::Filter;

/// The default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page.
pub const MAX_LIMIT: i64 = 500;

/// The filter a query string asks for; `states` are the names `state` may take.
pub fn filter(query: Option<&str>, states: &[&str]) -> Result<Filter, String> {
    let mut f = Filter {
        limit: DEFAULT_LIMIT,
        ..Filter::default()
    };
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        // PostgreSQL's text holds no NUL; the document's pattern says so.
        if value.contains('\0') {
            return Err(format!("{key}: a NUL character is not allowed"));
        }
        match key.as_ref() {
            "state" => {
                if !states.contains(&value.as_ref()) {
                    return Err(format!(
                        "state: {value:?} is not a state; use one of {}",
                        states.join(", ")
                    ));
                }
                f.state = Some(value.into_owned());
            }
            "product" => {
                if value.is_empty() || value.chars().count() > 200 {
                    return Err("product: give a product slug (1 to 200 characters)".into());
                }
                f.product = Some(value.into_owned());
            }
            "limit" => {
                f.limit = match value.parse::<i64>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                    _ => {
                        return Err(format!(
                            "limit: {value:?} is not a number from 1 to {MAX_LIMIT}"
                        ));
                    }
                }
            }
            "before" => {
                f.before = match value.parse::<i64>() {
                    Ok(n) if n >= 1 => Some(n),
                    _ => {
                        return Err(format!(
                            "before: {value:?} is not a cursor (a positive number a page's `next` gave)"
                        ));
                    }
                }
            }
            // Unknown parameters are ignored, as most APIs do.
            _ => {}
        }
    }
    Ok(f)
}
