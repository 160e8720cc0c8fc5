//! Fuzz target `spec`: a product spec as an operator writes it (TOML text), through parsing,
//! every validation rule and, when it validates, what is built from it: the creation plan and
//! the product load form's row. Entry points: `amipub_domain::validate::validate_text`,
//! `amipub_domain::changeset::plan::plan_create`, `amipub_domain::load_form::row`.
#![no_main]

use amipub_domain::changeset::plan::plan_create;
use amipub_domain::load_form;
use amipub_domain::validate::{has_errors, validate_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Specs are read with `read_to_string`: bytes that are not UTF-8 never reach the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (spec, problems) = validate_text(text);
    if let Some(spec) = spec
        && !has_errors(&problems)
    {
        let _ = plan_create(&spec, None);
        let _ = load_form::row(&spec, None);
    }
});
