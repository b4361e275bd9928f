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
//! - [`parse_requirements`] finds requirements in a natural-language request;
//!   [`is_constrained`] is the router's signal.
//! - [`Requirement::repair`] is the deterministic, meaning-preserving repair policy.

mod check;
mod error;
mod ifeval;
mod language;
mod loose;
mod parse;
mod punkt;
mod repair;
mod requirement;
mod text;
mod treebank;
mod verdict;

pub use error::{RequirementError, Result};
pub use loose::{Mode, check_all, loose_variants};
pub use parse::{is_constrained, parse_requirements};
pub use repair::{Repair, RepairAction};
pub use requirement::{
    CONSTRAINED_RESPONSE_OPTIONS, Language, Relation, Requirement, RequirementKind,
};
pub use verdict::{Failure, LetterCase, Location, MissingQuote, Unit, Verdict};

/// The measures the verifiers are built on, for traces and reports.
pub mod measure {
    /// Number of sentences, as IFEval counts them (NLTK Punkt, English parameters).
    pub fn count_sentences(text: &str) -> usize {
        super::punkt::count_sentences(text)
    }

    /// The sentences of `text` (NLTK Punkt, English parameters).
    pub fn sentences(text: &str) -> Vec<&str> {
        super::punkt::sentence_spans(text)
            .into_iter()
            .map(|(a, b)| &text[a..b])
            .collect()
    }

    /// Number of words, as IFEval counts them (`\w+` runs).
    pub fn count_words(text: &str) -> usize {
        super::text::count_words(text)
    }

    /// Number of `nltk.word_tokenize` tokens written in capitals (Python `isupper`).
    pub fn count_capital_words(text: &str) -> usize {
        super::check::count_capital_words(text)
    }

    /// ISO 639-1 code of the language of `text` (ISO 639-3 when it has no two-letter
    /// code), or `None` when there is nothing to identify.
    pub fn detect_language(text: &str) -> Option<String> {
        super::language::detect(text)
    }
}
