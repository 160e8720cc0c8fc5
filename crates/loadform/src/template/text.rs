//! Text as SpreadsheetML stores it: reading the text of string items (`<si>` of the shared
//! string table, `<is>` of an inline string) and the `_xHHHH_` escapes of ECMA-376 Part 1,
//! §22.9.2.19 (`ST_Xstring`), both ways. The XML escapes themselves (`&amp;` …) are quick-xml's.
//!
//! Excel writes a character that XML 1.0 cannot carry (a control character, a lone `\r`) as
//! `_x000D_`, and a literal `_x000D_` as `_x005F_x000D_` (ECMA-376,
//! <https://ecma-international.org/publications-and-standards/standards/ecma-376/>). Writing a
//! value without this escape would let Excel turn a literal `_x0041_` in release notes into `A`.

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::{TemplateError, xml_error};

/// The text of the string item whose start tag (`<si>`, `<is>`) was just read: the `t`
/// elements, directly or in rich text runs (`<r>`), concatenated; phonetic runs (`<rPh>`)
/// are left out as Excel does when it shows the cell.
pub(crate) fn read_string_item(
    reader: &mut Reader<&[u8]>,
    part: &str,
) -> Result<String, TemplateError> {
    let mut stack: Vec<String> = Vec::new();
    let mut out = String::new();
    loop {
        let event = reader.read_event().map_err(|e| xml_error(part, e))?;
        let in_text = stack.last().is_some_and(|n| n == "t") && !stack.iter().any(|n| n == "rPh");
        match event {
            Event::Start(e) => stack.push(e.local_name().as_ref().to_owned()),
            Event::End(_) if stack.is_empty() => return Ok(decode_escapes(&out)),
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) if in_text => out.push_str(&t.xml10_content()),
            Event::CData(t) if in_text => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => out.push(resolve_reference(&r, part)?),
            Event::Eof => return Err(xml_error(part, "the document ends inside a string item")),
            _ => {}
        }
    }
}

/// The character an entity or character reference (`&amp;`, `&#10;`) stands for.
pub(crate) fn resolve_reference(
    reference: &BytesRef<'_>,
    part: &str,
) -> Result<char, TemplateError> {
    let predefined = match reference.as_ref() {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    match reference.resolve_char_ref() {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(xml_error(
            part,
            format!("unknown entity &{};", reference.as_ref()),
        )),
        Err(e) => Err(xml_error(part, e)),
    }
}

/// Replaces `_xHHHH_` escapes (UTF-16 code units, surrogate pairs joined) by their characters.
pub(crate) fn decode_escapes(text: &str) -> String {
    let mut units: Vec<u16> = Vec::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(unit) = escape_at(rest) {
            units.push(unit);
            rest = &rest[7..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        let mut buf = [0u16; 2];
        units.extend_from_slice(c.encode_utf16(&mut buf));
        rest = &rest[c.len_utf8()..];
    }
    String::from_utf16_lossy(&units)
}

/// The code unit of an `_xHHHH_` escape at the start of `text`, if there is one.
fn escape_at(text: &str) -> Option<u16> {
    let head = text.as_bytes().get(..7)?;
    if !head.starts_with(b"_x") || head[6] != b'_' {
        return None;
    }
    let hex = std::str::from_utf8(&head[2..6]).ok()?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

/// The value as `ST_Xstring`: characters XML 1.0 cannot carry become `_xHHHH_`, and the `_`
/// of a literal escape-like sequence becomes `_x005F_`. Tabs and line feeds stay as they are.
pub(crate) fn encode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let forbidden = (c < ' ' && c != '\t' && c != '\n') || c == '\u{FFFE}' || c == '\u{FFFF}';
        if forbidden {
            out.push_str(&format!("_x{:04X}_", u32::from(c)));
        } else if c == '_' && escape_at(&text[i..]).is_some() {
            out.push_str("_x005F_");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for s in [
            "plain",
            "line\r\nbreak",
            "literal _x0041_ stays",
            "bell\u{7} and tab\t",
            "_x005F_",
            "emoji 🚀",
        ] {
            assert_eq!(decode_escapes(&encode_escapes(s)), s, "{s:?}");
        }
        assert_eq!(encode_escapes("a\rb"), "a_x000D_b");
        assert_eq!(encode_escapes("_x0041_"), "_x005F_x0041_");
        assert_eq!(decode_escapes("_xD83D__xDE80_"), "🚀");
        assert_eq!(decode_escapes("_x12_ and _xZZZZ_"), "_x12_ and _xZZZZ_");
    }
}
