//! One module per subcommand.

pub mod load_form;
pub mod plan;
pub mod sandbox;
pub mod validate;
