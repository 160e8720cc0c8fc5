//! Writes the classic AWS Marketplace "product load form" — one row per product listing — as an
//! XLSX workbook and as CSV, from the table `amipub_domain::load_form` builds.
//!
//! The workbook has the form's two familiar sheets: `Instructions` (what each column holds) and
//! `Products` (the rows). Everything is written to temporary names first and renamed into place,
//! so a failed export never leaves a half-written form where the previous one was.
//!
//! [`template`] fills the other form, AWS's "second-party product load form", into a copy of
//! the workbook the operator supplies; [`sample`] builds a workbook with that form's structure
//! for tests and demonstrations.

use std::fs;
use std::path::{Path, PathBuf};

use amipub_domain::load_form::COLUMNS;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub mod sample;
pub mod template;

/// File name of the workbook inside the output directory.
pub const XLSX_NAME: &str = "product-load-form.xlsx";
/// File name of the CSV inside the output directory.
pub const CSV_NAME: &str = "product-load-form.csv";
/// Name of the sheet holding the rows.
pub const PRODUCTS_SHEET: &str = "Products";

/// Why the form could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LoadFormError {
    /// The directory or a file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The spreadsheet library refused the content.
    #[error("cannot build the workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// The CSV writer failed.
    #[error("cannot write the CSV: {0}")]
    Csv(#[from] csv::Error),
    /// A row does not have one cell per column.
    #[error("row {row} has {cells} cells, the form has {columns} columns")]
    Shape {
        /// 1-based row number.
        row: usize,
        /// Cells in that row.
        cells: usize,
        /// Columns of the form.
        columns: usize,
    },
}

/// The files written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The workbook.
    pub xlsx: PathBuf,
    /// The CSV.
    pub csv: PathBuf,
}

/// What each column holds, for the Instructions sheet.
fn instruction(column: &str) -> &'static str {
    match column {
        "Product Title" => "Up to 72 characters.",
        "Short Description" => "Up to 1000 characters.",
        "Long Description" => "Up to 5000 characters.",
        "Highlight 1" | "Highlight 2" | "Highlight 3" => {
            "Up to 500 characters; the first is required."
        }
        "Category 1" | "Category 2" | "Category 3" => {
            "A Marketplace category name; the first is required."
        }
        "Search Keywords" => "Comma-separated, up to 250 characters in total.",
        "Regions" => "Region codes where the product is sold.",
        "Future Region Support" => "All, US or None.",
        "Instance Types" => "Instance types buyers may launch.",
        "Version Title" => "Unique within the product, up to 64 characters.",
        "AMI ID" => "The AMI in us-east-1 of the seller account.",
        "Release Notes" => "Up to 30000 characters.",
        "OS User Name" => "The login user of the image.",
        "Scanning Port" => "22 for SSH, 3389 for RDP.",
        "Usage Instructions" => "Up to 4000 characters.",
        "Pricing Model" => "Free or Paid.",
        "Hourly Prices (USD)" => {
            "instance type=price per hour, for every instance type of a paid product."
        }
        "Usage Dimensions" => "Custom metering dimensions with unit and price.",
        "EULA" => "The Standard Contract for AWS Marketplace or the URL of a custom EULA.",
        "Refund Policy" => "Up to 500 characters.",
        _ => "",
    }
}

/// Writes `<dir>/product-load-form.xlsx` and `<dir>/product-load-form.csv`.
pub fn write(dir: &Path, rows: &[Vec<String>]) -> Result<Written, LoadFormError> {
    for (i, r) in rows.iter().enumerate() {
        if r.len() != COLUMNS.len() {
            return Err(LoadFormError::Shape {
                row: i + 1,
                cells: r.len(),
                columns: COLUMNS.len(),
            });
        }
    }
    fs::create_dir_all(dir).map_err(|source| LoadFormError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let xlsx = dir.join(XLSX_NAME);
    let csv_path = dir.join(CSV_NAME);
    let xlsx_tmp = dir.join(format!(".{XLSX_NAME}.tmp"));
    let csv_tmp = dir.join(format!(".{CSV_NAME}.tmp"));

    fs::write(&xlsx_tmp, workbook(rows)?).map_err(|source| LoadFormError::Io {
        path: xlsx_tmp.clone(),
        source,
    })?;
    let mut w = csv::Writer::from_path(&csv_tmp)?;
    w.write_record(COLUMNS)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush().map_err(|source| LoadFormError::Io {
        path: csv_tmp.clone(),
        source,
    })?;
    drop(w);

    fs::rename(&xlsx_tmp, &xlsx).map_err(|source| LoadFormError::Io {
        path: xlsx.clone(),
        source,
    })?;
    fs::rename(&csv_tmp, &csv_path).map_err(|source| LoadFormError::Io {
        path: csv_path.clone(),
        source,
    })?;
    Ok(Written {
        xlsx,
        csv: csv_path,
    })
}

fn workbook(rows: &[Vec<String>]) -> Result<Vec<u8>, LoadFormError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let help = book.add_worksheet();
    help.set_name("Instructions")?;
    help.write_string_with_format(0, 0, "Column", &bold)?;
    help.write_string_with_format(0, 1, "What it holds", &bold)?;
    help.set_column_width(0, 28)?;
    help.set_column_width(1, 80)?;
    for (i, c) in COLUMNS.iter().enumerate() {
        let r = u32::try_from(i + 1).unwrap_or(u32::MAX);
        help.write_string(r, 0, *c)?;
        help.write_string(r, 1, instruction(c))?;
    }

    let sheet = book.add_worksheet();
    sheet.set_name(PRODUCTS_SHEET)?;
    for (c, name) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, *name, &bold)?;
        sheet.set_column_width(col, 24)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let rr = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, value) in row.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            sheet.write_string_with_format(rr, col, value, &wrap)?;
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    Ok(book.save_to_buffer()?)
}
