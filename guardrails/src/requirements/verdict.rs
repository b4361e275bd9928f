//! Structured verdicts: pass, or fail with what failed and where, so that a refine
//! prompt can name exactly what to fix.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::requirement::{Language, Relation, plural};

/// The outcome of checking one requirement against one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail { failure: Failure },
}

impl Verdict {
    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass)
    }

    /// The failure, if the check failed.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail { failure } => Some(failure),
        }
    }

    pub(crate) fn fail(failure: Failure) -> Verdict {
        Verdict::Fail { failure }
    }

    /// `Pass` when `ok`, else the failure built by `failure`.
    pub(crate) fn check(ok: bool, failure: impl FnOnce() -> Failure) -> Verdict {
        if ok {
            Verdict::Pass
        } else {
            Verdict::fail(failure())
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Fail { failure } => write!(f, "fail: {failure}"),
        }
    }
}

/// A position in the response: 1-based line, and 1-based word number (words are
/// `\w+` runs, as IFEval counts them; the word at or after the position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub line: usize,
    pub word: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "word {} (line {})", self.word, self.line)
    }
}

/// What a count counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Words,
    Sentences,
    Paragraphs,
    Lines,
    BulletPoints,
    Placeholders,
    HighlightedSections,
    Sections,
    CapitalWords,
    Responses,
}

impl Unit {
    fn noun(self) -> &'static str {
        match self {
            Unit::Words => "word",
            Unit::Sentences => "sentence",
            Unit::Paragraphs => "paragraph",
            Unit::Lines => "line",
            Unit::BulletPoints => "bullet point",
            Unit::Placeholders => "placeholder",
            Unit::HighlightedSections => "highlighted section",
            Unit::Sections => "section",
            Unit::CapitalWords => "all-capital word",
            Unit::Responses => "response",
        }
    }
}

/// The case a response was asked to be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LetterCase {
    Upper,
    Lower,
}

/// Which double quotation mark is missing around a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingQuote {
    Opening,
    Closing,
    Both,
}

/// What failed, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The response is empty or whitespace (IFEval fails every instruction then).
    EmptyResponse,
    /// A count is out of range: "3 sentences, need at most 2".
    Count {
        unit: Unit,
        found: usize,
        relation: Relation,
        required: usize,
    },
    /// A keyword occurs the wrong number of times.
    KeywordCount {
        keyword: String,
        found: usize,
        relation: Relation,
        required: usize,
    },
    /// A letter occurs the wrong number of times.
    LetterCount {
        letter: char,
        found: usize,
        relation: Relation,
        required: usize,
    },
    /// Keywords that do not occur.
    MissingKeywords { missing: Vec<String> },
    /// A forbidden word occurs; `first` is its first occurrence.
    ForbiddenWord {
        word: String,
        occurrences: usize,
        first: Location,
    },
    /// Commas occur; `first` is the first one.
    Commas { count: usize, first: Location },
    /// The detected language differs (`detected` is an ISO 639-1 code when one exists,
    /// else ISO 639-3).
    WrongLanguage {
        expected: Language,
        detected: String,
    },
    /// Letters in the wrong case; `word` is the first word containing one.
    WrongCase {
        expected: LetterCase,
        letters: usize,
        word: String,
        first: Location,
    },
    /// Part `index` (1-based) between two separators is empty.
    EmptyPart { unit: Unit, index: usize },
    /// Paragraph `paragraph` starts with the wrong word.
    FirstWord {
        paragraph: usize,
        expected: String,
        found: String,
    },
    /// No postscript starting with the marker.
    MissingPostscript { marker: String },
    /// No `<<title>>`.
    MissingTitle,
    /// The response is not JSON.
    NotJson { error: String },
    /// None of the constrained answers occurs.
    NoConstrainedOption,
    /// The two responses are the same.
    IdenticalResponses,
    /// The response does not start with the request; they differ from character
    /// `diverges_at` (0-based, in the trimmed response).
    NotRepeated { diverges_at: usize, found: String },
    /// The response does not end with the phrase; `found` is its actual ending.
    WrongEnding { expected: String, found: String },
    /// The response is not wrapped in double quotation marks.
    NotQuoted { missing: MissingQuote },
    /// A sentence (1-based `sentence`) has the wrong number of words; `offending` counts
    /// all such sentences.
    SentenceLength {
        sentence: usize,
        words: usize,
        relation: Relation,
        required: usize,
        text: String,
        offending: usize,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::EmptyResponse => f.write_str("the response is empty"),
            Failure::Count {
                unit,
                found,
                relation,
                required,
            } => write!(
                f,
                "{}, need {} {}",
                plural(*found, unit.noun()),
                relation.phrase(),
                required
            ),
            Failure::KeywordCount {
                keyword,
                found,
                relation,
                required,
            } => write!(
                f,
                "keyword `{keyword}` appears {}, need {} {}",
                times(*found),
                relation.phrase(),
                required
            ),
            Failure::LetterCount {
                letter,
                found,
                relation,
                required,
            } => write!(
                f,
                "letter `{letter}` appears {}, need {} {}",
                times(*found),
                relation.phrase(),
                required
            ),
            Failure::MissingKeywords { missing } => {
                let list: Vec<String> = missing.iter().map(|k| format!("`{k}`")).collect();
                write!(f, "missing keywords: {}", list.join(", "))
            }
            Failure::ForbiddenWord {
                word,
                occurrences,
                first,
            } => write!(
                f,
                "forbidden word `{word}` at {first} ({})",
                plural(*occurrences, "occurrence")
            ),
            Failure::Commas { count, first } => {
                write!(f, "{}, the first at {first}", plural(*count, "comma"))
            }
            Failure::WrongLanguage { expected, detected } => write!(
                f,
                "the response is in `{detected}`, need {} (`{}`)",
                expected.name(),
                expected.code()
            ),
            Failure::WrongCase {
                expected,
                letters,
                word,
                first,
            } => {
                let case = match expected {
                    LetterCase::Upper => "lowercase",
                    LetterCase::Lower => "uppercase",
                };
                write!(
                    f,
                    "{} in {case}, the first in `{word}` at {first}",
                    plural(*letters, "letter")
                )
            }
            Failure::EmptyPart { unit, index } => {
                write!(f, "{} {index} is empty", capitalised(unit.noun()))
            }
            Failure::FirstWord {
                paragraph,
                expected,
                found,
            } => write!(
                f,
                "paragraph {paragraph} starts with `{found}`, need `{expected}`"
            ),
            Failure::MissingPostscript { marker } => {
                write!(f, "no postscript starting with {marker}")
            }
            Failure::MissingTitle => f.write_str("no title wrapped in <<double angular brackets>>"),
            Failure::NotJson { error } => write!(f, "not valid JSON: {error}"),
            Failure::NoConstrainedOption => f.write_str(
                "none of \"My answer is yes.\", \"My answer is no.\", \"My answer is maybe.\" appears",
            ),
            Failure::IdenticalResponses => f.write_str("the two responses are identical"),
            Failure::NotRepeated { diverges_at, found } => write!(
                f,
                "the response does not start with the request repeated word for word; it differs at character {diverges_at}: `{found}`"
            ),
            Failure::WrongEnding { expected, found } => {
                write!(f, "the response ends with `{found}`, need `{expected}`")
            }
            Failure::NotQuoted { missing } => {
                let which = match missing {
                    MissingQuote::Opening => "the opening double quote is missing",
                    MissingQuote::Closing => "the closing double quote is missing",
                    MissingQuote::Both => "the response is not wrapped in double quotes",
                };
                f.write_str(which)
            }
            Failure::SentenceLength {
                sentence,
                words,
                relation,
                required,
                text,
                offending,
            } => write!(
                f,
                "sentence {sentence} has {}, need {} {required}: `{text}` ({} of the wrong length)",
                plural(*words, "word"),
                relation.phrase(),
                plural(*offending, "sentence")
            ),
        }
    }
}

fn times(n: usize) -> String {
    if n == 1 {
        "1 time".to_string()
    } else {
        format!("{n} times")
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_failures_read_like_instructions() {
        let f = Failure::Count {
            unit: Unit::Sentences,
            found: 3,
            relation: Relation::AtMost,
            required: 2,
        };
        assert_eq!(f.to_string(), "3 sentences, need at most 2");
        let one = Failure::Count {
            unit: Unit::BulletPoints,
            found: 1,
            relation: Relation::Exactly,
            required: 3,
        };
        assert_eq!(one.to_string(), "1 bullet point, need exactly 3");
    }

    #[test]
    fn forbidden_word_failure_names_the_place() {
        let f = Failure::ForbiddenWord {
            word: "sea".into(),
            occurrences: 2,
            first: Location { line: 1, word: 12 },
        };
        assert_eq!(
            f.to_string(),
            "forbidden word `sea` at word 12 (line 1) (2 occurrences)"
        );
    }

    #[test]
    fn verdicts_serialise_with_tags() {
        let v = Verdict::fail(Failure::EmptyPart {
            unit: Unit::Paragraphs,
            index: 2,
        });
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"verdict":"fail","failure":{"kind":"empty_part","unit":"paragraphs","index":2}}"#
        );
        assert_eq!(
            serde_json::to_string(&Verdict::Pass).unwrap(),
            r#"{"verdict":"pass"}"#
        );
        assert_eq!(v.to_string(), "fail: Paragraph 2 is empty");
    }
}
