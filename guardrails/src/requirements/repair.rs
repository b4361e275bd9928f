//! Deterministic repairs: a separate policy from the verdicts. A repair is offered
//! only where the change keeps the meaning of the response, and only if the repaired
//! text then passes the requirement; everything else is for the model to fix.
//!
//! | requirement | repair | why it keeps the meaning |
//! |---|---|---|
//! | lowercase / capital letters | change the case of every letter | case carries no content here |
//! | quotation | add the missing `"` at either end | wrapping adds no words |
//! | end phrase | append the phrase when it is absent | the user dictated the phrase; nothing is removed |
//! | no commas | remove thousands separators (`1,000` → `1000`); replace other commas by a space | the words and their order stay. Not offered when a comma sits between digits otherwise (`3,5`, `1,2,3`): removing it would merge numbers |
//! | title | turn a first-line heading (`# Title`, `**Title**`, `Title: …`) into `<<Title>>` | same title, other markup |
//! | `***` paragraphs | join blank-line paragraphs with `***` when their number is right | same paragraphs, other separator |
//! | bullet lists | turn `1.`/`1)` list lines into `* ` bullets when their number is right | same items, other markers |
//! | sections | fix the case of the splitter (`Section 1` → `SECTION 1`) | same sections |
//! | postscript | normalise a line-start `PS:`/`p.s` to the marker | same postscript |
//! | repeat the request | prepend the request | the instruction asks for exactly this text |
//! | JSON | keep the single JSON block when text surrounds it | the surrounding text is framing, which the instruction forbids |
//!
//! Not repaired (the model must rewrite): counts of words, sentences, lines, bullets
//! or placeholders, keywords, forbidden words, letter and capital-word frequencies,
//! language, highlights, a missing postscript or title, two responses, the
//! constrained answer, and an end phrase followed by other text (removing that text
//! would drop content). A repair can break another requirement (lowercasing removes
//! capital words): callers re-check every requirement after repairing.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::check::json_body;
use super::requirement::Requirement;
use super::verdict::MissingQuote;

/// What a repair changed, for the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RepairAction {
    Lowercased,
    Uppercased,
    AddedQuotes {
        missing: MissingQuote,
    },
    AppendedEndPhrase,
    RemovedCommas {
        thousands_separators: usize,
        other: usize,
    },
    TitleFromHeading {
        title: String,
    },
    JoinedParagraphsWithDivider {
        paragraphs: usize,
    },
    NumberedListToBullets {
        items: usize,
    },
    FixedSectionSplitterCase {
        sections: usize,
    },
    NormalisedPostscriptMarker,
    PrependedRequest,
    KeptJsonBlock,
}

/// A repaired response and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    pub text: String,
    pub action: RepairAction,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid repair regex")
}

static THOUSANDS: LazyLock<Regex> = LazyLock::new(|| re(r"(\d),(\d{3})\b"));
static DIGIT_COMMA: LazyLock<Regex> = LazyLock::new(|| re(r"\d,\d"));
static COMMA: LazyLock<Regex> = LazyLock::new(|| re(r" *,[ \t]*"));
static HEADING: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^\s*(?:#{1,6}\s+(.+?)|\*\*(.+?)\*\*|title\s*:\s*(.+?))\s*$"));
static NUMBERED: LazyLock<Regex> = LazyLock::new(|| re(r"(?m)^(\s*)\d+[.)]\s+"));
static BLANK_LINES: LazyLock<Regex> = LazyLock::new(|| re(r"\n\s*\n"));
static FENCE: LazyLock<Regex> = LazyLock::new(|| re(r"(?s)```[A-Za-z]*\s*\n(.*?)```"));

impl Requirement {
    /// A meaning-preserving repair of `response` that makes it pass this requirement,
    /// or `None` if the response already passes or only the model can fix it (see the
    /// module docs for the policy).
    pub fn repair(&self, response: &str) -> Option<Repair> {
        if self.check(response).is_pass() || response.trim().is_empty() {
            return None;
        }
        let candidate = self.candidate(response)?;
        self.check(&candidate.text).is_pass().then_some(candidate)
    }

    fn candidate(&self, response: &str) -> Option<Repair> {
        use Requirement as R;
        let repair = |text: String, action| Some(Repair { text, action });
        match self {
            R::EnglishLowercase => repair(response.to_lowercase(), RepairAction::Lowercased),
            R::EnglishCapital => repair(response.to_uppercase(), RepairAction::Uppercased),
            R::Quotation => {
                let v = response.trim();
                let (open, close) = (v.starts_with('"'), v.len() > 1 && v.ends_with('"'));
                let missing = match (open, close) {
                    (true, false) => MissingQuote::Closing,
                    (false, true) => MissingQuote::Opening,
                    _ => MissingQuote::Both,
                };
                let text = format!(
                    "{}{v}{}",
                    if open { "" } else { "\"" },
                    if close { "" } else { "\"" }
                );
                repair(text, RepairAction::AddedQuotes { missing })
            }
            R::EndPhrase { phrase } => {
                if response
                    .to_lowercase()
                    .contains(&phrase.trim().to_lowercase())
                {
                    return None;
                }
                repair(
                    format!("{}\n\n{}", response.trim_end(), phrase.trim()),
                    RepairAction::AppendedEndPhrase,
                )
            }
            R::NoComma => {
                let thousands_separators = THOUSANDS.find_iter(response).count();
                let without_separators = THOUSANDS.replace_all(response, "$1$2").into_owned();
                if DIGIT_COMMA.is_match(&without_separators) {
                    return None;
                }
                let other = without_separators.matches(',').count();
                let text = COMMA.replace_all(&without_separators, " ").into_owned();
                repair(
                    text,
                    RepairAction::RemovedCommas {
                        thousands_separators,
                        other,
                    },
                )
            }
            R::Title => {
                let mut lines: Vec<&str> = response.lines().collect();
                let first = lines.iter().position(|l| !l.trim().is_empty())?;
                let caps = HEADING.captures(lines[first])?;
                let title = caps
                    .get(1)
                    .or_else(|| caps.get(2))
                    .or_else(|| caps.get(3))?
                    .as_str()
                    .trim();
                if title.split_whitespace().count() > 12 {
                    return None;
                }
                let title = title.to_string();
                let line = format!("<<{title}>>");
                lines[first] = &line;
                repair(lines.join("\n"), RepairAction::TitleFromHeading { title })
            }
            R::NumberParagraphs { .. } => {
                if response.contains("***") {
                    return None;
                }
                let parts: Vec<&str> = BLANK_LINES
                    .split(response.trim())
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                let paragraphs = parts.len();
                repair(
                    parts.join("\n\n***\n\n"),
                    RepairAction::JoinedParagraphsWithDivider { paragraphs },
                )
            }
            R::NumberBulletLists { .. } => {
                let items = NUMBERED.find_iter(response).count();
                if items == 0 {
                    return None;
                }
                repair(
                    NUMBERED.replace_all(response, "$1* ").into_owned(),
                    RepairAction::NumberedListToBullets { items },
                )
            }
            R::MultipleSections { splitter, .. } => {
                let pattern = re(&format!(r"(?i)\b{}(\s?\d+)", regex::escape(splitter)));
                let sections = pattern.find_iter(response).count();
                let text = pattern
                    .replace_all(response, |c: &regex::Captures<'_>| {
                        format!("{splitter}{}", &c[1])
                    })
                    .into_owned();
                repair(text, RepairAction::FixedSectionSplitterCase { sections })
            }
            R::Postscript { marker } => {
                let pattern = match marker.as_str() {
                    "P.P.S" => re(r"(?im)^(\s*)p\.?\s?p\.?\s?s\b\.?:?\s*"),
                    "P.S." => re(r"(?im)^(\s*)p\.?\s?s\b\.?:?\s*"),
                    _ => return None,
                };
                if !pattern.is_match(response) {
                    return None;
                }
                let text = pattern
                    .replace_all(response, format!("${{1}}{marker} ").as_str())
                    .into_owned();
                repair(text, RepairAction::NormalisedPostscriptMarker)
            }
            R::RepeatPrompt { prompt_to_repeat } => repair(
                format!("{}\n\n{}", prompt_to_repeat.trim(), response.trim_start()),
                RepairAction::PrependedRequest,
            ),
            R::JsonFormat => {
                let blocks: Vec<&str> = FENCE
                    .captures_iter(response)
                    .filter_map(|c| c.get(1).map(|m| m.as_str()))
                    .filter(|b| serde_json::from_str::<serde_json::Value>(json_body(b)).is_ok())
                    .collect();
                let body = match blocks.as_slice() {
                    [one] => one.trim().to_string(),
                    [] => {
                        let (start, end) =
                            (response.find(['{', '['])?, response.rfind(['}', ']'])?);
                        let inner = response.get(start..=end)?;
                        serde_json::from_str::<serde_json::Value>(inner).ok()?;
                        inner.to_string()
                    }
                    _ => return None,
                };
                repair(format!("```json\n{body}\n```"), RepairAction::KeptJsonBlock)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requirements::Relation;

    fn fixed(req: &Requirement, response: &str) -> Option<(String, RepairAction)> {
        req.repair(response).map(|r| (r.text, r.action))
    }

    #[test]
    fn case_quotes_and_end_phrase() {
        assert_eq!(
            fixed(
                &Requirement::EnglishLowercase,
                "The Sea is calm and I am happy today."
            ),
            Some((
                "the sea is calm and i am happy today.".into(),
                RepairAction::Lowercased
            ))
        );
        assert_eq!(
            fixed(&Requirement::Quotation, " Calm sea.\" "),
            Some((
                "\"Calm sea.\"".into(),
                RepairAction::AddedQuotes {
                    missing: MissingQuote::Opening
                }
            ))
        );
        let end = Requirement::EndPhrase {
            phrase: "Peace!".into(),
        };
        assert_eq!(
            fixed(&end, "We should get along.\n"),
            Some((
                "We should get along.\n\nPeace!".into(),
                RepairAction::AppendedEndPhrase
            ))
        );
        assert_eq!(fixed(&end, "Peace! And love."), None);
        assert_eq!(
            fixed(&Requirement::NoComma, "No commas here."),
            None,
            "already passes"
        );
    }

    #[test]
    fn commas_are_removed_only_where_safe() {
        assert_eq!(
            fixed(&Requirement::NoComma, "Yes, it cost 1,500 dollars, sadly."),
            Some((
                "Yes it cost 1500 dollars sadly.".into(),
                RepairAction::RemovedCommas {
                    thousands_separators: 1,
                    other: 2
                }
            ))
        );
        assert_eq!(fixed(&Requirement::NoComma, "Pi is about 3,14 here."), None);
    }

    #[test]
    fn structural_repairs() {
        assert_eq!(
            fixed(&Requirement::Title, "# The Sea\nWaves roll."),
            Some((
                "<<The Sea>>\nWaves roll.".into(),
                RepairAction::TitleFromHeading {
                    title: "The Sea".into()
                }
            ))
        );
        let paragraphs = Requirement::NumberParagraphs {
            relation: Relation::Exactly,
            count: 2,
        };
        assert_eq!(
            fixed(&paragraphs, "First.\n\nSecond."),
            Some((
                "First.\n\n***\n\nSecond.".into(),
                RepairAction::JoinedParagraphsWithDivider { paragraphs: 2 }
            ))
        );
        assert_eq!(fixed(&paragraphs, "First.\n\nSecond.\n\nThird."), None);
        let bullets = Requirement::NumberBulletLists {
            relation: Relation::Exactly,
            count: 2,
        };
        assert_eq!(
            fixed(&bullets, "Fruits:\n1. apples\n2) pears"),
            Some((
                "Fruits:\n* apples\n* pears".into(),
                RepairAction::NumberedListToBullets { items: 2 }
            ))
        );
        let sections = Requirement::MultipleSections {
            splitter: "SECTION".into(),
            relation: Relation::AtLeast,
            count: 2,
        };
        assert_eq!(
            fixed(&sections, "Section 1\nA.\nsection 2\nB."),
            Some((
                "SECTION 1\nA.\nSECTION 2\nB.".into(),
                RepairAction::FixedSectionSplitterCase { sections: 2 }
            ))
        );
        let pps = Requirement::Postscript {
            marker: "P.P.S".into(),
        };
        assert_eq!(
            fixed(&pps, "Bye.\nPPS: call me"),
            Some((
                "Bye.\nP.P.S call me".into(),
                RepairAction::NormalisedPostscriptMarker
            ))
        );
        let repeat = Requirement::RepeatPrompt {
            prompt_to_repeat: "Write a haiku.".into(),
        };
        assert_eq!(
            fixed(&repeat, "Old pond, frog jumps."),
            Some((
                "Write a haiku.\n\nOld pond, frog jumps.".into(),
                RepairAction::PrependedRequest
            ))
        );
        assert_eq!(
            fixed(
                &Requirement::JsonFormat,
                "Here it is:\n```json\n{\"a\": 1}\n```\nEnjoy!"
            ),
            Some((
                "```json\n{\"a\": 1}\n```".into(),
                RepairAction::KeptJsonBlock
            ))
        );
    }

    #[test]
    fn content_requirements_are_left_to_the_model() {
        let words = Requirement::NumberWords {
            relation: Relation::AtLeast,
            count: 50,
        };
        assert_eq!(words.repair("Too short."), None);
        assert_eq!(
            Requirement::Title.repair("No heading here.\nJust text."),
            None
        );
        assert_eq!(Requirement::TwoResponses.repair("One answer."), None);
    }
}
