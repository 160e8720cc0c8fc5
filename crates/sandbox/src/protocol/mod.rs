//! Wire protocols: reading the SigV4 credential scope (`sigv4`), form-encoded query requests
//! (`query`), XML responses (`xml`), and the error shapes of each protocol (`errors`).

pub mod errors;
pub mod json;
pub mod query;
pub mod sigv4;
pub mod xml;
