//! Writing rows into a worksheet part: the XML text is copied as it is except for the byte
//! ranges of the rows written (rebuilt with their other cells kept verbatim), the start tags
//! of rows without an explicit `r` below an inserted row (given one, so they keep their number), new
//! `<row>` elements inserted in row order, and the `dimension` reference widened to cover
//! the written cells (ECMA-376 Part 1, §18.3.1.35).
//!
//! Text is written as an inline string (`t="inlineStr"`, §18.3.1.4 and §18.3.1.53), so the
//! shared string table, another part, stays untouched; booleans as `t="b"` with `1`/`0`.
//! A written cell keeps the style index (`s`) of the cell it replaces; its old value and
//! value metadata (`cm`, `vm`) go.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;

use super::cellref::{Bounds, column_letters};
use super::sheet::{CellMap, RowMap, SheetMap, Tag};
use super::text::encode_escapes;
use super::{CellValue, TemplateError, xml_error};

/// The cells to write: row number → column → value (1-based).
pub(crate) type Targets = BTreeMap<u32, BTreeMap<u32, CellValue>>;

/// Replace the bytes `at` with `with` (an empty range inserts).
struct Edit {
    at: Range<usize>,
    with: Vec<u8>,
}

/// Where the output is going and what to name in errors.
struct Ctx<'a> {
    xml: &'a str,
    sheet: &'a str,
    part: &'a str,
    prefix: &'a str,
}

/// The worksheet XML with `targets` written.
pub(crate) fn patch(
    xml: &str,
    map: &SheetMap,
    targets: &Targets,
    sheet: &str,
    part: &str,
) -> Result<Vec<u8>, TemplateError> {
    let ctx = Ctx {
        xml,
        sheet,
        part,
        prefix: &map.prefix,
    };
    let mut edits = Vec::new();
    edits.extend(dimension_edit(map, targets, part)?);
    let inserted: Vec<u32> = targets
        .keys()
        .copied()
        .filter(|n| map.rows.iter().all(|r| r.number != *n))
        .collect();
    for row in &map.rows {
        if let Some(cells) = targets.get(&row.number) {
            let with = existing_row(&ctx, row, cells)?;
            edits.push(Edit {
                at: row.tag.span.start..row.end,
                with,
            });
        } else if row.tag.get("r").is_none() && inserted.iter().any(|n| *n < row.number) {
            // Its number was implicit (previous + 1); a row inserted above would shift it.
            let r = ("r", Some(row.number.to_string()));
            edits.push(Edit {
                at: row.tag.span.clone(),
                with: tag_bytes(&row.tag, &[r], row.tag.empty, part)?,
            });
        }
    }
    edits.extend(new_rows(&ctx, map, targets)?);
    apply(xml, edits, part)
}

/// Rows of `targets` the sheet does not have yet, each inserted before the first row after it.
fn new_rows(ctx: &Ctx<'_>, map: &SheetMap, targets: &Targets) -> Result<Vec<Edit>, TemplateError> {
    let mut edits = Vec::new();
    for (&number, cells) in targets {
        if map.rows.iter().any(|r| r.number == number) {
            continue;
        }
        let mut w = Writer::new(Vec::new());
        let name = format!("{}row", ctx.prefix);
        let mut start = BytesStart::new(name.as_str());
        start.push_attribute(("r", number.to_string().as_str()));
        emit(&mut w, Event::Start(start), ctx.part)?;
        for (&col, value) in cells {
            new_cell(ctx, &mut w, col, number, None, value)?;
        }
        emit(&mut w, Event::End(BytesEnd::new(name.as_str())), ctx.part)?;
        // A sheet whose `<sheetData/>` is empty has no headers, so nothing can be written
        // to it; `targets` has already refused every row.
        let close = map.close.as_ref().ok_or_else(|| {
            xml_error(
                ctx.part,
                "internal: rows to insert into an empty <sheetData/>",
            )
        })?;
        let at = map
            .rows
            .iter()
            .find(|r| r.number > number)
            .map_or(close.start, |r| r.tag.span.start);
        edits.push(Edit {
            at: at..at,
            with: w.into_inner(),
        });
    }
    Ok(edits)
}

/// An existing row rebuilt: its attributes (with `r`, and `spans` widened), its cells in
/// column order — untouched ones byte for byte — and its other children.
fn existing_row(
    ctx: &Ctx<'_>,
    row: &RowMap,
    cells: &BTreeMap<u32, CellValue>,
) -> Result<Vec<u8>, TemplateError> {
    enum Item<'c> {
        Kept(&'c CellMap),
        Written(&'c CellValue, Option<&'c str>),
    }
    let mut items: BTreeMap<u32, Item<'_>> = BTreeMap::new();
    for cell in &row.cells {
        items.insert(cell.col, Item::Kept(cell));
    }
    for (&col, value) in cells {
        let old = row.cells.iter().find(|c| c.col == col);
        if let Some(c) = old.filter(|c| c.formula) {
            return Err(TemplateError::FormulaCell {
                sheet: ctx.sheet.to_owned(),
                cell: format!("{}{}", column_letters(c.col), row.number),
            });
        }
        items.insert(col, Item::Written(value, old.and_then(|c| c.tag.get("s"))));
    }
    let cols: Vec<u32> = items.keys().copied().collect();
    let mut changes = vec![("r", Some(row.number.to_string()))];
    if let Some(spans) = row.tag.get("spans") {
        changes.push(("spans", widen_spans(spans, &cols)));
    }
    let mut w = Writer::new(Vec::new());
    w.get_mut()
        .extend(tag_bytes(&row.tag, &changes, false, ctx.part)?);
    for (col, item) in &items {
        match item {
            Item::Kept(cell) => kept_cell(ctx, &mut w, cell, row.number)?,
            Item::Written(value, style) => new_cell(ctx, &mut w, *col, row.number, *style, value)?,
        }
    }
    for other in &row.others {
        w.get_mut()
            .extend_from_slice(slice(ctx.xml, other, ctx.part)?.as_bytes());
    }
    emit(
        &mut w,
        Event::End(BytesEnd::new(row.tag.name.as_str())),
        ctx.part,
    )?;
    Ok(w.into_inner())
}

/// A cell the caller did not write: copied as it is, given an `r` if it had none.
fn kept_cell(
    ctx: &Ctx<'_>,
    w: &mut Writer<Vec<u8>>,
    cell: &CellMap,
    row: u32,
) -> Result<(), TemplateError> {
    if cell.tag.get("r").is_some() {
        let raw = slice(ctx.xml, &(cell.tag.span.start..cell.end), ctx.part)?;
        w.get_mut().extend_from_slice(raw.as_bytes());
        return Ok(());
    }
    let r = format!("{}{row}", column_letters(cell.col));
    w.get_mut().extend(tag_bytes(
        &cell.tag,
        &[("r", Some(r))],
        cell.tag.empty,
        ctx.part,
    )?);
    let rest = slice(ctx.xml, &(cell.tag.span.end..cell.end), ctx.part)?;
    w.get_mut().extend_from_slice(rest.as_bytes());
    Ok(())
}

/// A written cell: `<c r s t="inlineStr"><is><t xml:space="preserve">…</t></is></c>`, or
/// `t="b"` with `<v>`; an empty text leaves only the (styled) empty cell.
fn new_cell(
    ctx: &Ctx<'_>,
    w: &mut Writer<Vec<u8>>,
    col: u32,
    row: u32,
    style: Option<&str>,
    value: &CellValue,
) -> Result<(), TemplateError> {
    let p = ctx.prefix;
    let name = format!("{p}c");
    let mut start = BytesStart::new(name.as_str());
    start.push_attribute(("r", format!("{}{row}", column_letters(col)).as_str()));
    if let Some(s) = style {
        start.push_attribute(raw_attribute("s", s));
    }
    let (kind, inner) = match value {
        CellValue::Text(t) if t.is_empty() => return emit(w, Event::Empty(start), ctx.part),
        CellValue::Text(t) => ("inlineStr", encode_escapes(t)),
        CellValue::Bool(b) => ("b", if *b { "1" } else { "0" }.to_owned()),
    };
    start.push_attribute(("t", kind));
    emit(w, Event::Start(start), ctx.part)?;
    let path: &[&str] = if kind == "b" { &["v"] } else { &["is", "t"] };
    for (i, element) in path.iter().enumerate() {
        let qname = format!("{p}{element}");
        let mut open = BytesStart::new(qname.as_str());
        if i == 1 {
            // Keep leading and trailing spaces and line breaks as written (XML 1.0, §2.10).
            open.push_attribute(("xml:space", "preserve"));
        }
        emit(w, Event::Start(open), ctx.part)?;
    }
    emit(w, Event::Text(BytesText::new(&inner)), ctx.part)?;
    for element in path.iter().rev().chain(std::iter::once(&"c")) {
        emit(
            w,
            Event::End(BytesEnd::new(format!("{p}{element}"))),
            ctx.part,
        )?;
    }
    Ok(())
}

/// `spans="first:last"` covering the row's cells and what it said before; `None` (drop the
/// attribute, which is only an optimisation hint, §18.3.1.73) when it cannot be read.
fn widen_spans(spans: &str, cols: &[u32]) -> Option<String> {
    let mut bounds: Vec<u32> = cols.to_vec();
    for span in spans.split_whitespace() {
        let (a, b) = span.split_once(':')?;
        bounds.push(a.parse().ok()?);
        bounds.push(b.parse().ok()?);
    }
    let first = bounds.iter().min()?;
    let last = bounds.iter().max()?;
    Some(format!("{first}:{last}"))
}

/// The `dimension` element with its `ref` widened to the written cells, if that changes it.
fn dimension_edit(
    map: &SheetMap,
    targets: &Targets,
    part: &str,
) -> Result<Option<Edit>, TemplateError> {
    let (Some((tag, end)), Some(written)) = (&map.dimension, written_bounds(targets)) else {
        return Ok(None);
    };
    let current = tag.get("ref").and_then(Bounds::parse).ok_or_else(|| {
        xml_error(
            part,
            "the <dimension> element has no valid ref; re-save the template in Excel",
        )
    })?;
    let widened = current.union(written);
    if widened == current {
        return Ok(None);
    }
    let with = tag_bytes(tag, &[("ref", Some(widened.reference()))], true, part)?;
    Ok(Some(Edit {
        at: tag.span.start..*end,
        with,
    }))
}

fn written_bounds(targets: &Targets) -> Option<Bounds> {
    let row1 = *targets.keys().next()?;
    let row2 = *targets.keys().next_back()?;
    let cols = targets.values().flat_map(|c| c.keys().copied());
    let col1 = cols.clone().min()?;
    let col2 = cols.max()?;
    Some(Bounds {
        col1,
        row1,
        col2,
        row2,
    })
}

/// A start tag (or empty element) as `tag` wrote it, with attributes changed (`Some`),
/// removed (`None`) or added at the end.
fn tag_bytes(
    tag: &Tag,
    changes: &[(&str, Option<String>)],
    empty: bool,
    part: &str,
) -> Result<Vec<u8>, TemplateError> {
    let mut start = BytesStart::new(tag.name.as_str());
    for (key, value) in &tag.attrs {
        match changes.iter().find(|(k, _)| k == key) {
            Some((_, Some(new))) => start.push_attribute(raw_attribute(key, new)),
            Some((_, None)) => {}
            None => start.push_attribute(raw_attribute(key, value)),
        }
    }
    for (key, value) in changes {
        if let (false, Some(v)) = (tag.get(key).is_some(), value) {
            start.push_attribute(raw_attribute(key, v));
        }
    }
    let mut w = Writer::new(Vec::new());
    emit(
        &mut w,
        if empty {
            Event::Empty(start)
        } else {
            Event::Start(start)
        },
        part,
    )?;
    Ok(w.into_inner())
}

/// An attribute whose value is already escaped (copied from the template, or digits).
fn raw_attribute<'a>(key: &'a str, value: &'a str) -> Attribute<'a> {
    Attribute {
        key: QName(key),
        value: Cow::Borrowed(value),
    }
}

fn emit(w: &mut Writer<Vec<u8>>, event: Event<'_>, part: &str) -> Result<(), TemplateError> {
    w.write_event(event).map_err(|e| xml_error(part, e))
}

fn slice<'x>(xml: &'x str, range: &Range<usize>, part: &str) -> Result<&'x str, TemplateError> {
    xml.get(range.clone())
        .ok_or_else(|| xml_error(part, "internal: a scanned range is outside the part"))
}

/// The XML with every edit applied, in document order.
fn apply(xml: &str, mut edits: Vec<Edit>, part: &str) -> Result<Vec<u8>, TemplateError> {
    edits.sort_by_key(|e| (e.at.start, e.at.end));
    let mut out = Vec::with_capacity(xml.len() + edits.iter().map(|e| e.with.len()).sum::<usize>());
    let mut cursor = 0;
    for edit in edits {
        if edit.at.start < cursor {
            return Err(xml_error(part, "internal: two changes overlap"));
        }
        out.extend_from_slice(slice(xml, &(cursor..edit.at.start), part)?.as_bytes());
        out.extend_from_slice(&edit.with);
        cursor = edit.at.end;
    }
    out.extend_from_slice(slice(xml, &(cursor..xml.len()), part)?.as_bytes());
    Ok(out)
}
