//! Typed requirements on a response and their deterministic verifiers: the core of
//! the constrained route's draft → verify → refine loop and of IFEval scoring.
//!
//! - [`Requirement`]: one variant per IFEval instruction type (25) plus flinch's own
//!   "N-word sentences" ([`Requirement::WordsPerSentence`]) and line counts
//!   ([`Requirement::NumberLines`]); counts carry a [`Relation`].
//! - [`Requirement::check`] returns a [`Verdict`]: pass, or a [`Failure`] saying what
//!   failed and where; [`check_all`] applies IFEval's strict or loose [`Mode`].
//! - [`Requirement::from_ifeval`] / [`Requirement::to_ifeval`] convert IFEval rows.
//! - [`Requirement::describe`] gives a short imperative sentence for prompts.

mod check;
mod error;
mod ifeval;
mod language;
mod loose;
mod punkt;
mod requirement;
mod text;
mod treebank;
mod verdict;

pub use error::{RequirementError, Result};
pub use loose::{check_all, loose_variants, Mode};
pub use requirement::{Language, Relation, Requirement, RequirementKind, CONSTRAINED_RESPONSE_OPTIONS};
pub use verdict::{Failure, LetterCase, Location, MissingQuote, Unit, Verdict};
