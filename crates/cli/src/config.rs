//! Finding and reading `amipub.toml`: the `--config` path, else `./amipub.toml`, else the
//! built-in example (which points at the sandbox's accounts).

use std::path::{Path, PathBuf};

use amipub_domain::settings::{EXAMPLE_CONFIG, Settings, validate_settings_text};
use amipub_domain::validate::has_errors;
use anyhow::Context;

use crate::report::print_problems;

/// Where the settings came from.
pub enum Source {
    /// A file.
    File(PathBuf),
    /// The built-in example.
    BuiltIn,
}

/// Loads and checks the settings. `Ok(None)` means they were invalid and the problems printed.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Option<(Settings, Source)>> {
    let path = match explicit {
        Some(p) => Some(p.to_owned()),
        None => Some(PathBuf::from("amipub.toml")).filter(|p| p.exists()),
    };
    let (text, source) = match &path {
        Some(p) => (
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the configuration {}", p.display()))?,
            Source::File(p.clone()),
        ),
        None => (EXAMPLE_CONFIG.to_owned(), Source::BuiltIn),
    };
    let (settings, problems) = validate_settings_text(&text);
    let shown = match &source {
        Source::File(p) => p.clone(),
        Source::BuiltIn => PathBuf::from("<built-in amipub.toml>"),
    };
    print_problems(&shown, &problems);
    match settings {
        Some(s) if !has_errors(&problems) => Ok(Some((s, source))),
        _ => Ok(None),
    }
}
