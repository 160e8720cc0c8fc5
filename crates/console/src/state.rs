//! What every handler shares: the store, the port to the running service, the access rules and
//! the signing key.

use std::sync::Arc;

use amipub_store::SqlStore;

use crate::access::Access;
use crate::keys::Keys;
use crate::ops::Operations;

/// The console's state.
pub struct App {
    /// The store every worker writes.
    pub store: SqlStore,
    /// The clock and the actions.
    pub ops: Arc<dyn Operations>,
    /// Who may do what.
    pub access: Access,
    /// The signing key.
    pub keys: Keys,
    /// The environment variable of the operator token (named on the sign-in page).
    pub token_env: String,
}
