//! Fuzz target `loadform_template`: an operator's second-party load-form workbook (XLSX bytes,
//! or its parts unpacked: framing in `amipub_fuzz::workbook`) read for its column headers and
//! filled with a version's rows, as `amipub` does with the template AWS supplies. Entry points:
//! `amipub_loadform::template::headers` and `fill`.
//!
//! Checked beyond "no panic": a filled workbook is still a template with the same headers.
#![no_main]

use amipub_fuzz::workbook;
use amipub_loadform::template::{self, CellValue, METADATA_SHEET, NEW_VERSION_SHEET, Row};
use libfuzzer_sys::fuzz_target;

/// Values as release data brings them: plain, empty, XML-special, Excel-escape-looking, multiline.
const VALUES: &[&str] = &[
    "ami-0123456789abcdef0",
    "",
    "<Fedora & \"Cloud\">",
    "_x000D_ literal",
    "line one\r\nline two\ttab",
];

/// One row per value list rotation, naming the first headers the sheet has.
fn rows(headers: &[(String, String)]) -> Vec<Row> {
    (0..2)
        .map(|r| {
            headers
                .iter()
                .take(6)
                .enumerate()
                .map(|(i, (h, _))| {
                    let value = match (i + r) % (VALUES.len() + 1) {
                        0 => CellValue::Bool(r == 0),
                        n => CellValue::Text(VALUES[n - 1].to_owned()),
                    };
                    (h.clone(), value)
                })
                .collect()
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some(xlsx) = workbook::decode(data) else {
        return;
    };
    for sheet in [NEW_VERSION_SHEET, METADATA_SHEET] {
        let Ok(headers) = template::headers(&xlsx, sheet) else {
            continue;
        };
        let Ok(filled) = template::fill(&xlsx, sheet, &rows(&headers)) else {
            continue;
        };
        match template::headers(&filled, sheet) {
            Ok(again) => assert_eq!(again, headers, "filling changed the headers of {sheet:?}"),
            Err(e) => panic!("the filled workbook cannot be read again: {e}"),
        }
    }
});
