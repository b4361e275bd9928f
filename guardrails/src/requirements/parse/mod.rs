//! Requirements stated in a natural-language request, found with deterministic
//! patterns over common phrasings ("in fewer than 10 lines", "four-word sentences",
//! "no commas", "exactly 3 bullet points", "wrap your entire response in double
//! quotes", "include the keywords X and Y", …).
//!
//! The patterns were written from the phrasings of IFEval prompts and common requests;
//! `tests/requirements_parser.rs` measures recall and precision per type on the IFEval
//! prompts (whose instruction lists are the gold). Conventions where a phrasing is
//! loose: a bare word count ("a 300-word essay") means at least that many words, as
//! IFEval reads it; a bare sentence, line or bullet count means exactly that many;
//! paragraph counts become [`Requirement::NumberParagraphs`] only when the request
//! mentions the `***` divider, since that is what the verifier counts.

mod counts;
mod format;
mod lexical;
mod numbers;

use regex::Regex;

use super::requirement::{Relation, Requirement};

/// A requirement and the byte offset where its phrasing starts.
pub(super) struct Found {
    pub at: usize,
    pub req: Requirement,
}

pub(super) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid parser regex")
}

/// The requirements stated in `instruction`, in the order they are stated; duplicates
/// (including "at most 2" and "fewer than 3" of the same thing) are dropped.
pub fn parse_requirements(instruction: &str) -> Vec<Requirement> {
    let mut found = Vec::new();
    counts::find(instruction, &mut found);
    lexical::find(instruction, &mut found);
    format::find(instruction, &mut found);
    found.sort_by_key(|f| f.at);
    let mut out: Vec<Requirement> = Vec::new();
    let mut keys: Vec<Requirement> = Vec::new();
    for f in found {
        let key = semantic_key(&f.req);
        if !keys.contains(&key) {
            keys.push(key);
            out.push(f.req);
        }
    }
    out
}

/// Whether `question` states any checkable requirement: the router's signal for the
/// constrained route.
pub fn is_constrained(question: &str) -> bool {
    !parse_requirements(question).is_empty()
}

/// The requirement with `AtMost n` written as `LessThan n+1` and `MoreThan n` as
/// `AtLeast n+1`, so that equivalent phrasings compare equal.
pub(super) fn semantic_key(req: &Requirement) -> Requirement {
    let canon = |r: Relation, n: usize| match r {
        Relation::AtMost => (Relation::LessThan, n + 1),
        Relation::MoreThan => (Relation::AtLeast, n + 1),
        other => (other, n),
    };
    let mut r = req.clone();
    use Requirement as R;
    match &mut r {
        R::KeywordFrequency {
            relation, count, ..
        }
        | R::LetterFrequency {
            relation, count, ..
        }
        | R::NumberSentences { relation, count }
        | R::NumberParagraphs { relation, count }
        | R::NumberWords { relation, count }
        | R::NumberPlaceholders { relation, count }
        | R::NumberBulletLists { relation, count }
        | R::NumberHighlightedSections { relation, count }
        | R::MultipleSections {
            relation, count, ..
        }
        | R::CapitalWordFrequency { relation, count }
        | R::WordsPerSentence { relation, count }
        | R::NumberLines { relation, count } => {
            (*relation, *count) = canon(*relation, *count);
        }
        _ => {}
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_requests() {
        assert_eq!(
            parse_requirements("Write a poem about the sea in fewer than 10 lines"),
            vec![Requirement::NumberLines {
                relation: Relation::LessThan,
                count: 10
            }]
        );
        assert_eq!(
            parse_requirements("Describe a cat using only four-word sentences and no commas."),
            vec![
                Requirement::WordsPerSentence {
                    relation: Relation::Exactly,
                    count: 4
                },
                Requirement::NoComma
            ]
        );
        assert!(!is_constrained("What is the capital of France?"));
        assert!(is_constrained("List exactly 3 bullet points about tea."));
    }

    #[test]
    fn equivalent_phrasings_are_deduplicated() {
        assert_eq!(
            parse_requirements("Keep it under 3 sentences (at most 2 sentences)."),
            vec![Requirement::NumberSentences {
                relation: Relation::LessThan,
                count: 3
            }]
        );
    }
}
