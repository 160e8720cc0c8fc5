//! Small readers for JSON request bodies.

/// The strings of a JSON array (anything else reads as empty).
pub use amipub_domain::lifecycle::live::strings;
