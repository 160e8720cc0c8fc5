//! Reading a worksheet part (ECMA-376 Part 1, §18.3 "Worksheets"): where its `dimension`,
//! `sheetData`, rows and cells are in the XML text, and what text a cell shows. Nothing here
//! changes the XML; `patch` uses the byte ranges found here to replace exactly the rows written.
//!
//! `r` is optional on both `<row>` and `<c>` (§18.3.1.73, §18.3.1.4); without it a row is the
//! one after the previous row and a cell the one right of the previous cell.

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::cellref::{MAX_COL, MAX_ROW, column_of};
use super::text::{decode_escapes, read_string_item, resolve_reference};
use super::{TemplateError, xml_error};

/// A start tag (or empty element) as written: its name, raw attributes and where it is.
#[derive(Debug, Clone)]
pub(crate) struct Tag {
    /// The qualified name, prefix included (`row`, `x:row`).
    pub(crate) name: String,
    /// Attributes with their values still escaped, in document order.
    pub(crate) attrs: Vec<(String, String)>,
    /// The bytes of the start tag, or of the whole element when it is empty.
    pub(crate) span: Range<usize>,
    /// `<row/>` rather than `<row>…</row>`.
    pub(crate) empty: bool,
}

impl Tag {
    fn new(
        e: &BytesStart<'_>,
        span: Range<usize>,
        empty: bool,
        part: &str,
    ) -> Result<Self, TemplateError> {
        let mut attrs = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|err| xml_error(part, err))?;
            attrs.push((a.key.as_ref().to_owned(), a.value.into_owned()));
        }
        Ok(Self {
            name: e.name().as_ref().to_owned(),
            attrs,
            span,
            empty,
        })
    }

    /// The raw value of an attribute without prefix.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The namespace prefix of the element with its colon (`x:`), or nothing.
    pub(crate) fn prefix(&self) -> &str {
        self.name.rfind(':').map_or("", |i| &self.name[..=i])
    }
}

/// One `<c>` element.
#[derive(Debug, Clone)]
pub(crate) struct CellMap {
    /// 1-based column.
    pub(crate) col: u32,
    /// Its start tag.
    pub(crate) tag: Tag,
    /// Where the element ends (after `</c>`).
    pub(crate) end: usize,
    /// Whether it holds a formula (`<f>`).
    pub(crate) formula: bool,
}

/// One `<row>` element.
#[derive(Debug, Clone)]
pub(crate) struct RowMap {
    /// 1-based row number.
    pub(crate) number: u32,
    /// Its start tag.
    pub(crate) tag: Tag,
    /// Where the element ends.
    pub(crate) end: usize,
    /// Its cells, in column order.
    pub(crate) cells: Vec<CellMap>,
    /// Its other children (`extLst`), kept as they are.
    pub(crate) others: Vec<Range<usize>>,
}

/// What `patch` needs to know about a worksheet part.
#[derive(Debug, Clone)]
pub(crate) struct SheetMap {
    /// The `dimension` element and where the whole element ends.
    pub(crate) dimension: Option<(Tag, usize)>,
    /// The `</sheetData>` end tag; `None` for an empty `<sheetData/>`.
    pub(crate) close: Option<Range<usize>>,
    /// The rows, in order.
    pub(crate) rows: Vec<RowMap>,
    /// The namespace prefix of `sheetData` with its colon, used for new elements.
    pub(crate) prefix: String,
}

fn at(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

/// Finds the dimension, the sheet data and every row and cell of a worksheet part.
pub(crate) fn scan(xml: &str, part: &str) -> Result<SheetMap, TemplateError> {
    let mut reader = Reader::from_str(xml);
    let mut dimension = None;
    let mut data = false;
    let mut close = None;
    let mut rows = Vec::new();
    let mut prefix = String::new();
    loop {
        let start = at(&reader);
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let span = start..at(&reader);
        match event {
            Event::Empty(e) if local(&e) == "dimension" => {
                dimension = Some((Tag::new(&e, span.clone(), true, part)?, span.end));
            }
            Event::Start(e) if local(&e) == "dimension" => {
                let tag = Tag::new(&e, span, false, part)?;
                reader
                    .read_to_end(e.name())
                    .map_err(|err| xml_error(part, err))?;
                dimension = Some((tag, at(&reader)));
            }
            Event::Empty(e) if local(&e) == "sheetData" => {
                prefix = Tag::new(&e, span, true, part)?.prefix().to_owned();
                data = true;
            }
            Event::Start(e) if local(&e) == "sheetData" => {
                prefix = Tag::new(&e, span, false, part)?.prefix().to_owned();
                let end;
                (rows, end) = scan_rows(&mut reader, part)?;
                close = Some(end);
                data = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !data {
        return Err(xml_error(part, "the worksheet has no <sheetData> element"));
    }
    Ok(SheetMap {
        dimension,
        close,
        rows,
        prefix,
    })
}

fn scan_rows(
    reader: &mut Reader<&[u8]>,
    part: &str,
) -> Result<(Vec<RowMap>, Range<usize>), TemplateError> {
    let mut rows: Vec<RowMap> = Vec::new();
    loop {
        let start = at(reader);
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let span = start..at(reader);
        let (e, empty) = match event {
            Event::Start(e) if local(&e) == "row" => (e, false),
            Event::Empty(e) if local(&e) == "row" => (e, true),
            Event::Start(e) => {
                reader
                    .read_to_end(e.name())
                    .map_err(|err| xml_error(part, err))?;
                continue;
            }
            Event::End(_) => return Ok((rows, span)),
            Event::Eof => return Err(xml_error(part, "the document ends inside <sheetData>")),
            _ => continue,
        };
        let tag = Tag::new(&e, span, empty, part)?;
        let number = row_number(&tag, rows.last().map_or(0, |r| r.number), part)?;
        let (cells, others) = if empty {
            (Vec::new(), Vec::new())
        } else {
            scan_cells(reader, number, part)?
        };
        rows.push(RowMap {
            number,
            end: at(reader).max(tag.span.end),
            tag,
            cells,
            others,
        });
    }
}

fn row_number(tag: &Tag, previous: u32, part: &str) -> Result<u32, TemplateError> {
    let number = match tag.get("r") {
        None => previous + 1,
        Some(r) => r
            .parse::<u32>()
            .map_err(|_| xml_error(part, format!("row number {r:?} is not a number")))?,
    };
    if number <= previous || number > MAX_ROW {
        return Err(xml_error(
            part,
            format!("row {number} is out of order or out of range (previous row {previous})"),
        ));
    }
    Ok(number)
}

type Cells = (Vec<CellMap>, Vec<Range<usize>>);

fn scan_cells(reader: &mut Reader<&[u8]>, row: u32, part: &str) -> Result<Cells, TemplateError> {
    let mut cells: Vec<CellMap> = Vec::new();
    let mut others = Vec::new();
    loop {
        let start = at(reader);
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let span = start..at(reader);
        let (e, empty) = match event {
            Event::Start(e) if local(&e) == "c" => (e, false),
            Event::Empty(e) if local(&e) == "c" => (e, true),
            Event::Start(e) => {
                reader
                    .read_to_end(e.name())
                    .map_err(|err| xml_error(part, err))?;
                others.push(start..at(reader));
                continue;
            }
            Event::Empty(_) => {
                others.push(span);
                continue;
            }
            Event::End(_) => return Ok((cells, others)),
            Event::Eof => {
                return Err(xml_error(
                    part,
                    format!("the document ends inside row {row}"),
                ));
            }
            _ => continue,
        };
        let tag = Tag::new(&e, span, empty, part)?;
        let col = cell_column(&tag, cells.last().map_or(0, |c| c.col), row, part)?;
        let formula = !empty && has_formula(reader, part)?;
        cells.push(CellMap {
            col,
            end: at(reader).max(tag.span.end),
            tag,
            formula,
        });
    }
}

fn cell_column(tag: &Tag, previous: u32, row: u32, part: &str) -> Result<u32, TemplateError> {
    let col = match tag.get("r") {
        None => previous + 1,
        Some(r) => column_of(r).ok_or_else(|| {
            xml_error(
                part,
                format!("cell reference {r:?} in row {row} is not valid"),
            )
        })?,
    };
    if col <= previous || col > MAX_COL {
        return Err(xml_error(
            part,
            format!("a cell of row {row} is out of column order or out of range"),
        ));
    }
    Ok(col)
}

/// Reads to the end of the cell just opened; whether it has an `<f>` element.
fn has_formula(reader: &mut Reader<&[u8]>, part: &str) -> Result<bool, TemplateError> {
    let mut depth = 0usize;
    let mut formula = false;
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) => {
                formula |= local(&e) == "f";
                depth += 1;
            }
            Event::Empty(e) => formula |= local(&e) == "f",
            Event::End(_) if depth == 0 => return Ok(formula),
            Event::End(_) => depth -= 1,
            Event::Eof => return Err(xml_error(part, "the document ends inside a cell")),
            _ => {}
        }
    }
}

/// The text a cell shows: its shared string, inline string or raw value.
pub(crate) fn cell_text(
    xml: &str,
    cell: &CellMap,
    shared: &[String],
    part: &str,
) -> Result<String, TemplateError> {
    if cell.tag.empty {
        return Ok(String::new());
    }
    let snippet = xml.get(cell.tag.span.start..cell.end).unwrap_or("");
    let mut reader = Reader::from_str(snippet);
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) if local(&e) == "is" => return read_string_item(&mut reader, part),
            Event::Start(e) if local(&e) == "v" => {
                let value = read_value(&mut reader, part)?;
                return match cell.tag.get("t") {
                    Some("s") => shared_string(&value, shared, part),
                    _ => Ok(decode_escapes(&value)),
                };
            }
            Event::Eof => return Ok(String::new()),
            _ => {}
        }
    }
}

fn read_value(reader: &mut Reader<&[u8]>, part: &str) -> Result<String, TemplateError> {
    let mut out = String::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::CData(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => out.push(resolve_reference(&r, part)?),
            Event::End(_) | Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

fn shared_string(index: &str, shared: &[String], part: &str) -> Result<String, TemplateError> {
    index
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|i| shared.get(i))
        .cloned()
        .ok_or_else(|| {
            xml_error(
                part,
                format!("a cell refers to shared string {index:?}, which the shared string table does not have"),
            )
        })
}

/// The shared string table (`xl/sharedStrings.xml`, ECMA-376 Part 1, §18.4.9), in order.
pub(crate) fn shared_strings(xml: &str, part: &str) -> Result<Vec<String>, TemplateError> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(part, e))? {
            Event::Start(e) if local(&e) == "si" => out.push(read_string_item(&mut reader, part)?),
            Event::Empty(e) if local(&e) == "si" => out.push(String::new()),
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}
