//! Reads the written form back with a real XLSX reader (calamine) and a CSV reader and checks
//! every column of every row against the table that was written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use amipub_domain::load_form::{COLUMNS, VersionColumns, row};
use amipub_domain::spec::parse_spec;
use calamine::{Data, Reader, Xlsx, open_workbook};

fn rows() -> Vec<Vec<String>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/products");
    let mut out = Vec::new();
    for (i, name) in [
        "fedora-cloud-base.toml",
        "nginx-free.toml",
        "metered-appliance.toml",
    ]
    .iter()
    .enumerate()
    {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let spec = parse_spec(&text).unwrap();
        let version = (i == 0).then(|| VersionColumns {
            title: "41.20241027.0".into(),
            ami_id: "ami-0123456789abcdef0".into(),
            release_notes: "# Fedora 41\n\nNotes with \"quotes\", commas, and ünïcode™.".into(),
        });
        out.push(row(&spec, version.as_ref()));
    }
    out
}

#[test]
fn xlsx_holds_every_cell_of_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows();
    let written = amipub_loadform::write(dir.path(), &rows).unwrap();
    let mut book: Xlsx<_> = open_workbook(&written.xlsx).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec!["Instructions".to_owned(), "Products".to_owned()]
    );
    let range = book
        .worksheet_range(amipub_loadform::PRODUCTS_SHEET)
        .unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(cells.len(), rows.len() + 1);
    assert_eq!(
        cells[0],
        COLUMNS.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()
    );
    for (i, expected) in rows.iter().enumerate() {
        let got = &cells[i + 1];
        assert_eq!(got.len(), COLUMNS.len(), "row {i}");
        for (c, column) in COLUMNS.iter().enumerate() {
            assert_eq!(&got[c], &expected[c], "row {i}, column {column}");
        }
    }
    // Spot-check that the columns hold what their names say.
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    assert_eq!(cells[1][col("Product Title")], "Fedora Cloud Base (x86_64)");
    assert_eq!(cells[1][col("AMI ID")], "ami-0123456789abcdef0");
    assert_eq!(cells[2][col("OS User Name")], "ec2-user");
    assert_eq!(cells[2][col("Scanning Port")], "22");
    assert_eq!(cells[3][col("Pricing Model")], "Paid");
    assert!(cells[3][col("Hourly Prices (USD)")].contains("m5.large=0.12"));
}

#[test]
fn csv_holds_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = rows();
    let written = amipub_loadform::write(dir.path(), &rows).unwrap();
    let mut reader = csv::Reader::from_path(&written.csv).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        COLUMNS.to_vec()
    );
    let got: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(got, rows);
}

#[test]
fn a_row_of_the_wrong_shape_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let err = amipub_loadform::write(dir.path(), &[vec!["only one".into()]]).unwrap_err();
    assert!(err.to_string().contains("row 1 has 1 cells"), "{err}");
    assert!(!dir.path().join(amipub_loadform::XLSX_NAME).exists());
}
