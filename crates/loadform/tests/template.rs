//! Fills sample load-form templates and reads the result back with calamine (a reader we did
//! not write) and the ZIP entries byte by byte: the written cells hold what was written, and
//! nothing else of the template changed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use amipub_loadform::sample::{self, REFERENCE_REGIONS};
use amipub_loadform::template::{
    self, CellValue, METADATA_SHEET, NEW_VERSION_SHEET, Row, TemplateError,
};
use calamine::{Data, Reader, Xlsx};

type Cells = BTreeMap<(u32, u32), Data>;

fn text(s: &str) -> CellValue {
    CellValue::Text(s.to_owned())
}

fn pair(header: &str, value: CellValue) -> (String, CellValue) {
    (header.to_owned(), value)
}

/// Every non-empty cell of every sheet, by absolute 0-based (row, column).
fn all_cells(book: &[u8]) -> BTreeMap<String, Cells> {
    let mut xlsx = Xlsx::new(Cursor::new(book.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for name in xlsx.sheet_names() {
        let range = xlsx.worksheet_range(&name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let cells = range
            .cells()
            .filter(|(_, _, d)| **d != Data::Empty)
            .map(|(r, c, d)| ((r as u32 + r0, c as u32 + c0), d.clone()))
            .collect();
        out.insert(name, cells);
    }
    out
}

fn all_formulas(book: &[u8]) -> BTreeMap<String, Vec<(u32, u32, String)>> {
    let mut xlsx = Xlsx::new(Cursor::new(book.to_vec())).unwrap();
    let mut out = BTreeMap::new();
    for name in xlsx.sheet_names() {
        let range = xlsx.worksheet_formula(&name).unwrap();
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let formulas = range
            .cells()
            .filter(|(_, _, f)| !f.is_empty())
            .map(|(r, c, f)| (r as u32 + r0, c as u32 + c0, f.clone()))
            .collect();
        out.insert(name, formulas);
    }
    out
}

/// One ZIP entry as stored: name, compressed bytes, CRC, method, time.
type Entry = (String, Vec<u8>, u32, String, String);

/// Every ZIP entry as stored, in order, and the archive comment.
fn entries(book: &[u8]) -> (Vec<Entry>, Vec<u8>) {
    let mut zip = zip::ZipArchive::new(Cursor::new(book)).unwrap();
    let entries = (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index_raw(i).unwrap();
            let mut raw = Vec::new();
            f.read_to_end(&mut raw).unwrap();
            let method = format!("{:?}", f.compression());
            let time = format!("{:?}", f.last_modified());
            (f.name().unwrap().into_owned(), raw, f.crc32(), method, time)
        })
        .collect();
    (entries, zip.comment().to_vec())
}

/// The workbook re-packed the way no writer of ours would: deflated at level 1, one part
/// stored, a fixed time, an archive comment. A copy that decompressed and re-compressed the
/// entries would not reproduce it.
fn unusually_packed(book: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(book)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let time = zip::DateTime::from_date_and_time(2024, 5, 6, 7, 8, 10).unwrap();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let options = zip::write::SimpleFileOptions::default().last_modified_time(time);
        let options = if name == "docProps/app.xml" {
            options.compression_method(zip::CompressionMethod::Stored)
        } else {
            options.compression_level(Some(1))
        };
        w.start_file(name, options).unwrap();
        w.write_all(&data).unwrap();
    }
    w.set_comment("an operator's template").unwrap();
    w.finish().unwrap().into_inner()
}

fn part(book: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(book)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// 0-based index of column letters.
fn col_index(letters: &str) -> u32 {
    letters
        .bytes()
        .fold(0, |acc, b| acc * 26 + u32::from(b - b'A') + 1)
        - 1
}

/// 0-based column of a header in `sheet`, through the crate's own header lookup.
fn column(book: &[u8], sheet: &str, header: &str) -> u32 {
    let headers = template::headers(book, sheet).unwrap();
    let (_, letters) = headers
        .iter()
        .find(|(h, _)| *h == template::fold(header))
        .unwrap_or_else(|| panic!("no header {header:?} in {headers:?}"));
    col_index(letters)
}

/// `expected` written (0-based positions on `sheet`), and nothing else changed: every other
/// cell of every sheet, every formula, every ZIP entry except `changed_part`.
fn assert_only_written(
    original: &[u8],
    filled: &[u8],
    sheet: &str,
    changed_part: &str,
    expected: &[((u32, u32), Data)],
) {
    let before = all_cells(original);
    let after = all_cells(filled);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for ((r, c), want) in expected {
        assert_eq!(
            after[sheet].get(&(*r, *c)),
            Some(want),
            "cell ({r}, {c}) of {sheet:?}"
        );
    }
    for (name, cells) in &before {
        let written = |pos: &(u32, u32)| name == sheet && expected.iter().any(|(p, _)| p == pos);
        let keep = |m: &Cells| -> Cells {
            m.iter()
                .filter(|(p, _)| !written(p))
                .map(|(p, d)| (*p, d.clone()))
                .collect()
        };
        assert_eq!(keep(cells), keep(&after[name]), "sheet {name:?} changed");
    }
    assert_eq!(all_formulas(original), all_formulas(filled));
    let ((a, comment_a), (b, comment_b)) = (entries(original), entries(filled));
    assert_eq!(comment_a, comment_b, "the archive comment changed");
    let names = |e: &[Entry]| e.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b), "entries or their order changed");
    let differing: Vec<&str> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert_eq!(differing, vec![changed_part]);
}

/// The sheet XML outside `<sheetData>` with `<dimension …/>` cut out, and the content of
/// `<sheetData>`.
fn split_sheet(xml: &str) -> (String, String) {
    let dim_start = xml.find("<dimension").unwrap();
    let dim_end = dim_start + xml[dim_start..].find("/>").unwrap() + 2;
    let open = xml.find("<sheetData>").unwrap() + "<sheetData>".len();
    let close = xml.find("</sheetData>").unwrap();
    let outside = format!(
        "{}{}{}",
        &xml[..dim_start],
        &xml[dim_end..open],
        &xml[close..]
    );
    (outside, xml[open..close].to_owned())
}

const NOTES: &str = "# Fedora 41\n\n* **Bold** & <script>alert(\"x\")</script>\n\
                     - it's 'quoted' > less\r\nliteral _x0041_ stays\n";

#[test]
fn a_new_version_row_lands_in_its_columns_and_nothing_else_changes() {
    let original = unusually_packed(&sample::template(REFERENCE_REGIONS, &["t3.micro"]).unwrap());
    let row: Row = vec![
        pair("Product ID or ASIN or URL", text("prod-abc123")),
        pair("Product Title", text("Fedora Cloud Base")),
        pair("New Version Title", text("41.20241027.0")),
        pair("Release Notes", text(NOTES)),
        pair("us-east-1 Cloned AMI ID", text("ami-0123456789abcdef0")),
        pair("eu-west-1 Cloned AMI ID", text("ami-0fedcba9876543210")),
        pair("me-south-1  Cloned AMI ID", text("ami-00000000000000001")),
        pair("Security Group4", text("  tcp,22,22,0.0.0.0/0  ")),
    ];
    let filled = template::fill(&original, NEW_VERSION_SHEET, std::slice::from_ref(&row)).unwrap();

    let expected: Vec<_> = row
        .iter()
        .map(|(h, v)| {
            let CellValue::Text(t) = v else {
                unreachable!()
            };
            (
                (3, column(&original, NEW_VERSION_SHEET, h)),
                Data::String(t.clone()),
            )
        })
        .collect();
    // The sample puts column A's header and those past AB in row 3.
    assert_eq!(
        column(&original, NEW_VERSION_SHEET, "Product ID or ASIN or URL"),
        0
    );
    assert_eq!(
        column(&original, NEW_VERSION_SHEET, "me-south-1 Cloned AMI ID"),
        27
    );
    assert_eq!(column(&original, NEW_VERSION_SHEET, "Security Group4"), 28);
    assert_eq!(
        column(&original, NEW_VERSION_SHEET, "us-east-1 Cloned AMI ID"),
        4
    );
    assert_only_written(
        &original,
        &filled,
        NEW_VERSION_SHEET,
        "xl/worksheets/sheet2.xml",
        &expected,
    );

    let (before, after) = (
        part(&original, "xl/worksheets/sheet2.xml"),
        part(&filled, "xl/worksheets/sheet2.xml"),
    );
    assert!(!after.contains("<script>"), "text must be XML-escaped");
    assert!(after.contains(r#"t="inlineStr""#));
    let ((outside_before, data_before), (outside_after, data_after)) =
        (split_sheet(&before), split_sheet(&after));
    assert_eq!(
        outside_before, outside_after,
        "only sheetData and dimension may change"
    );
    assert!(
        data_after.starts_with(&data_before),
        "rows 1 to 3 must stay byte for byte"
    );
    // A–F, one column per other Region, Security Group4–25, FCP Category and Unit, 24 × 3 FCP.
    let last = 6 + (REFERENCE_REGIONS.len() - 1) + 22 + 2 + 72;
    assert!(after.contains(&format!(r#"<dimension ref="A1:{}4"/>"#, col_letters(last))));
}

fn col_letters(mut n: usize) -> String {
    let mut s = Vec::new();
    while n > 0 {
        s.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

#[test]
fn metadata_rows_take_booleans_and_keep_the_data_validation() {
    let original = unusually_packed(
        &sample::template(&["us-east-1", "eu-west-1"], &["t3.micro", "m5.large"]).unwrap(),
    );
    let rows: Vec<Row> = vec![
        vec![
            pair("Product ID or ASIN or URL", text("prod-abc123")),
            pair("Accessibility", text("Limited")),
            pair("Support Offered", CellValue::Bool(true)),
            pair("us-east-1 Availability", CellValue::Bool(true)),
            pair("eu-west-1 Availability", CellValue::Bool(false)),
            pair("t3.micro Availability", CellValue::Bool(true)),
        ],
        vec![
            pair("Product ID or ASIN or URL", text("prod-def456")),
            pair("m5.large Availability", CellValue::Bool(false)),
        ],
    ];
    let filled = template::fill(&original, METADATA_SHEET, &rows).unwrap();
    let mut expected = Vec::new();
    for (r, row) in (3u32..).zip(&rows) {
        for (h, v) in row {
            let data = match v {
                CellValue::Text(t) => Data::String(t.clone()),
                CellValue::Bool(b) => Data::Bool(*b),
            };
            expected.push(((r, column(&original, METADATA_SHEET, h)), data));
        }
    }
    assert_only_written(
        &original,
        &filled,
        METADATA_SHEET,
        "xl/worksheets/sheet3.xml",
        &expected,
    );
    let after = part(&filled, "xl/worksheets/sheet3.xml");
    assert!(
        after.contains("<dataValidations"),
        "the validation must survive"
    );
    assert!(after.contains(r#"t="b"><v>1</v>"#));
}

#[test]
fn a_region_the_template_lacks_is_reported_by_its_header() {
    let original = sample::template(&["us-east-1", "us-west-2"], &["t3.micro"]).unwrap();
    let row = vec![
        pair("Product ID or ASIN or URL", text("prod-abc123")),
        pair("us-west-2 Cloned AMI ID", text("ami-1")),
        pair("eu-west-1 Cloned AMI ID", text("ami-2")),
    ];
    match template::fill(&original, NEW_VERSION_SHEET, &[row]) {
        Err(TemplateError::MissingColumns { sheet, columns }) => {
            assert_eq!(sheet, NEW_VERSION_SHEET);
            assert_eq!(columns, vec!["eu-west-1 Cloned AMI ID".to_owned()]);
        }
        other => panic!("expected MissingColumns, got {other:?}"),
    }
}

#[test]
fn an_unknown_sheet_is_reported_with_the_sheets_there_are() {
    let original = sample::template(&["us-east-1"], &[]).unwrap();
    match template::fill(&original, "New AMI Versions", &[]) {
        Err(TemplateError::NoSheet { sheet, found }) => {
            assert_eq!(sheet, "New AMI Versions");
            assert_eq!(
                found,
                [
                    "INSTRUCTIONS",
                    "New AMI Version ",
                    "Metadata Update",
                    "New Container Version",
                    "New Product Listing"
                ]
                .map(String::from)
            );
        }
        other => panic!("expected NoSheet, got {other:?}"),
    }
    // A name that differs only by whitespace and case still finds its one sheet.
    let headers = template::headers(&original, "new ami version").unwrap();
    assert_eq!(
        headers[0],
        ("product id or asin or url".to_owned(), "A".to_owned())
    );
}

#[test]
fn input_that_is_not_an_xlsx_is_refused() {
    for (input, says) in [
        (b"Product ID,Title\n".to_vec(), "not a ZIP"),
        ([0xD0, 0xCF, 0x11, 0xE0, 0, 0, 0, 0].to_vec(), "password"),
        (zip_of(&[("hello.txt", "hi")]), "xl/workbook.xml"),
    ] {
        match template::fill(&input, NEW_VERSION_SHEET, &[]) {
            Err(e @ TemplateError::NotXlsx { .. }) => {
                assert!(e.to_string().contains(says), "{e}");
            }
            other => panic!("expected NotXlsx, got {other:?}"),
        }
    }
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The attributes of the cell `reference` in a worksheet's XML.
fn cell_attrs(xml: &str, reference: &str) -> Option<BTreeMap<String, String>> {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.local_name().as_ref() == "c" =>
            {
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (a.key.as_ref().to_owned(), a.value.into_owned())
                    })
                    .collect();
                if attrs.get("r").map(String::as_str) == Some(reference) {
                    return Some(attrs);
                }
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// A form whose row 4 already has styled cells, as a template with a prepared row has.
fn template_with_a_styled_row() -> Vec<u8> {
    use rust_xlsxwriter::{Color, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name(NEW_VERSION_SHEET).unwrap();
    sheet
        .write_string(2, 0, "Product ID or ASIN or URL")
        .unwrap();
    sheet.write_string(1, 1, "Product Title").unwrap();
    sheet.write_string(1, 3, "Release\nNotes").unwrap();
    let yellow = Format::new().set_background_color(Color::Yellow);
    let bold = Format::new().set_bold().set_text_wrap();
    sheet.write_blank(3, 1, &yellow).unwrap();
    sheet
        .write_string_with_format(3, 3, "old notes", &bold)
        .unwrap();
    sheet.write_string(3, 5, "keep me").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn a_cell_already_in_the_template_keeps_its_style() {
    let original = template_with_a_styled_row();
    let sheet_part = "xl/worksheets/sheet1.xml";
    let before = part(&original, sheet_part);
    let style = |xml: &str, r: &str| cell_attrs(xml, r).and_then(|a| a.get("s").cloned());
    let (b4, d4) = (style(&before, "B4").unwrap(), style(&before, "D4").unwrap());
    assert_ne!(b4, d4, "the fixture needs two distinct styles");

    let row = vec![
        pair("Product ID or ASIN or URL", text("prod-1")),
        pair("Product Title", text("Title")),
        pair("Release Notes", text("new notes")),
    ];
    let filled = template::fill(&original, NEW_VERSION_SHEET, &[row]).unwrap();
    let after = part(&filled, sheet_part);
    assert_eq!(style(&after, "B4"), Some(b4));
    assert_eq!(style(&after, "D4"), Some(d4));
    assert_eq!(cell_attrs(&after, "A4").unwrap()["t"], "inlineStr");
    let expected = [
        ((3, 0), Data::String("prod-1".into())),
        ((3, 1), Data::String("Title".into())),
        ((3, 3), Data::String("new notes".into())),
    ];
    assert_only_written(&original, &filled, NEW_VERSION_SHEET, sheet_part, &expected);
    assert_eq!(
        all_cells(&filled)[NEW_VERSION_SHEET][&(3, 5)],
        Data::String("keep me".into())
    );
}

/// A package written by hand: prefixed elements, rows and cells without `r`, a shared string
/// with a phonetic run and one with rich text, a row past the written ones, a formula.
fn hand_written_package(sheet_data: &str) -> Vec<u8> {
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PR: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<x:worksheet xmlns:x="{NS}"><x:dimension ref="A1:C3"/>{sheet_data}<x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></x:worksheet>"#
    );
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:rel="{R}"><sheets><sheet name="Metadata Update" sheetId="1" rel:id="rId7"/></sheets></workbook>"#
    );
    let rels = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PR}"><Relationship Id="rId7" Type="{R}/worksheet" Target="/xl/sheets/data.xml"/><Relationship Id="rId8" Type="{R}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
    );
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="2" uniqueCount="2"><si><t>Release&#10;Notes</t><rPh sb="0" eb="1"><t>ignored</t></rPh></si><si><r><t>Source</t></r><r><rPr><b/></rPr><t xml:space="preserve">  AMI&#x20;ID</t></r></si></sst>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/sheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
    let root = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PR}"><Relationship Id="rId1" Type="{R}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    zip_of(&[
        ("[Content_Types].xml", types),
        ("_rels/.rels", &root),
        ("xl/workbook.xml", &workbook),
        ("xl/_rels/workbook.xml.rels", &rels),
        ("xl/sheets/data.xml", &sheet),
        ("xl/sharedStrings.xml", &shared),
    ])
}

const HAND_SHEET_DATA: &str = concat!(
    r#"<x:sheetData>"#,
    r#"<x:row><x:c t="inlineStr"><x:is><x:t>REQUIRED</x:t></x:is></x:c></x:row>"#,
    r#"<x:row><x:c/><x:c t="s"><x:v>0</x:v></x:c></x:row>"#,
    r#"<x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:r><x:t>Product ID</x:t></x:r>"#,
    r#"<x:r><x:t xml:space="preserve"> or ASIN or URL</x:t></x:r></x:is></x:c>"#,
    r#"<x:c r="C3" t="s"><x:v>1</x:v></x:c></x:row>"#,
    r#"<x:row><x:c s="1"/><x:c><x:v>7</x:v></x:c></x:row>"#,
    r#"<x:row r="9"><x:c r="A9"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>"#,
    r#"<x:row><x:c r="B10"><x:v>5</x:v></x:c></x:row>"#,
    r#"</x:sheetData>"#,
);

#[test]
fn a_hand_written_package_is_read_and_patched_in_place() {
    let original = hand_written_package(HAND_SHEET_DATA);
    assert_eq!(
        template::headers(&original, METADATA_SHEET).unwrap(),
        [
            ("product id or asin or url", "A"),
            ("release notes", "B"),
            ("source ami id", "C")
        ]
        .map(|(h, c)| (h.to_owned(), c.to_owned()))
    );
    let rows = vec![
        vec![
            pair("Product ID or ASIN or URL", text("P")),
            pair("Source AMI ID", text("ami-1")),
        ],
        vec![pair("Release  Notes", text("N"))],
    ];
    let filled = template::fill(&original, METADATA_SHEET, &rows).unwrap();
    let xml = part(&filled, "xl/sheets/data.xml");
    let expected_data = concat!(
        r#"<x:sheetData>"#,
        // Rows 1 and 2 keep their implicit numbers: nothing is inserted above them.
        r#"<x:row><x:c t="inlineStr"><x:is><x:t>REQUIRED</x:t></x:is></x:c></x:row>"#,
        r#"<x:row><x:c/><x:c t="s"><x:v>0</x:v></x:c></x:row>"#,
        r#"<x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:r><x:t>Product ID</x:t></x:r>"#,
        r#"<x:r><x:t xml:space="preserve"> or ASIN or URL</x:t></x:r></x:is></x:c>"#,
        r#"<x:c r="C3" t="s"><x:v>1</x:v></x:c></x:row>"#,
        r#"<x:row r="4"><x:c r="A4" s="1" t="inlineStr"><x:is><x:t xml:space="preserve">P</x:t></x:is></x:c>"#,
        r#"<x:c r="B4"><x:v>7</x:v></x:c>"#,
        r#"<x:c r="C4" t="inlineStr"><x:is><x:t xml:space="preserve">ami-1</x:t></x:is></x:c></x:row>"#,
        r#"<x:row r="5"><x:c r="B5" t="inlineStr"><x:is><x:t xml:space="preserve">N</x:t></x:is></x:c></x:row>"#,
        r#"<x:row r="9"><x:c r="A9"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row>"#,
        // Row 10 was implicit; it is below the inserted row 5, so it is given its number.
        r#"<x:row r="10"><x:c r="B10"><x:v>5</x:v></x:c></x:row>"#,
        r#"</x:sheetData>"#,
    );
    assert_eq!(
        xml,
        hand_sheet(&hand_written_package(expected_data)).replace("A1:C3", "A1:C5")
    );
    let cells = &all_cells(&filled)[METADATA_SHEET];
    assert_eq!(cells[&(3, 0)], Data::String("P".into()));
    assert_eq!(cells[&(3, 2)], Data::String("ami-1".into()));
    assert_eq!(cells[&(4, 1)], Data::String("N".into()));
    assert_eq!(cells[&(8, 0)], Data::Float(2.0));
    assert_eq!(cells[&(9, 1)], Data::Float(5.0));
}

/// The worksheet XML of a hand-written package.
fn hand_sheet(book: &[u8]) -> String {
    part(book, "xl/sheets/data.xml")
}

#[test]
fn a_formula_cell_is_not_overwritten() {
    let original = hand_written_package(HAND_SHEET_DATA);
    let mut rows: Vec<Row> = vec![Vec::new(); 5];
    rows.push(vec![pair("Product ID or ASIN or URL", text("P"))]);
    match template::fill(&original, METADATA_SHEET, &rows) {
        Err(TemplateError::FormulaCell { cell, .. }) => assert_eq!(cell, "A9"),
        other => panic!("expected FormulaCell, got {other:?}"),
    }
}

#[test]
fn a_sheet_without_headers_reports_every_column() {
    let original = hand_written_package(r#"<x:sheetData/>"#);
    let rows = vec![
        vec![pair("A", text("1"))],
        vec![pair("B", text("2")), pair("A", text("3"))],
    ];
    match template::fill(&original, METADATA_SHEET, &rows) {
        Err(TemplateError::MissingColumns { columns, .. }) => assert_eq!(columns, ["A", "B"]),
        other => panic!("expected MissingColumns, got {other:?}"),
    }
}

#[test]
fn writing_nothing_leaves_the_sheet_xml_as_it_was() {
    let original = hand_written_package(HAND_SHEET_DATA);
    let filled = template::fill(&original, METADATA_SHEET, &[Vec::new(), Vec::new()]).unwrap();
    assert_eq!(hand_sheet(&filled), hand_sheet(&original));
}

#[test]
fn a_malformed_sheet_names_its_part() {
    let original =
        hand_written_package(r#"<x:sheetData><x:row r="2"/><x:row r="1"/></x:sheetData>"#);
    match template::headers(&original, METADATA_SHEET) {
        Err(e @ TemplateError::Xml { .. }) => {
            let TemplateError::Xml { part, .. } = &e else {
                unreachable!()
            };
            assert_eq!(part, "xl/sheets/data.xml");
            assert!(e.to_string().contains("out of order"), "{e}");
        }
        other => panic!("expected Xml, got {other:?}"),
    }
}
