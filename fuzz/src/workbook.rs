//! The `loadform_template` framing. An input that starts like a ZIP file is taken as the
//! workbook itself. Anything else is the workbook's parts, unpacked, so the fuzzer mutates the
//! XML that the template reader parses instead of compressed bytes:
//!
//! ```text
//! <part name>\n<part bytes>\0<part name>\n<part bytes>\0…
//! ```
//!
//! packed here into a ZIP file with stored (uncompressed) entries.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::split_line;

/// How every ZIP file starts (a local file header).
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// The workbook an input stands for, or `None` when its parts cannot be packed (two parts of
/// one name, say): such an input never reaches the reader.
pub fn decode(data: &[u8]) -> Option<Vec<u8>> {
    if data.starts_with(ZIP_MAGIC) {
        return Some(data.to_vec());
    }
    pack(data, CompressionMethod::Stored)
}

/// Packs parts (the framing above) into a ZIP file with entries compressed by `method`.
pub fn pack(parts: &[u8], method: CompressionMethod) -> Option<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(method);
    for part in parts.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let (name, bytes) = split_line(part);
        zip.start_file(String::from_utf8_lossy(name), options)
            .ok()?;
        zip.write_all(bytes).ok()?;
    }
    Some(zip.finish().ok()?.into_inner())
}

/// The parts framing of a workbook (for seeds); `None` when it is not a readable ZIP file or a
/// part holds a NUL byte.
pub fn encode(xlsx: &[u8]) -> Option<Vec<u8>> {
    let mut archive = ZipArchive::new(Cursor::new(xlsx)).ok()?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).ok()?;
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).ok()?;
        let name = entry.name().ok()?.into_owned();
        if bytes.contains(&0) || name.contains(['\n', '\0']) {
            return None;
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&bytes);
        out.push(0);
    }
    Some(out)
}
