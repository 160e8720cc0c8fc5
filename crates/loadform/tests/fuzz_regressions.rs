//! Templates the fuzz target `loadform_template` (fuzz/fuzz_targets/loadform_template.rs) found
//! to break the filler, each filled the way the target does: a workbook read for its headers,
//! filled, and read again, which must give the same headers. A new reproducer is one more test
//! here: the target's parts framing is `<part name>\n<part bytes>\0…`, so its parts go into
//! `package` as they are.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::io::{Cursor, Read, Write};

use amipub_loadform::sample;
use amipub_loadform::template::{self, CellValue, NEW_VERSION_SHEET, Row};
use calamine::{Data, Reader, Xlsx};

/// A ZIP package of `parts`, stored, as the fuzz target packs them.
fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in parts {
        w.start_file(*name, stored).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// What the fuzz target does with one sheet: its headers, a fill, the headers again.
fn fill_and_reread(book: &[u8], sheet: &str, rows: &[Row]) -> Vec<u8> {
    let headers = template::headers(book, sheet).unwrap();
    let filled = template::fill(book, sheet, rows).unwrap();
    let again = template::headers(&filled, sheet).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again, headers);
    filled
}

fn part(book: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(book)).unwrap();
    let mut out = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
    out
}

#[test]
fn a_worksheet_with_a_byte_order_mark_is_filled_outside_its_end_tags() {
    // The minimised input: a worksheet starting with a UTF-8 BOM. The row written landed three
    // bytes early, inside the `</row>` before it.
    let sheet = b"\xef\xbb\xbf<sheetData><row r=\"2\"><c><v>2</v></c></row></sheetData>";
    let book = package(&[
        (
            "xl/_rels/workbook.xml.rels",
            br#"<Relationship Id="rId2"Type="/worksheet"Target="worksheets/sheet2.xml">"#,
        ),
        (
            "xl/workbook.xml",
            br#"<sheet name="New AMI Version":id="rId2">"#,
        ),
        ("xl/worksheets/sheet2.xml", sheet),
    ]);
    let headers = template::headers(&book, NEW_VERSION_SHEET).unwrap();
    let rows: Vec<Row> = vec![vec![(headers[0].0.clone(), CellValue::Bool(true))]];
    let filled = fill_and_reread(&book, NEW_VERSION_SHEET, &rows);
    let xml = part(&filled, "xl/worksheets/sheet2.xml");
    assert!(
        xml.starts_with(b"\xef\xbb\xbf<sheetData><row r=\"2\"><c><v>2</v></c></row><row r=\"4\"")
    );
}

#[test]
fn a_sample_template_whose_worksheets_carry_a_byte_order_mark_fills_like_one_without() {
    let plain = sample::template(&["us-east-1", "eu-west-1"], &["t3.micro"]).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(plain.as_slice())).unwrap();
    let mut parts = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        if name.starts_with("xl/worksheets/") {
            bytes.extend_from_slice(b"\xef\xbb\xbf");
        }
        f.read_to_end(&mut bytes).unwrap();
        parts.push((name, bytes));
    }
    let parts: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let book = package(&parts);
    let ami = "ami-0123456789abcdef0";
    let rows: Vec<Row> = vec![vec![(
        "eu-west-1 Cloned AMI ID".to_owned(),
        CellValue::Text(ami.to_owned()),
    )]];
    let filled = fill_and_reread(&book, NEW_VERSION_SHEET, &rows);
    let (header, letters) = template::headers(&filled, NEW_VERSION_SHEET)
        .unwrap()
        .into_iter()
        .find(|(h, _)| h == "eu-west-1 cloned ami id")
        .unwrap();
    let col = letters
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1))
        - 1;
    let mut xlsx = Xlsx::new(Cursor::new(filled)).unwrap();
    let range = xlsx.worksheet_range(NEW_VERSION_SHEET).unwrap();
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let cell = range.get(((3 - r0) as usize, (col - c0) as usize)).cloned();
    assert_eq!(
        cell,
        Some(Data::String(ami.to_owned())),
        "{header} at {letters}4"
    );
}
