//! Files amipub rewrites (product specs, the feed): replaced whole or not at all.

use std::path::Path;

use anyhow::Context;

/// Replaces a file through a temporary file (`<path>.<tmp_ext>`) and a rename, so an
/// interruption never leaves half of it.
pub fn write_atomic(path: &Path, text: impl AsRef<[u8]>, tmp_ext: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension(tmp_ext);
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}
