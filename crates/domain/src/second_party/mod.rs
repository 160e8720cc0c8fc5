//! The second-party ("provided by AWS") path outside the release state machine: the
//! `[second_party]` settings and the load form's rows, both pure. The steps themselves are in
//! `release::second_party`; the workbook is filled by the `amipub-loadform` crate.

pub mod form;
pub mod settings;

pub use settings::SecondPartySettings;
