//! What amipub's fuzz targets share: how a target's input bytes are framed into the arguments
//! of the parser it drives — a bus delivery (`delivery`), a signed request to the sandbox
//! (`request`), the parts of a workbook (`workbook`) — and the fresh sandbox world each request
//! is answered against. The seed generator (`src/bin/seeds.rs`) writes inputs in these framings,
//! so `decode(encode(x)) == x` for everything it writes.
//!
//! A framing never refuses bytes it can read at all: the point is to reach the parser with as
//! much of the input as possible, so missing parts read as absent or empty.

pub mod delivery;
pub mod request;
pub mod workbook;

/// Splits `data` at its first line feed: the line (without it) and the rest. Without a line feed
/// the whole input is the line.
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}
