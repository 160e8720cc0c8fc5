//! The marketing approval gate. Listing content (text, media, categories, keywords, support,
//! pricing, legal terms, refund policy) has a content hash; `[approval] content_hash` in the spec
//! records the hash an approver signed off, next to where they did (`reference`). Content whose
//! hash the record does not cover is never submitted. Versions (new AMIs) need no approval.

use serde_json::{Value, json};

use super::diff::{FieldDiff, desired, is_content};
use crate::ids::digest_hex;
use crate::spec::ProductSpec;

/// The hash of the spec's listing content: `sha256:<64 hex>` over the content fields in
/// canonical JSON (field names sorted), so formatting and key order in the file do not matter.
pub fn content_hash(spec: &ProductSpec) -> String {
    let content: serde_json::Map<String, Value> = desired(spec)
        .into_iter()
        .filter(|(k, _)| is_content(k))
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let text = json!(content).to_string();
    format!("sha256:{}", digest_hex(&[text.as_bytes()], 32))
}

/// Why content may not be submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalError {
    /// The spec has no approval record.
    #[error(
        "the listing content ({fields}) has no marketing approval: the spec has no [approval] record. Get it approved, then run amipub approve --product {spec_path} --reference <ticket URL>"
    )]
    Missing {
        /// The content fields to be submitted.
        fields: String,
        /// The spec file, for the command in the message.
        spec_path: String,
    },
    /// The record covers other content.
    #[error(
        "the listing content changed since it was approved ({reference} approved {approved}; the content is now {current}); changed: {fields}. Get the change approved, then run amipub approve --product {spec_path} --reference <ticket URL>"
    )]
    Outdated {
        /// The content fields to be submitted.
        fields: String,
        /// The approval's reference.
        reference: String,
        /// The hash it covers (or `no hash`).
        approved: String,
        /// The content's hash now.
        current: String,
        /// The spec file.
        spec_path: String,
    },
}

/// Whether submitting the content fields among `pending` (all content when creating) is covered
/// by the spec's approval. `Ok` when nothing in `pending` is content.
pub fn check_approval(
    spec: &ProductSpec,
    pending: &[FieldDiff],
    creating: bool,
    spec_path: &str,
) -> Result<(), ApprovalError> {
    let content: Vec<&str> = pending
        .iter()
        .filter(|d| d.is_content())
        .map(|d| d.field)
        .collect();
    if content.is_empty() && !creating {
        return Ok(());
    }
    let fields = if creating {
        "the whole listing, which this step shows to buyers".to_owned()
    } else {
        content.join(", ")
    };
    let current = content_hash(spec);
    match &spec.approval {
        None => Err(ApprovalError::Missing {
            fields,
            spec_path: spec_path.to_owned(),
        }),
        Some(a) if a.content_hash.as_deref() == Some(current.as_str()) => Ok(()),
        Some(a) => Err(ApprovalError::Outdated {
            fields,
            reference: a.reference.clone(),
            approved: a
                .content_hash
                .clone()
                .unwrap_or_else(|| "no hash".to_owned()),
            current,
            spec_path: spec_path.to_owned(),
        }),
    }
}

/// The spec text with its `[approval]` table set to `reference` and the content's hash, the rest
/// of the file (comments, order, formatting) untouched, with who recorded it. Checked by reading
/// the result back.
pub fn record_approval(
    text: &str,
    reference: &str,
    hash: &str,
    by: &str,
) -> Result<String, String> {
    edit_spec(
        text,
        |doc| {
            let t = doc
                .entry("approval")
                .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
                .as_table_like_mut()
                .ok_or("`approval` is not a table; make it `[approval]`")?;
            t.insert("reference", toml_edit::value(reference));
            t.insert("content_hash", toml_edit::value(hash));
            t.insert("by", toml_edit::value(by));
            Ok(())
        },
        |spec| {
            spec.approval.as_ref().is_some_and(|a| {
                a.reference == reference && a.content_hash.as_deref() == Some(hash)
            })
        },
        "the approval",
    )
}

/// The spec text with `[product]` ids set (after `apply` created the listing), the rest
/// untouched. Checked by reading the result back.
pub fn record_ids(
    text: &str,
    id: &str,
    offer_id: Option<&str>,
    product_code: Option<&str>,
) -> Result<String, String> {
    edit_spec(
        text,
        |doc| {
            let t = doc
                .get_mut("product")
                .and_then(|p| p.as_table_like_mut())
                .ok_or("the spec has no [product] table")?;
            t.insert("id", toml_edit::value(id));
            if let Some(o) = offer_id {
                t.insert("offer_id", toml_edit::value(o));
            }
            if let Some(c) = product_code {
                t.insert("product_code", toml_edit::value(c));
            }
            Ok(())
        },
        |spec| spec.product.id.as_deref() == Some(id),
        "the id",
    )
}

/// Edits a spec's TOML keeping everything else as it was, then reads the result back as a spec
/// and checks that the edit is there.
fn edit_spec(
    text: &str,
    edit: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), &'static str>,
    check: impl FnOnce(&ProductSpec) -> bool,
    what: &str,
) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    edit(&mut doc)?;
    let out = doc.to_string();
    let back = crate::spec::parse_spec(&out).map_err(|p| p.message.clone())?;
    if check(&back) {
        Ok(out)
    } else {
        Err(format!("{what} did not read back from the updated spec"))
    }
}
