//! Cell references of SpreadsheetML (`A1`, `AB12`, `A1:BZ3`): column letters to numbers and
//! back, and the bounds of a range. Columns and rows are 1-based here, as in the references.
//!
//! Limits from ECMA-376 Part 1, §18.3.1.73 (`row`) and the Excel specifications
//! (<https://support.microsoft.com/office/excel-specifications-and-limits-1672b34d-7043-467e-8e27-269d656771c3>):
//! 1,048,576 rows and 16,384 columns (`XFD`).

/// The last row number a worksheet can hold.
pub(crate) const MAX_ROW: u32 = 1_048_576;
/// The last column number a worksheet can hold (`XFD`).
pub(crate) const MAX_COL: u32 = 16_384;

/// `1` → `A`, `28` → `AB`.
pub(crate) fn column_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    while col > 0 {
        let rem = (col - 1) % 26;
        out.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        col = (col - 1) / 26;
    }
    out.iter().rev().collect()
}

/// The column number of the letters that start `reference` (`AB12` → 28), if any.
pub(crate) fn column_of(reference: &str) -> Option<u32> {
    let letters: &str = reference
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| {
        acc * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1
    });
    (col <= MAX_COL).then_some(col)
}

/// `(column, row)` of a single-cell reference such as `AB12` (`$` anchors allowed).
pub(crate) fn parse_cell(reference: &str) -> Option<(u32, u32)> {
    let plain: String = reference.chars().filter(|c| *c != '$').collect();
    let col = column_of(&plain)?;
    let digits = plain.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let row: u32 = digits.parse().ok()?;
    (1..=MAX_ROW).contains(&row).then_some((col, row))
}

/// A rectangle of cells, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    /// First column.
    pub(crate) col1: u32,
    /// First row.
    pub(crate) row1: u32,
    /// Last column.
    pub(crate) col2: u32,
    /// Last row.
    pub(crate) row2: u32,
}

impl Bounds {
    /// Parses `A1` or `A1:BZ3`.
    pub(crate) fn parse(reference: &str) -> Option<Self> {
        let (first, last) = reference.split_once(':').unwrap_or((reference, reference));
        let (col1, row1) = parse_cell(first)?;
        let (col2, row2) = parse_cell(last)?;
        Some(Self {
            col1: col1.min(col2),
            row1: row1.min(row2),
            col2: col1.max(col2),
            row2: row1.max(row2),
        })
    }

    /// The smallest rectangle holding both.
    pub(crate) fn union(self, other: Self) -> Self {
        Self {
            col1: self.col1.min(other.col1),
            row1: self.row1.min(other.row1),
            col2: self.col2.max(other.col2),
            row2: self.row2.max(other.row2),
        }
    }

    /// The reference in the form the `dimension` element uses.
    pub(crate) fn reference(self) -> String {
        let first = format!("{}{}", column_letters(self.col1), self.row1);
        if (self.col1, self.row1) == (self.col2, self.row2) {
            return first;
        }
        format!("{first}:{}{}", column_letters(self.col2), self.row2)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly by design.
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip() {
        for (n, s) in [(1, "A"), (26, "Z"), (27, "AA"), (28, "AB"), (16_384, "XFD")] {
            assert_eq!(column_letters(n), s);
            assert_eq!(column_of(s), Some(n));
        }
        assert_eq!(column_of("XFE1"), None);
        assert_eq!(column_of("12"), None);
    }

    #[test]
    fn bounds_parse_and_union() {
        let a = Bounds::parse("A1:AB3").unwrap();
        assert_eq!(a.reference(), "A1:AB3");
        let b = Bounds::parse("$C$7").unwrap();
        assert_eq!(a.union(b).reference(), "A1:AB7");
        assert_eq!(Bounds::parse("A0"), None);
        assert_eq!(Bounds::parse("A1:"), None);
    }
}
