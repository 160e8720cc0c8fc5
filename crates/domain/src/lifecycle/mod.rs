//! The product lifecycle beyond single versions (`docs/usage/lifecycle.md`): what the live
//! listing looks like (`live`, read from DescribeEntity documents), how it differs from the spec
//! and which changes bring it in line (`diff`), the marketing approval that listing content needs
//! (`approval`), which versions retire and which seller-side images may go (`retention`), the
//! change sets that bring a listing in line (`sync`), the audit rows of `amipub verify`
//! (`audit`), and the buyer's view of a listing (`buyer`). Pure: callers fetch the documents and
//! act on the answers.

pub mod approval;
pub mod audit;
pub mod buyer;
pub mod diff;
pub mod live;
pub mod parameters;
pub mod retention;
pub mod sync;

pub use approval::{ApprovalError, check_approval, content_hash};
pub use audit::{Row, Status};
pub use diff::{FieldDiff, diff, sync_changes};
pub use live::{LiveListing, LiveVersion};
pub use sync::{SyncPlan, plan_sync, plan_sync_of};
