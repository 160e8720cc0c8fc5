//! amipub's pure core: identifiers, product specs and their validation, the templates they use,
//! and the Marketplace Catalog change sets a spec turns into.
//!
//! Nothing here performs I/O, reads a clock or logs: every function takes what it needs and
//! returns a value, so everything is testable with plain unit tests (HOUSE_STYLE rule 1).

pub mod catalog_data;
pub mod changeset;
pub mod console;
pub mod ids;
pub mod image;
pub mod job;
pub mod lifecycle;
pub mod limits;
pub mod load_form;
pub mod messages;
pub mod release;
pub mod second_party;
pub mod settings;
pub mod spec;
pub mod tags;
pub mod template;
pub mod validate;
