//! Filling an operator-supplied load-form template: AWS's "second-party product load form"
//! workbook, which the operator obtains from AWS and amipub must not ship. This module owns
//! reading the template's column headers and writing data rows into one of its sheets; it does
//! not decide what goes in the rows (the caller does) nor where the file goes.
//!
//! Layout of the form's sheets (see `docs/development/`): row 1 says `REQUIRED` or `Optional`,
//! row 2 holds the headers, except column A and the columns past AB whose headers are in
//! row 3, and data starts at row 4. Headers carry line breaks and double spaces, so they are
//! compared with whitespace folded ([`fold`]).
//!
//! The filled workbook must reach AWS with every other part of the template exactly as the
//! operator supplied it, so the template is patched, not re-written: every ZIP entry except
//! the one worksheet is copied byte for byte, and in that worksheet only the written rows
//! change (`patch`). Everything here treats the template as outside input: no malformation
//! panics, each is a [`TemplateError`] naming the part and what to do.

mod cellref;
mod package;
mod patch;
mod sheet;
mod text;

use std::collections::BTreeMap;

use cellref::{MAX_ROW, column_letters};
use package::Package;
use patch::Targets;
use sheet::{SheetMap, cell_text, scan, shared_strings};

/// The sheet of the form that announces a new version of existing products (its name ends
/// with a space in AWS's workbook).
pub const NEW_VERSION_SHEET: &str = "New AMI Version ";
/// The sheet of the form that changes a product's listing details.
pub const METADATA_SHEET: &str = "Metadata Update";
/// The first data row (1-based); rows 1 to 3 hold the header block.
pub const FIRST_DATA_ROW: u32 = 4;

/// A value to write into one cell.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// Text, written as an inline string; an empty text empties the cell.
    Text(String),
    /// A boolean (`TRUE`/`FALSE` in Excel).
    Bool(bool),
}

/// One data row: (documented header text, value) pairs, e.g.
/// `("us-east-1 Cloned AMI ID", CellValue::Text("ami-…".into()))`.
pub type Row = Vec<(String, CellValue)>;

/// Why a template could not be read or filled.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The input is not an XLSX package.
    #[error("the template is not an XLSX workbook: {detail}")]
    NotXlsx {
        /// What was found instead.
        detail: String,
    },
    /// The workbook has no sheet of that name.
    #[error(
        "the template has no sheet named {sheet:?} (its sheets: {found:?}); use the second-party load form AWS supplied"
    )]
    NoSheet {
        /// The sheet asked for.
        sheet: String,
        /// The sheets it has, in tab order.
        found: Vec<String>,
    },
    /// Headers asked for that the sheet does not have.
    #[error(
        "sheet {sheet:?} of the template has no column for {columns:?}; ask AWS for a current load form, or leave these values out"
    )]
    MissingColumns {
        /// The sheet.
        sheet: String,
        /// Every missing header, in the order asked, as the caller spelled it.
        columns: Vec<String>,
    },
    /// One row names the same column twice.
    #[error("a row for sheet {sheet:?} gives column {header:?} twice")]
    DuplicateColumn {
        /// The sheet.
        sheet: String,
        /// The header as given the second time.
        header: String,
    },
    /// More rows than a worksheet holds.
    #[error("{rows} rows do not fit in sheet {sheet:?}")]
    TooManyRows {
        /// The sheet.
        sheet: String,
        /// Rows asked for.
        rows: usize,
    },
    /// A cell to be written holds a formula in the template.
    #[error(
        "cell {cell} of sheet {sheet:?} holds a formula in the template; clear it in the template before filling"
    )]
    FormulaCell {
        /// The sheet.
        sheet: String,
        /// The cell reference, e.g. `E4`.
        cell: String,
    },
    /// A part the workbook refers to is missing from the package.
    #[error(
        "the template has no part {part}, which the workbook refers to; re-save it in Excel or get a fresh copy"
    )]
    MissingPart {
        /// The part name.
        part: String,
    },
    /// A part is not well-formed or not what SpreadsheetML prescribes.
    #[error(
        "part {part} of the template is malformed: {detail}; re-save it in Excel or get a fresh copy"
    )]
    Xml {
        /// The part name, e.g. `xl/worksheets/sheet2.xml`.
        part: String,
        /// What is wrong.
        detail: String,
    },
    /// A ZIP entry could not be read or written.
    #[error("cannot copy part {part} of the template: {detail}")]
    Zip {
        /// The part name.
        part: String,
        /// The ZIP library's message.
        detail: String,
    },
}

impl TemplateError {
    /// A stable label: `invalid_input` for rows the caller got wrong, `invalid_template`
    /// for a template that does not fit.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::DuplicateColumn { .. } | Self::TooManyRows { .. } => "invalid_input",
            _ => "invalid_template",
        }
    }
}

pub(crate) fn xml_error(part: &str, detail: impl std::fmt::Display) -> TemplateError {
    TemplateError::Xml {
        part: part.to_owned(),
        detail: detail.to_string(),
    }
}

/// Whitespace folded (any run of whitespace, line breaks included, becomes one space; ends
/// trimmed) and lower-cased: the form in which headers are compared.
pub fn fold(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The folded header texts of `sheet` with their column letters, in column order: the text
/// of row 2, or of row 3 where row 2 is empty for that column. Columns without a header are
/// left out.
pub fn headers(template: &[u8], sheet: &str) -> Result<Vec<(String, String)>, TemplateError> {
    let mut package = Package::open(template)?;
    let opened = open_sheet(&mut package, sheet)?;
    Ok(opened
        .headers
        .into_iter()
        .map(|(header, col)| (header, column_letters(col)))
        .collect())
}

/// A copy of `template` with `rows` written into `sheet` from row 4 down (row 4 =
/// `rows[0]`). Cells are found by header ([`fold`]ed; the first column with that header);
/// cells of those rows that no pair names, and everything else, stay as they are.
pub fn fill(template: &[u8], sheet: &str, rows: &[Row]) -> Result<Vec<u8>, TemplateError> {
    let mut package = Package::open(template)?;
    let opened = open_sheet(&mut package, sheet)?;
    let targets = targets(sheet, &opened.headers, rows)?;
    let patched = patch::patch(&opened.xml, &opened.map, &targets, sheet, &opened.part)?;
    package.replace(&opened.part, &[opened.bom.as_bytes(), &patched].concat())
}

/// The UTF-8 byte-order mark some writers put before a part's XML declaration.
const BOM: &str = "\u{feff}";

/// A worksheet read from the template.
struct Opened {
    part: String,
    /// The byte-order mark the part started with (or nothing), set aside: quick-xml skips it
    /// without counting it, so every byte range found in a part holding it would be three bytes
    /// short, and a filled row would land inside another row's end tag.
    bom: &'static str,
    /// The part's text after it.
    xml: String,
    map: SheetMap,
    /// Folded header → 1-based column, in column order.
    headers: Vec<(String, u32)>,
}

fn open_sheet(package: &mut Package<'_>, sheet: &str) -> Result<Opened, TemplateError> {
    let located = package.locate(sheet)?;
    let xml = package
        .read(&located.part)?
        .ok_or_else(|| TemplateError::MissingPart {
            part: located.part.clone(),
        })?;
    let (bom, xml) = match xml.strip_prefix(BOM) {
        Some(rest) => (BOM, rest.to_owned()),
        None => ("", xml),
    };
    let shared = match &located.shared_strings {
        None => Vec::new(),
        Some(part) => {
            let text = package
                .read(part)?
                .ok_or_else(|| TemplateError::MissingPart { part: part.clone() })?;
            shared_strings(&text, part)?
        }
    };
    let map = scan(&xml, &located.part)?;
    let headers = header_columns(&xml, &map, &shared, &located.part)?;
    Ok(Opened {
        part: located.part,
        bom,
        xml,
        map,
        headers,
    })
}

fn header_columns(
    xml: &str,
    map: &SheetMap,
    shared: &[String],
    part: &str,
) -> Result<Vec<(String, u32)>, TemplateError> {
    let mut by_col: BTreeMap<u32, String> = BTreeMap::new();
    for number in [2, 3] {
        let Some(row) = map.rows.iter().find(|r| r.number == number) else {
            continue;
        };
        for cell in &row.cells {
            let header = fold(&cell_text(xml, cell, shared, part)?);
            if !header.is_empty() {
                by_col.entry(cell.col).or_insert(header);
            }
        }
    }
    Ok(by_col
        .into_iter()
        .map(|(col, header)| (header, col))
        .collect())
}

/// Row number → column → value, or every header the sheet lacks.
fn targets(sheet: &str, headers: &[(String, u32)], rows: &[Row]) -> Result<Targets, TemplateError> {
    let last = u32::try_from(rows.len())
        .ok()
        .and_then(|n| (FIRST_DATA_ROW - 1).checked_add(n));
    if last.is_none_or(|last| last > MAX_ROW) {
        return Err(TemplateError::TooManyRows {
            sheet: sheet.to_owned(),
            rows: rows.len(),
        });
    }
    let mut missing: Vec<String> = Vec::new();
    let mut out = Targets::new();
    for (number, row) in (FIRST_DATA_ROW..).zip(rows) {
        for (header, value) in row {
            let folded = fold(header);
            let Some((_, col)) = headers.iter().find(|(h, _)| *h == folded) else {
                if !missing.contains(header) {
                    missing.push(header.clone());
                }
                continue;
            };
            if out
                .entry(number)
                .or_default()
                .insert(*col, value.clone())
                .is_some()
            {
                return Err(TemplateError::DuplicateColumn {
                    sheet: sheet.to_owned(),
                    header: header.clone(),
                });
            }
        }
    }
    if !missing.is_empty() {
        return Err(TemplateError::MissingColumns {
            sheet: sheet.to_owned(),
            columns: missing,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_collapses_whitespace_and_case() {
        assert_eq!(
            fold("  us-east-1 Cloned\nAMI  ID \r\n"),
            "us-east-1 cloned ami id"
        );
        assert_eq!(fold("New Version  Title"), "new version title");
        assert_eq!(fold("\t"), "");
    }

    #[test]
    fn targets_report_every_missing_header_once_in_order() {
        let headers = vec![("product title".to_owned(), 2)];
        let text = |s: &str| CellValue::Text(s.to_owned());
        let rows = vec![
            vec![
                ("B x".to_owned(), text("1")),
                ("Product  Title".to_owned(), text("t")),
            ],
            vec![("A y".to_owned(), text("2")), ("B x".to_owned(), text("3"))],
        ];
        match targets("S", &headers, &rows) {
            Err(TemplateError::MissingColumns { columns, .. }) => {
                assert_eq!(columns, vec!["B x".to_owned(), "A y".to_owned()]);
            }
            other => panic!("expected MissingColumns, got {other:?}"),
        }
    }

    #[test]
    fn targets_refuse_a_column_twice_in_one_row() {
        let headers = vec![("product title".to_owned(), 2)];
        let v = CellValue::Bool(true);
        let rows = vec![vec![
            ("Product Title".to_owned(), v.clone()),
            ("product  title".to_owned(), v),
        ]];
        assert!(matches!(
            targets("S", &headers, &rows),
            Err(TemplateError::DuplicateColumn { header, .. }) if header == "product  title"
        ));
    }
}
