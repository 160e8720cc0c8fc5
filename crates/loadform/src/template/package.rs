//! The template as a package: the ZIP entries of an Office Open XML file (ECMA-376 Part 2,
//! "Open Packaging Conventions"), the sheet list of `xl/workbook.xml` with the relationships
//! of `xl/_rels/workbook.xml.rels` that lead from a sheet's name to its worksheet part, and
//! the copy of the package with one part replaced.
//!
//! The copy moves every other entry with `ZipWriter::raw_copy_file`: its compressed bytes,
//! CRC and metadata are carried over as they are, never decompressed and compressed again.

use std::io::{Cursor, Read, Write};

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{TemplateError, fold, xml_error};

/// The workbook part every XLSX writer uses (ECMA-376 Part 1, §12.3.23).
pub(crate) const WORKBOOK: &str = "xl/workbook.xml";
/// The workbook's relationships part.
pub(crate) const WORKBOOK_RELS: &str = "xl/_rels/workbook.xml.rels";
/// Largest part read into memory. AWS's load form is well under 1 MiB; this only stops a
/// damaged or hostile ZIP entry from exhausting memory.
const MAX_PART_BYTES: u64 = 256 << 20;
/// First bytes of an OLE compound file: a password-protected XLSX or a legacy XLS.
const OLE_MAGIC: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

/// Where a sheet's cells and the shared strings are.
#[derive(Debug, Clone)]
pub(crate) struct Located {
    /// The worksheet part, as the ZIP entry is named.
    pub(crate) part: String,
    /// The shared string table part, when the workbook has one.
    pub(crate) shared_strings: Option<String>,
}

/// An opened template.
pub(crate) struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
}

fn zip_error(part: &str, err: impl std::fmt::Display) -> TemplateError {
    TemplateError::Zip {
        part: part.to_owned(),
        detail: err.to_string(),
    }
}

impl<'a> Package<'a> {
    /// Opens `bytes` as a ZIP package holding a workbook.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Self, TemplateError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| TemplateError::NotXlsx {
            detail: if bytes.starts_with(&OLE_MAGIC) {
                "it is an OLE compound file (a password-protected workbook or a legacy .xls); \
                 save it as .xlsx without a password"
                    .to_owned()
            } else {
                format!("it is not a ZIP package ({e})")
            },
        })?;
        let package = Self { zip };
        if package.index_of(WORKBOOK).is_none() {
            return Err(TemplateError::NotXlsx {
                detail: format!("the ZIP package has no {WORKBOOK}"),
            });
        }
        Ok(package)
    }

    /// The entry named `part`; part names compare case-insensitively (ECMA-376 Part 2).
    fn index_of(&self, part: &str) -> Option<usize> {
        self.zip.index_for_name(part).or_else(|| {
            (0..self.zip.len()).find(|&i| {
                matches!(self.zip.name_for_index(i), Some(Ok(n)) if n.eq_ignore_ascii_case(part))
            })
        })
    }

    /// The text of a part, or `None` when the package has no such part.
    pub(crate) fn read(&mut self, part: &str) -> Result<Option<String>, TemplateError> {
        let Some(i) = self.index_of(part) else {
            return Ok(None);
        };
        let entry = self.zip.by_index(i).map_err(|e| zip_error(part, e))?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_PART_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| zip_error(part, e))?;
        if bytes.len() as u64 > MAX_PART_BYTES {
            return Err(xml_error(part, "the part is larger than 256 MiB"));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| xml_error(part, "the part is not UTF-8 text"))
    }

    fn read_required(&mut self, part: &str) -> Result<String, TemplateError> {
        self.read(part)?.ok_or_else(|| TemplateError::MissingPart {
            part: part.to_owned(),
        })
    }

    /// Finds the worksheet part of the sheet named `sheet` and the shared string table.
    ///
    /// The name matches exactly, or else with whitespace folded and case ignored when exactly
    /// one sheet matches that way (so a template whose `New AMI Version ` lost its trailing
    /// space still works).
    pub(crate) fn locate(&mut self, sheet: &str) -> Result<Located, TemplateError> {
        let sheets = parse_sheets(&self.read_required(WORKBOOK)?)?;
        let folded: Vec<_> = sheets
            .iter()
            .filter(|(n, _)| fold(n) == fold(sheet))
            .collect();
        let id = match sheets.iter().find(|(n, _)| n == sheet) {
            Some((_, id)) => id,
            None if folded.len() == 1 => &folded[0].1,
            None => {
                return Err(TemplateError::NoSheet {
                    sheet: sheet.to_owned(),
                    found: sheets.into_iter().map(|(n, _)| n).collect(),
                });
            }
        };
        let rels = parse_rels(&self.read_required(WORKBOOK_RELS)?)?;
        let rel = rels.iter().find(|r| &r.id == id).ok_or_else(|| {
            xml_error(
                WORKBOOK_RELS,
                format!("no relationship {id} for sheet {sheet:?}, which {WORKBOOK} refers to"),
            )
        })?;
        if !rel.kind.ends_with("/worksheet") {
            return Err(xml_error(
                WORKBOOK_RELS,
                format!(
                    "sheet {sheet:?} is not a worksheet (relationship type {})",
                    rel.kind
                ),
            ));
        }
        let target = resolve("xl/", &rel.target);
        let index = self
            .index_of(&target)
            .ok_or_else(|| TemplateError::MissingPart {
                part: target.clone(),
            })?;
        let part = match self.zip.name_for_index(index) {
            Some(Ok(name)) => name.into_owned(),
            _ => target,
        };
        let shared_strings = rels
            .iter()
            .find(|r| r.kind.ends_with("/sharedStrings"))
            .map(|r| resolve("xl/", &r.target));
        Ok(Located {
            part,
            shared_strings,
        })
    }

    /// A copy of the package with `part` holding `content`; every other entry copied raw, in
    /// the original order, with the archive comment.
    pub(crate) fn replace(&mut self, part: &str, content: &[u8]) -> Result<Vec<u8>, TemplateError> {
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..self.zip.len() {
            let entry = self.zip.by_index_raw(i).map_err(|e| zip_error(part, e))?;
            let name = entry.name().map_err(|e| zip_error(part, e))?.into_owned();
            if name != part {
                out.raw_copy_file(entry).map_err(|e| zip_error(&name, e))?;
                continue;
            }
            let options = rewritten_options(entry.options(), entry.compression());
            drop(entry);
            out.start_file(&name, options)
                .map_err(|e| zip_error(&name, e))?;
            out.write_all(content).map_err(|e| zip_error(&name, e))?;
        }
        out.set_raw_comment(self.zip.comment().into())
            .map_err(|e| zip_error(part, e))?;
        let cursor = out.finish().map_err(|e| zip_error(part, e))?;
        Ok(cursor.into_inner())
    }
}

/// The original entry's options (time, attributes), compressed the way it was when we can
/// write that method, deflated otherwise.
fn rewritten_options(options: SimpleFileOptions, method: CompressionMethod) -> SimpleFileOptions {
    let method = match method {
        CompressionMethod::Stored => CompressionMethod::Stored,
        _ => CompressionMethod::Deflated,
    };
    options.compression_method(method)
}

/// Joins a relationship target to the directory of its source part (ECMA-376 Part 2):
/// `worksheets/sheet1.xml` from `xl/` is `xl/worksheets/sheet1.xml`; a leading `/` is the
/// package root; `..` climbs.
fn resolve(base: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("{base}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

fn attr(
    e: &BytesStart<'_>,
    part: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<Option<String>, TemplateError> {
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        if wanted(a.key.as_ref()) {
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(part, err))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// `(name, relationship id)` of every `<sheet>` in `xl/workbook.xml`, in tab order.
fn parse_sheets(xml: &str) -> Result<Vec<(String, String)>, TemplateError> {
    let mut reader = Reader::from_str(xml);
    let mut sheets = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(WORKBOOK, e))? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                let name = attr(&e, WORKBOOK, |k| k == "name")?;
                // `r:id`, whatever prefix the relationships namespace has.
                let id = attr(&e, WORKBOOK, |k| k.ends_with(":id"))?;
                match (name, id) {
                    (Some(name), Some(id)) => sheets.push((name, id)),
                    _ => return Err(xml_error(WORKBOOK, "a <sheet> lacks its name or r:id")),
                }
            }
            Event::Eof => return Ok(sheets),
            _ => {}
        }
    }
}

/// One `<Relationship>` of a relationships part.
struct Rel {
    id: String,
    kind: String,
    target: String,
}

fn parse_rels(xml: &str) -> Result<Vec<Rel>, TemplateError> {
    let mut reader = Reader::from_str(xml);
    let mut rels = Vec::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| xml_error(WORKBOOK_RELS, e))?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let external = attr(&e, WORKBOOK_RELS, |k| k == "TargetMode")?;
                if external.as_deref() == Some("External") {
                    continue;
                }
                let get = |key: &str| attr(&e, WORKBOOK_RELS, |k| k == key);
                match (get("Id")?, get("Type")?, get("Target")?) {
                    (Some(id), Some(kind), Some(target)) => rels.push(Rel { id, kind, target }),
                    _ => {
                        return Err(xml_error(
                            WORKBOOK_RELS,
                            "a <Relationship> lacks its Id, Type or Target",
                        ));
                    }
                }
            }
            Event::Eof => return Ok(rels),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn targets_resolve_against_the_workbook_directory() {
        assert_eq!(
            resolve("xl/", "worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            resolve("xl/", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(resolve("xl/", "../custom/s.xml"), "custom/s.xml");
        assert_eq!(
            resolve("xl/", "./worksheets/./a.xml"),
            "xl/worksheets/a.xml"
        );
    }
}
