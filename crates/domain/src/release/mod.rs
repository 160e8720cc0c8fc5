//! The release pipeline as a pure state machine (`docs/development/pipeline.md`):
//! `decide(release, event, now)` returns the next release and the commands to run. No I/O, no
//! clock, no logging: the engine runs the commands through its ports, turns their results into
//! events and feeds them back. Waiting is data (`next_check_at`), never a sleeping task.
//!
//! `model` holds the release and its states; `event` the events and commands; `assessment` the
//! security scan's controls in amipub's words; `explain` a failed change set's words and remedy;
//! `decide` the transitions; `timing` the polling and backoff policy; `durations` what a release's waits took and what to expect; `pace` the looks placed by them; `locate` the looks for a published version's Regions; `token` the idempotency
//! tokens; `second_party` the "provided by AWS" path's steps; `build`
//! turns a build (command line or bus message) into a new release.

pub mod assessment;
pub mod build;
pub mod decide;
pub mod durations;
pub mod event;
pub mod explain;
pub mod locate;
pub mod model;
pub mod pace;
pub mod second_party;
pub mod second_party_steps;
pub mod steps;
pub mod timing;
pub mod token;

pub use assessment::{ControlFinding, ControlResult};
pub use decide::{decide, explain, untrusted};
pub use event::{Command, Event, ImageFacts};
pub use model::{Failure, FailureKind, Release, State};
pub use steps::mirror_name;
