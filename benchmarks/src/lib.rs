//! flinch benchmarks: the model raw vs guarded on public suites, with a
//! replayable tape.
//!
//! - [`suite`]: the suites ([`Suite`]), their [`Item`]s and gold answers;
//!   [`suites`] loads each dataset format (`--data PATH`).
//! - [`extract`] and [`score`]: answer extraction and scoring, pure
//!   functions of a tape record; [`classify`]: automatic error classes.
//! - [`run`]: the [`Runner`] (raw: the engine with the suite's standard
//!   prompting, batched; guarded: `Pipeline::answer`), appending to the tape
//!   ([`tape`]) and resuming from it.
//! - [`summary`], [`stats`], [`report`], [`chart`]: accuracy with Wilson
//!   intervals, the paired-bootstrap uplift, Markdown and SVG.
//! - [`replay`]: re-scoring a tape without the model; [`judge`]: an optional
//!   local judge model for MT-bench.

pub mod chart;
pub mod classify;
pub mod extract;
pub mod judge;
pub mod pool;
pub mod record;
pub mod replay;
pub mod report;
pub mod run;
pub mod score;
pub mod stats;
pub mod suite;
pub mod suites;
pub mod summary;
pub mod tape;
pub mod templates;

pub use classify::ErrorClass;
pub use run::{Progress, RunConfig, Runner, SharedLlm};
pub use suite::{Gold, Item, Selection, Shard, Suite};
pub use tape::{Mode, Record};
