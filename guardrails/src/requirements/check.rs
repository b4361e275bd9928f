//! The deterministic verifier of each requirement.
//!
//! Each IFEval verifier follows the published definition
//! (google-research `instruction_following_eval/instructions.py` and
//! `evaluation_lib.py`). Known divergences from the Python reference:
//! - keywords, forbidden words, postscript markers and section splitters are
//!   matched literally; Python uses them as regular expressions (identical for every
//!   value in the IFEval data, none of which has a regex metacharacter);
//! - sentences: NLTK Punkt re-implemented in `punkt.rs` with NLTK's English parameters;
//! - words for `capital_word_frequency`: NLTK Treebank rules re-implemented in `treebank.rs`;
//! - language: `whatlang` instead of `langdetect` (see `language.rs`);
//! - JSON: `serde_json` rejects `NaN`/`Infinity` and lone surrogate escapes, which
//!   Python's `json.loads` accepts.

use std::sync::LazyLock;

use regex::Regex;

use super::language;
use super::punkt;
use super::requirement::{CONSTRAINED_RESPONSE_OPTIONS, Relation, Requirement};
use super::text::{
    count_words, excerpt, first_difference_ci, location, non_blank_lines, py_islower, py_isupper,
    strip, tail, word_at,
};
use super::treebank;
use super::verdict::{Failure, LetterCase, MissingQuote, Unit, Verdict};

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid verifier regex")
}

static PARAGRAPH_DIVIDER: LazyLock<Regex> = LazyLock::new(|| re(r"\s?\*\*\*\s?"));
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| re(r"\[.*?\]"));
static STAR_BULLET: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*\*[^*].*$"));
static DASH_BULLET: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^\s*-.*$"));
static HIGHLIGHT: LazyLock<Regex> = LazyLock::new(|| re(r"\*[^\n*]*\*"));
static DOUBLE_HIGHLIGHT: LazyLock<Regex> = LazyLock::new(|| re(r"\*\*[^\n*]*\*\*"));
static TITLE: LazyLock<Regex> = LazyLock::new(|| re(r"<<[^\n]+>>"));
static PS: LazyLock<Regex> = LazyLock::new(|| re(r"p\.\s?s\."));
static PPS: LazyLock<Regex> = LazyLock::new(|| re(r"p\.\s?p\.\s?s"));

/// Case-insensitive literal matcher.
fn literal_ci(needle: &str) -> Regex {
    re(&format!("(?i){}", regex::escape(needle)))
}

fn count(unit: Unit, found: usize, relation: Relation, required: usize) -> Verdict {
    Verdict::check(relation.holds(found, required), || Failure::Count {
        unit,
        found,
        relation,
        required,
    })
}

impl Requirement {
    /// Check `response` against this requirement.
    ///
    /// A whitespace-only response fails every requirement, as in IFEval's evaluation
    /// (`response.strip() and instruction.check_following(response)`).
    pub fn check(&self, response: &str) -> Verdict {
        if strip(response).is_empty() {
            return Verdict::fail(Failure::EmptyResponse);
        }
        use Requirement as R;
        match self {
            R::Keywords { keywords } => {
                let missing: Vec<String> = keywords
                    .iter()
                    .filter(|k| !literal_ci(k).is_match(response))
                    .cloned()
                    .collect();
                Verdict::check(missing.is_empty(), || Failure::MissingKeywords { missing })
            }
            R::KeywordFrequency {
                keyword,
                relation,
                count,
            } => {
                let found = literal_ci(keyword).find_iter(response).count();
                Verdict::check(relation.holds(found, *count), || Failure::KeywordCount {
                    keyword: keyword.clone(),
                    found,
                    relation: *relation,
                    required: *count,
                })
            }
            R::ForbiddenWords { words } => forbidden_words(words, response),
            R::LetterFrequency {
                letter,
                relation,
                count,
            } => {
                let found = response
                    .to_lowercase()
                    .chars()
                    .filter(|c| c == letter)
                    .count();
                Verdict::check(relation.holds(found, *count), || Failure::LetterCount {
                    letter: *letter,
                    found,
                    relation: *relation,
                    required: *count,
                })
            }
            R::ResponseLanguage { language: expected } => match language::detect(response) {
                None => Verdict::Pass,
                Some(code) => Verdict::check(code == expected.code(), || Failure::WrongLanguage {
                    expected: *expected,
                    detected: code,
                }),
            },
            R::NumberSentences { relation, count: n } => count(
                Unit::Sentences,
                punkt::count_sentences(response),
                *relation,
                *n,
            ),
            R::NumberParagraphs { relation, count: n } => {
                divider_paragraphs(response, *relation, *n)
            }
            R::NumberWords { relation, count: n } => {
                count(Unit::Words, count_words(response), *relation, *n)
            }
            R::NthParagraphFirstWord {
                paragraphs,
                nth,
                first_word,
            } => nth_paragraph_first_word(response, *paragraphs, *nth, first_word),
            R::NumberPlaceholders { relation, count: n } => count(
                Unit::Placeholders,
                PLACEHOLDER.find_iter(response).count(),
                *relation,
                *n,
            ),
            R::Postscript { marker } => {
                let lower = response.to_lowercase();
                let found = match marker.as_str() {
                    "P.P.S" => PPS.is_match(&lower),
                    "P.S." => PS.is_match(&lower),
                    other => lower.contains(&other.to_lowercase()),
                };
                Verdict::check(found, || Failure::MissingPostscript {
                    marker: marker.clone(),
                })
            }
            R::NumberBulletLists { relation, count: n } => {
                count(Unit::BulletPoints, count_bullets(response), *relation, *n)
            }
            R::ConstrainedResponse => {
                let v = strip(response);
                Verdict::check(
                    CONSTRAINED_RESPONSE_OPTIONS.iter().any(|o| v.contains(o)),
                    || Failure::NoConstrainedOption,
                )
            }
            R::NumberHighlightedSections { relation, count: n } => count(
                Unit::HighlightedSections,
                count_highlights(response),
                *relation,
                *n,
            ),
            R::MultipleSections {
                splitter,
                relation,
                count: n,
            } => count(
                Unit::Sections,
                count_sections(response, splitter),
                *relation,
                *n,
            ),
            R::JsonFormat => match serde_json::from_str::<serde_json::Value>(json_body(response)) {
                Ok(_) => Verdict::Pass,
                Err(e) => Verdict::fail(Failure::NotJson {
                    error: e.to_string(),
                }),
            },
            R::Title => Verdict::check(has_title(response), || Failure::MissingTitle),
            R::TwoResponses => two_responses(response),
            R::RepeatPrompt { prompt_to_repeat } => repeat_prompt(response, prompt_to_repeat),
            R::EndPhrase { phrase } => end_phrase(response, phrase),
            R::CapitalWordFrequency { relation, count: n } => count(
                Unit::CapitalWords,
                count_capital_words(response),
                *relation,
                *n,
            ),
            R::EnglishCapital => english_case(response, LetterCase::Upper),
            R::EnglishLowercase => english_case(response, LetterCase::Lower),
            R::NoComma => match response.find(',') {
                None => Verdict::Pass,
                Some(at) => Verdict::fail(Failure::Commas {
                    count: response.matches(',').count(),
                    first: location(response, at),
                }),
            },
            R::Quotation => quotation(response),
            R::WordsPerSentence { relation, count: n } => {
                words_per_sentence(response, *relation, *n)
            }
            R::NumberLines { relation, count: n } => count(
                Unit::Lines,
                non_blank_lines(response).count(),
                *relation,
                *n,
            ),
        }
    }
}

fn forbidden_words(words: &[String], response: &str) -> Verdict {
    // The forbidden word whose first occurrence comes first in the response.
    let mut worst: Option<(usize, &String, usize)> = None;
    for word in words {
        let pattern = re(&format!(r"(?i)\b{}\b", regex::escape(word)));
        let mut hits = pattern.find_iter(response);
        if let Some(first) = hits.next() {
            let occurrences = 1 + hits.count();
            if worst.is_none_or(|(at, _, _)| first.start() < at) {
                worst = Some((first.start(), word, occurrences));
            }
        }
    }
    match worst {
        None => Verdict::Pass,
        Some((at, word, occurrences)) => Verdict::fail(Failure::ForbiddenWord {
            word: word.clone(),
            occurrences,
            first: location(response, at),
        }),
    }
}

/// IFEval `ParagraphChecker`: paragraphs split on `***`; an empty first or last part
/// does not count, an empty part in the middle fails.
fn divider_paragraphs(response: &str, relation: Relation, n: usize) -> Verdict {
    let parts: Vec<&str> = PARAGRAPH_DIVIDER.split(response).collect();
    let last = parts.len() - 1;
    let mut found = parts.len();
    for (i, part) in parts.iter().enumerate() {
        if strip(part).is_empty() {
            if i == 0 || i == last {
                found -= 1;
            } else {
                return Verdict::fail(Failure::EmptyPart {
                    unit: Unit::Paragraphs,
                    index: i + 1,
                });
            }
        }
    }
    count(Unit::Paragraphs, found, relation, n)
}

/// IFEval `ParagraphFirstWordCheck`: paragraphs split on `\n\n`.
fn nth_paragraph_first_word(
    response: &str,
    paragraphs: usize,
    nth: usize,
    first_word: &str,
) -> Verdict {
    let parts: Vec<&str> = response.split("\n\n").collect();
    let found = parts.iter().filter(|p| !strip(p).is_empty()).count();
    let count_failure = || Failure::Count {
        unit: Unit::Paragraphs,
        found,
        relation: Relation::Exactly,
        required: paragraphs,
    };
    if nth == 0 || nth > found {
        return Verdict::fail(count_failure());
    }
    let paragraph = strip(parts[nth - 1]);
    if paragraph.is_empty() {
        return Verdict::fail(Failure::EmptyPart {
            unit: Unit::Paragraphs,
            index: nth,
        });
    }
    if found != paragraphs {
        return Verdict::fail(count_failure());
    }
    let word = paragraph
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches('\'')
        .trim_start_matches('"');
    let actual: String = word
        .chars()
        .take_while(|c| !matches!(c, '.' | ',' | '?' | '!' | '\'' | '"'))
        .flat_map(char::to_lowercase)
        .collect();
    Verdict::check(actual == first_word, || Failure::FirstWord {
        paragraph: nth,
        expected: first_word.to_string(),
        found: actual.clone(),
    })
}

/// IFEval `BulletListChecker`: lines starting with `*` (not `**`) or `-`.
pub(crate) fn count_bullets(response: &str) -> usize {
    STAR_BULLET.find_iter(response).count() + DASH_BULLET.find_iter(response).count()
}

/// IFEval `HighlightSectionChecker`: non-empty `*…*` spans plus non-empty `**…**` spans.
pub(crate) fn count_highlights(response: &str) -> usize {
    let single = HIGHLIGHT
        .find_iter(response)
        .filter(|m| !strip(m.as_str().trim_matches('*')).is_empty())
        .count();
    let double = DOUBLE_HIGHLIGHT
        .find_iter(response)
        .filter(|m| {
            let inner = &m.as_str()[2..m.as_str().len() - 2];
            !strip(inner).is_empty()
        })
        .count();
    single + double
}

/// IFEval `SectionChecker`: occurrences of `\s?<splitter>\s?\d+\s?` (case-sensitive).
pub(crate) fn count_sections(response: &str, splitter: &str) -> usize {
    re(&format!(r"\s?{}\s?\d+\s?", regex::escape(splitter)))
        .find_iter(response)
        .count()
}

/// IFEval `JsonFormat`: the response without surrounding ``` fences.
pub(crate) fn json_body(response: &str) -> &str {
    let mut v = strip(response);
    for prefix in ["```json", "```Json", "```JSON", "```"] {
        v = v.strip_prefix(prefix).unwrap_or(v);
    }
    strip(v.strip_suffix("```").unwrap_or(v))
}

pub(crate) fn has_title(response: &str) -> bool {
    TITLE.find_iter(response).any(|m| {
        let inner = m.as_str().trim_start_matches('<').trim_end_matches('>');
        !strip(inner).is_empty()
    })
}

/// IFEval `TwoResponsesChecker`.
fn two_responses(response: &str) -> Verdict {
    let parts: Vec<&str> = response.split("******").collect();
    let last = parts.len() - 1;
    let mut valid = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if strip(part).is_empty() {
            if i != 0 && i != last {
                return Verdict::fail(Failure::EmptyPart {
                    unit: Unit::Responses,
                    index: i + 1,
                });
            }
        } else {
            valid.push(strip(part));
        }
    }
    if valid.len() != 2 {
        return Verdict::fail(Failure::Count {
            unit: Unit::Responses,
            found: valid.len(),
            relation: Relation::Exactly,
            required: 2,
        });
    }
    Verdict::check(valid[0] != valid[1], || Failure::IdenticalResponses)
}

/// IFEval `RepeatPromptThenAnswer`: case-insensitive `startswith` on stripped texts.
fn repeat_prompt(response: &str, prompt: &str) -> Verdict {
    let r = strip(response);
    let p = strip(prompt);
    if r.to_lowercase().starts_with(&p.to_lowercase()) {
        return Verdict::Pass;
    }
    let diverges_at = first_difference_ci(r, p).unwrap_or(0);
    Verdict::fail(Failure::NotRepeated {
        diverges_at: r[..diverges_at].chars().count(),
        found: excerpt(r, diverges_at, 40),
    })
}

/// IFEval `EndChecker`.
fn end_phrase(response: &str, phrase: &str) -> Verdict {
    let body = strip(response).trim_matches('"');
    let wanted = strip(phrase).to_lowercase();
    Verdict::check(body.to_lowercase().ends_with(&wanted), || {
        Failure::WrongEnding {
            expected: strip(phrase).to_string(),
            found: tail(body, phrase.chars().count() + 10),
        }
    })
}

/// IFEval `CapitalWordFrequencyChecker`: `nltk.word_tokenize` tokens that are `isupper()`.
pub(crate) fn count_capital_words(response: &str) -> usize {
    treebank::word_tokenize(response)
        .iter()
        .filter(|w| py_isupper(w))
        .count()
}

/// IFEval `CapitalLettersEnglishChecker` / `LowercaseLettersEnglishChecker`.
fn english_case(response: &str, case: LetterCase) -> Verdict {
    let (ok, wrong): (bool, fn(&char) -> bool) = match case {
        LetterCase::Upper => (py_isupper(response), |c| c.is_lowercase()),
        LetterCase::Lower => (py_islower(response), |c| c.is_uppercase()),
    };
    if !ok {
        let letters = response.chars().filter(wrong).count();
        let at = response
            .char_indices()
            .find(|(_, c)| wrong(c))
            .map_or(0, |(i, _)| i);
        if letters == 0 {
            // No letter at all: `isupper`/`islower` are false for uncased text.
            return Verdict::fail(Failure::WrongCase {
                expected: case,
                letters: 0,
                word: excerpt(response, 0, 20),
                first: location(response, 0),
            });
        }
        return Verdict::fail(Failure::WrongCase {
            expected: case,
            letters,
            word: word_at(response, at),
            first: location(response, at),
        });
    }
    match language::detect(response) {
        None => Verdict::Pass,
        Some(code) => Verdict::check(code == "en", || Failure::WrongLanguage {
            expected: super::requirement::Language::English,
            detected: code,
        }),
    }
}

/// IFEval `QuotationChecker`.
fn quotation(response: &str) -> Verdict {
    let v = strip(response);
    let opening = v.starts_with('"');
    let closing = v.len() > 1 && v.ends_with('"');
    let missing = match (opening, closing) {
        (true, true) if v.chars().count() > 1 => return Verdict::Pass,
        (true, _) => MissingQuote::Closing,
        (false, true) => MissingQuote::Opening,
        (false, false) => MissingQuote::Both,
    };
    Verdict::fail(Failure::NotQuoted { missing })
}

/// Sentences for flinch's words-per-sentence requirement: Punkt sentences, each split
/// further at line breaks; pieces without any word (e.g. `***`) are skipped.
pub(crate) fn verse_sentences(response: &str) -> Vec<&str> {
    punkt::sentence_spans(response)
        .into_iter()
        .flat_map(|(a, b)| response[a..b].split('\n'))
        .map(strip)
        .filter(|s| count_words(s) > 0)
        .collect()
}

fn words_per_sentence(response: &str, relation: Relation, n: usize) -> Verdict {
    let sentences = verse_sentences(response);
    let wrong: Vec<(usize, &str, usize)> = sentences
        .iter()
        .enumerate()
        .map(|(i, s)| (i + 1, *s, count_words(s)))
        .filter(|(_, _, words)| !relation.holds(*words, n))
        .collect();
    match wrong.first() {
        None if sentences.is_empty() => Verdict::fail(Failure::Count {
            unit: Unit::Sentences,
            found: 0,
            relation: Relation::AtLeast,
            required: 1,
        }),
        None => Verdict::Pass,
        Some(&(sentence, text, words)) => Verdict::fail(Failure::SentenceLength {
            sentence,
            words,
            relation,
            required: n,
            text: excerpt(text, 0, 80),
            offending: wrong.len(),
        }),
    }
}
