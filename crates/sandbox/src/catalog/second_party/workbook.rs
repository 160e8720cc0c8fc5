//! Reading a submitted load form: the "New AMI Version " sheet of an XLSX workbook, laid out as
//! AWS's template has it — row 1 `REQUIRED`/`Optional`, headers in row 2 (column A's, and those
//! past column AB, in row 3), data from row 4 to the first empty row — with headers matched with
//! whitespace folded (the template's headers hold line breaks and double spaces). The workbook is
//! untrusted: every malformation becomes a reason a person can act on, never a panic.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, Range, Reader, Xlsx};

use crate::world::forms::{Form, FormRow};

/// The sheet's name in AWS's template (with its trailing space).
pub const SHEET: &str = "New AMI Version ";
/// Column headers.
pub const PRODUCT: &str = "Product ID or ASIN or URL";
/// See [`PRODUCT`].
pub const PRODUCT_TITLE: &str = "Product Title";
/// See [`PRODUCT`].
pub const VERSION_TITLE: &str = "New Version Title";
/// See [`PRODUCT`].
pub const RELEASE_NOTES: &str = "Release Notes";
/// See [`PRODUCT`].
pub const SOURCE_AMI: &str = "Source AMI ID";
/// The end of every per-Region header, `<region> Cloned AMI ID`.
pub const CLONE_SUFFIX: &str = "Cloned AMI ID";
/// The Region whose clone every row must give.
pub const HOME_REGION: &str = "us-east-1";

/// Rows (0-based) that hold headers: the template's rows 2 and 3.
const HEADER_ROWS: [u32; 2] = [1, 2];
/// The first data row (0-based): the template's row 4.
const FIRST_DATA_ROW: u32 = 3;

/// The header of a Region's clone column.
pub fn clone_header(region: &str) -> String {
    format!("{region} {CLONE_SUFFIX}")
}

/// Reads the sheet from workbook bytes, or says why it cannot.
pub fn read(bytes: &[u8]) -> Result<Form, String> {
    // calamine parses untrusted bytes; a panic in it must not become a failed request.
    catch_unwind(AssertUnwindSafe(|| read_inner(bytes))).unwrap_or_else(|_| {
        Err("the attachment could not be read as an XLSX workbook; attach the filled load form (.xlsx) as AWS's template has it".to_owned())
    })
}

fn read_inner(bytes: &[u8]) -> Result<Form, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        format!("the attachment is not an XLSX workbook ({e}); attach the filled load form (.xlsx)")
    })?;
    let names = book.sheet_names();
    let sheet = names
        .iter()
        .find(|n| n.as_str() == SHEET)
        .or_else(|| names.iter().find(|n| n.trim() == SHEET.trim()))
        .cloned()
        .ok_or_else(|| {
            format!(
                "the workbook has no sheet \"{SHEET}\" (it has {}); fill the \"{SHEET}\" sheet of AWS's load form",
                quoted(&names)
            )
        })?;
    let range = book.worksheet_range(&sheet).map_err(|e| {
        format!("the sheet \"{sheet}\" cannot be read ({e}); save the workbook again as .xlsx")
    })?;
    let columns = header_columns(&range);
    let missing: Vec<String> = [PRODUCT, PRODUCT_TITLE, VERSION_TITLE, RELEASE_NOTES]
        .iter()
        .map(|h| (*h).to_owned())
        .chain([clone_header(HOME_REGION)])
        .filter(|h| !columns.contains_key(h))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the sheet \"{sheet}\" lacks the REQUIRED column(s) {}: keep AWS's template headers (row 2, column A's in row 3)",
            quoted(&missing)
        ));
    }
    let rows = data_rows(&range, &columns);
    if rows.is_empty() {
        return Err(format!(
            "the sheet \"{sheet}\" has no data: fill row 4 onwards, one row per new version"
        ));
    }
    let letters = columns
        .iter()
        .map(|(h, c)| (h.clone(), letter(*c)))
        .collect();
    Ok(Form {
        sheet,
        columns: letters,
        rows,
    })
}

/// Canonical header → 0-based column, the first column whose row 2 or row 3 names it.
fn header_columns(range: &Range<Data>) -> BTreeMap<String, u32> {
    let mut columns = BTreeMap::new();
    let Some((_, last_col)) = range.end() else {
        return columns;
    };
    for col in 0..=last_col {
        for row in HEADER_ROWS {
            if let Some(header) = canonical(&text(range, row, col)) {
                columns.entry(header).or_insert(col);
            }
        }
    }
    columns
}

/// The canonical spelling of a header the sandbox reads, if it is one.
fn canonical(raw: &str) -> Option<String> {
    let folded = fold(raw);
    let known = [
        PRODUCT,
        PRODUCT_TITLE,
        VERSION_TITLE,
        RELEASE_NOTES,
        SOURCE_AMI,
    ];
    if let Some(h) = known.iter().find(|h| h.eq_ignore_ascii_case(&folded)) {
        return Some((*h).to_owned());
    }
    let cut = folded.len().checked_sub(CLONE_SUFFIX.len())?;
    let (region, suffix) = (folded.get(..cut)?, folded.get(cut..)?);
    let region = region.trim().to_ascii_lowercase();
    let plausible = !region.is_empty() && !region.contains(' ');
    (suffix.eq_ignore_ascii_case(CLONE_SUFFIX) && plausible).then(|| clone_header(&region))
}

/// Whitespace runs (line breaks, double spaces) folded to one space, ends trimmed.
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn data_rows(range: &Range<Data>, columns: &BTreeMap<String, u32>) -> Vec<FormRow> {
    let Some((last_row, last_col)) = range.end() else {
        return Vec::new();
    };
    let mut rows = Vec::new();
    for row in FIRST_DATA_ROW..=last_row {
        if (0..=last_col).all(|col| text(range, row, col).is_empty()) {
            break;
        }
        let cell = |header: &str| {
            columns
                .get(header)
                .map_or_else(String::new, |col| text(range, row, *col))
        };
        let clones = columns
            .iter()
            .filter_map(|(h, col)| Some((h.strip_suffix(CLONE_SUFFIX)?.trim(), *col)))
            .map(|(region, col)| (col, region.to_owned(), text(range, row, col)))
            .filter(|(_, _, ami)| !ami.is_empty());
        let mut clones: Vec<(u32, String, String)> = clones.collect();
        clones.sort_by_key(|(col, _, _)| *col);
        rows.push(FormRow {
            row: row + 1,
            product: cell(PRODUCT),
            product_title: cell(PRODUCT_TITLE),
            version_title: cell(VERSION_TITLE),
            release_notes: cell(RELEASE_NOTES),
            source_ami: cell(SOURCE_AMI),
            clones: clones.into_iter().map(|(_, r, a)| (r, a)).collect(),
        });
    }
    rows
}

/// A cell's text, trimmed; empty for empty and absent cells.
fn text(range: &Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        None | Some(Data::Empty) => String::new(),
        Some(value) => value.to_string().trim().to_owned(),
    }
}

/// The spreadsheet letter of a 0-based column: 0 → A, 27 → AB.
pub fn letter(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

fn quoted(items: &[String]) -> String {
    let list: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    if list.is_empty() {
        "no sheets".to_owned()
    } else {
        list.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_with_whitespace_folded() {
        assert_eq!(
            canonical("Product ID or\nASIN or  URL").as_deref(),
            Some(PRODUCT)
        );
        assert_eq!(
            canonical(" eu-west-1\nCloned  AMI ID ").as_deref(),
            Some("eu-west-1 Cloned AMI ID")
        );
        assert_eq!(canonical("Security Group4"), None);
        assert_eq!(canonical("Cloned AMI ID"), None);
    }

    #[test]
    fn column_letters_run_like_a_spreadsheet() {
        assert_eq!(letter(0), "A");
        assert_eq!(letter(25), "Z");
        assert_eq!(letter(27), "AB");
        assert_eq!(letter(701), "ZZ");
        assert_eq!(letter(702), "AAA");
    }

    #[test]
    fn bytes_that_are_not_a_workbook_are_a_reason() {
        let reason = read(b"not a zip").err().unwrap_or_default();
        assert!(reason.contains("not an XLSX workbook"), "{reason}");
    }
}
