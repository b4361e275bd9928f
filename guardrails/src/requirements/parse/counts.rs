//! Counted units: sentences, words, lines, paragraphs, bullets, placeholders,
//! highlighted sections, marked sections, capital words, words per sentence.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::numbers::{NUM, QUANT, TAIL, number, ordinal, relations};
use super::{Found, re};
use crate::requirements::{Relation, Requirement};

/// `QUANT <up to two filler words> UNIT TAIL`, with the filler in group `gap`.
fn quant_unit(unit: &str) -> Regex {
    re(&format!(
        r"(?i)\b{QUANT}(?P<gap>[ \t-]+(?:[a-z]+[ \t-]+){{0,2}}?)(?P<unit>{unit})\b{TAIL}"
    ))
}

static SENTENCES: LazyLock<Regex> = LazyLock::new(|| quant_unit("sentences?"));
static WORDS: LazyLock<Regex> = LazyLock::new(|| quant_unit("words?"));
static LINES: LazyLock<Regex> = LazyLock::new(|| quant_unit("lines?"));
static BULLETS: LazyLock<Regex> = LazyLock::new(|| quant_unit(r"bullet[\s-]*points?|bullets"));
static PLACEHOLDERS: LazyLock<Regex> = LazyLock::new(|| quant_unit("placeholders?"));
static PARTS: LazyLock<Regex> =
    LazyLock::new(|| quant_unit("paragraphs?|sections?|parts?|stanzas?"));
static SECTION_COUNT: LazyLock<Regex> =
    LazyLock::new(|| quant_unit("sections?|parts?|chapters?|days?|paragraphs?"));
static PARAGRAPH_COUNT: LazyLock<Regex> = LazyLock::new(|| quant_unit("paragraphs?"));
static UNIT_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\bnumber\s+of\s+(?P<unit>words|sentences|lines)\b[^.]{{0,60}}?\b{QUANT}"
    ))
});
static N_WORD_SENTENCES: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?P<n>{NUM})[\s-]+words?[\s-]+sentences?\b"
    ))
});
static SENTENCES_OF_N_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:sentences?\s+(?:of|with|containing|that\s+(?:have|has|contain|are))|(?:each|every)\s+sentence\s+(?:should\s+|must\s+)?(?:have|has|contain|contains|be))\s+{QUANT}\s+words?\b"
    ))
});
static DIVIDER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\*\*\*|markdown\s+divider|(?:3|three)\s+asterisk"));
static NOT_PARAGRAPH_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)^[^.]{0,25}?(?:highlight|italic|with\s+markdown|in\s+markdown)"));
static HIGHLIGHT_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)\b(?:highlight|italici[sz]e|emphasi[sz]e)\w*\b(?P<rest>[^.\n]{0,80})")
});
static HIGHLIGHT_PASSIVE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b{QUANT}\s+(?:[a-z]+\s+){{0,2}}?(?:(?:sections?|parts?|phrases?|words?)\s+(?:should|must)\s+be\s+(?:highlighted|italici[sz]ed)|italic\b)"
    ))
});
static FIRST_QUANT: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?i)\b{QUANT}\b")));
static SPLITTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:(?i:with|by|using|as)|(?i:start(?:ing|s)?\s+with))\s+["“']?(?P<s>[A-Za-z]+)\s+X\b|["“](?P<q>[A-Za-z]+)\s+1["”]"#,
    )
});
static NTH_FIRST_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:\bparagraph\s+(?P<k>\d+)|\b(?:the\s+)?(?:very\s+)?(?P<o>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\s+paragraph)\s+(?:must|should|has\s+to|needs\s+to)?\s*(?:start|begin)s?\s+with\s+(?:the\s+)?(?:word\s+)?["“'‘]?(?P<w>[\w'-]+)|(?:start|begin)\s+(?:the\s+)?(?:very\s+)?(?:(?P<o2>first|second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+paragraph|paragraph\s+(?P<k2>\d+))\s+with\s+(?:the\s+)?(?:word\s+)?["“'‘]?(?P<w2>[\w'-]+)"#,
    )
});
static CAPITAL_AFTER_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:or\s+phrases\s+)?(?:[a-z]+\s+){0,4}?(?:with|in|be\s+in|are\s+in)\s+(?:all\s+)?(?:capital|caps|upper)",
    )
});
static CAPITAL_WORDS_THEN_COUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b(?:words?\s+(?:with|in)\s+(?:all\s+)?(?:capital(?:\s+letters)?|caps|upper\s*case)|all[\s-]caps\s+words|capitali[sz]ed\s+words|words\s+in\s+all\s+capital\s+letters)\b[^.]{{0,50}}?\b{QUANT}(?:\s+times|\s+such|\.|,|$)"
    ))
});
static COUNT_THEN_CAPITAL_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)\b{QUANT}\s+(?:such\s+)?(?:(?:capitali[sz]ed|all[\s-]caps)\s+words|words?\b(?:\s+or\s+phrases)?(?:\s+[a-z]+){{0,4}}?\s+(?:with|in)\s+all\s+(?:capital|caps|upper))"
    ))
});
static SOME_CAPITAL_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:use|include|add|using)\s+(?:some\s+|a\s+few\s+)?words\s+(?:with|in)\s+all\s+(?:capital|caps)",
    )
});

fn push(out: &mut Vec<Found>, at: usize, req: Requirement) {
    out.push(Found { at, req });
}

fn after<'t>(text: &'t str, caps: &Captures<'_>) -> &'t str {
    let end = caps.get(0).map_or(0, |m| m.end());
    &text[end..]
}

fn before<'t>(text: &'t str, caps: &Captures<'_>, n: usize) -> &'t str {
    let start = caps.get(0).map_or(0, |m| m.start());
    let from = (0..=start.saturating_sub(n))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    &text[from..start]
}

fn gap(caps: &Captures<'_>) -> String {
    caps.name("gap")
        .map_or(String::new(), |m| m.as_str().to_lowercase())
}

/// Whether the words between a number and its unit show they do not belong together
/// ("Paragraph 2 with the word", "5 to 10 such capitalized words").
fn foreign_gap(caps: &Captures<'_>) -> bool {
    const FOREIGN: &[&str] = &[
        "with",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "that",
        "and",
        "or",
        "for",
        "by",
        "on",
        "at",
        "is",
        "be",
        "such",
        "capital",
        "capitalized",
        "capitalised",
        "caps",
    ];
    gap(caps)
        .split(|c: char| c.is_whitespace() || c == '-')
        .any(|w| FOREIGN.contains(&w))
}

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    words_per_sentence(text, out);
    for caps in SENTENCES.captures_iter(text) {
        if gap(&caps).contains("word") || foreign_gap(&caps) {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(out, at, Requirement::NumberSentences { relation, count });
        }
    }
    for caps in WORDS.captures_iter(text) {
        let rest = after(text, &caps);
        let trailing = rest.trim_start().to_lowercase();
        if CAPITAL_AFTER_WORDS.is_match(rest)
            || trailing.starts_with("sentence")
            || trailing.starts_with("per sentence")
            || trailing.starts_with("each")
            || gap(&caps).contains("letter")
            || foreign_gap(&caps)
        {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::AtLeast) {
            push(out, at, Requirement::NumberWords { relation, count });
        }
    }
    for caps in UNIT_FIRST.captures_iter(text) {
        if caps
            .get(0)
            .is_some_and(|m| m.as_str().to_lowercase().contains("capital"))
        {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        let unit = caps["unit"].to_lowercase();
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(
                out,
                at,
                match unit.as_str() {
                    "words" => Requirement::NumberWords { relation, count },
                    "lines" => Requirement::NumberLines { relation, count },
                    _ => Requirement::NumberSentences { relation, count },
                },
            );
        }
    }
    for caps in LINES.captures_iter(text) {
        let g = gap(&caps);
        let trailing = after(text, &caps).trim_start().to_lowercase();
        if ["new", "blank", "empty", "break"]
            .iter()
            .any(|w| g.contains(w))
            || trailing.starts_with("break")
            || foreign_gap(&caps)
        {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(out, at, Requirement::NumberLines { relation, count });
        }
    }
    for caps in BULLETS.captures_iter(text) {
        if foreign_gap(&caps) {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(out, at, Requirement::NumberBulletLists { relation, count });
        }
    }
    placeholders(text, out);
    paragraphs(text, out);
    highlights(text, out);
    sections(text, out);
    capital_words(text, out);
}

fn words_per_sentence(text: &str, out: &mut Vec<Found>) {
    for caps in N_WORD_SENTENCES.captures_iter(text) {
        if let Some(count) = number(&caps["n"]) {
            let at = caps.get(0).map_or(0, |m| m.start());
            push(
                out,
                at,
                Requirement::WordsPerSentence {
                    relation: Relation::Exactly,
                    count,
                },
            );
        }
    }
    for caps in SENTENCES_OF_N_WORDS.captures_iter(text) {
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(out, at, Requirement::WordsPerSentence { relation, count });
        }
    }
}

fn placeholders(text: &str, out: &mut Vec<Found>) {
    let mut numbered = false;
    for caps in PLACEHOLDERS.captures_iter(text) {
        if foreign_gap(&caps) {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::AtLeast) {
            numbered = true;
            push(out, at, Requirement::NumberPlaceholders { relation, count });
        }
    }
    let lower = text.to_lowercase();
    if !numbered
        && let Some(at) = lower.find("placeholder")
        && (lower.contains("bracket") || text.contains('['))
    {
        push(
            out,
            at,
            Requirement::NumberPlaceholders {
                relation: Relation::AtLeast,
                count: 1,
            },
        );
    }
}

fn paragraphs(text: &str, out: &mut Vec<Found>) {
    if let Some(caps) = NTH_FIRST_WORD.captures(text) {
        let nth = caps
            .name("k")
            .or_else(|| caps.name("k2"))
            .and_then(|m| m.as_str().parse().ok())
            .or_else(|| {
                caps.name("o")
                    .or_else(|| caps.name("o2"))
                    .and_then(|m| ordinal(m.as_str()))
            });
        let word = caps
            .name("w")
            .or_else(|| caps.name("w2"))
            .map(|m| m.as_str().to_lowercase());
        let paragraphs = PARAGRAPH_COUNT
            .captures_iter(text)
            .flat_map(|c| relations(&c, Relation::Exactly))
            .find(|(r, _)| *r == Relation::Exactly)
            .map(|(_, n)| n);
        if let (Some(nth), Some(first_word), Some(paragraphs)) = (nth, word, paragraphs) {
            let at = caps.get(0).map_or(0, |m| m.start());
            push(
                out,
                at,
                Requirement::NthParagraphFirstWord {
                    paragraphs,
                    nth,
                    first_word: first_word
                        .trim_matches(|c| c == '\'' || c == '-')
                        .to_string(),
                },
            );
        }
    }
    if !DIVIDER.is_match(text) {
        return;
    }
    let has_splitter = SPLITTER.is_match(text);
    for caps in PARTS.captures_iter(text) {
        let unit = caps["unit"].to_lowercase();
        if (has_splitter && unit.starts_with("section"))
            || foreign_gap(&caps)
            || NOT_PARAGRAPH_CONTEXT.is_match(after(text, &caps))
            || before(text, &caps, 30).to_lowercase().contains("highlight")
            || before(text, &caps, 30).to_lowercase().contains("italic")
        {
            continue;
        }
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::Exactly) {
            push(out, at, Requirement::NumberParagraphs { relation, count });
        }
    }
}

fn highlights(text: &str, out: &mut Vec<Found>) {
    let mut done = false;
    for caps in HIGHLIGHT_PASSIVE.captures_iter(text) {
        let at = caps.get(0).map_or(0, |m| m.start());
        for (relation, count) in relations(&caps, Relation::AtLeast) {
            done = true;
            push(
                out,
                at,
                Requirement::NumberHighlightedSections { relation, count },
            );
        }
    }
    if done {
        return;
    }
    for caps in HIGHLIGHT_VERB.captures_iter(text) {
        let rest = &caps["rest"];
        let m = caps.get(0).map_or(0..0, |m| m.range());
        let window_end = (m.end + 80).min(text.len());
        let window_end = (window_end..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        let window = &text[m.start..window_end];
        let verb = caps.get(0).map_or("", |m| m.as_str()).to_lowercase();
        if !(window.contains('*')
            || window.to_lowercase().contains("markdown")
            || verb.starts_with("italic"))
        {
            continue;
        }
        let counted = FIRST_QUANT
            .captures(rest)
            .map(|c| relations(&c, Relation::AtLeast))
            .unwrap_or_default();
        let counted = if counted.is_empty() {
            let twice = rest.to_lowercase().contains("twice");
            vec![(Relation::AtLeast, if twice { 2 } else { 1 })]
        } else {
            counted
        };
        for (relation, count) in counted {
            push(
                out,
                m.start,
                Requirement::NumberHighlightedSections { relation, count },
            );
        }
        return;
    }
}

fn sections(text: &str, out: &mut Vec<Found>) {
    let Some(caps) = SPLITTER.captures(text) else {
        return;
    };
    let splitter = caps
        .name("s")
        .or_else(|| caps.name("q"))
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let at = caps.get(0).map_or(0, |m| m.start());
    let counted: Vec<(Relation, usize)> = SECTION_COUNT
        .captures_iter(text)
        .map(|c| relations(&c, Relation::AtLeast))
        .find(|r| !r.is_empty())
        .unwrap_or_default();
    for (relation, count) in counted {
        push(
            out,
            at,
            Requirement::MultipleSections {
                splitter: splitter.clone(),
                relation,
                count,
            },
        );
    }
}

fn capital_words(text: &str, out: &mut Vec<Found>) {
    let mut at_least_found = false;
    for regex in [&*CAPITAL_WORDS_THEN_COUNT, &*COUNT_THEN_CAPITAL_WORDS] {
        for caps in regex.captures_iter(text) {
            let at = caps.get(0).map_or(0, |m| m.start());
            for (relation, count) in relations(&caps, Relation::AtLeast) {
                at_least_found |= matches!(relation, Relation::AtLeast | Relation::MoreThan);
                push(
                    out,
                    at,
                    Requirement::CapitalWordFrequency { relation, count },
                );
            }
        }
    }
    if !at_least_found && let Some(m) = SOME_CAPITAL_WORDS.find(text) {
        push(
            out,
            m.start(),
            Requirement::CapitalWordFrequency {
                relation: Relation::AtLeast,
                count: 1,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_requirements;
    use crate::requirements::{Relation, Requirement};

    #[test]
    fn counts_with_relations() {
        assert_eq!(
            parse_requirements("Answer in 100 to 120 words."),
            vec![
                Requirement::NumberWords {
                    relation: Relation::AtLeast,
                    count: 100
                },
                Requirement::NumberWords {
                    relation: Relation::AtMost,
                    count: 120
                },
            ]
        );
        assert_eq!(
            parse_requirements(
                "Your response should contain at least 30 sentences and exactly 2 bullet points."
            ),
            vec![
                Requirement::NumberSentences {
                    relation: Relation::AtLeast,
                    count: 30
                },
                Requirement::NumberBulletLists {
                    relation: Relation::Exactly,
                    count: 2
                },
            ]
        );
        assert_eq!(
            parse_requirements("Keep your entire response 100 words or less."),
            vec![Requirement::NumberWords {
                relation: Relation::AtMost,
                count: 100
            }]
        );
    }

    #[test]
    fn paragraphs_need_the_divider() {
        assert_eq!(
            parse_requirements(
                "There should be exactly 3 paragraphs separated by the markdown divider: ***"
            ),
            vec![Requirement::NumberParagraphs {
                relation: Relation::Exactly,
                count: 3
            }]
        );
        assert_eq!(parse_requirements("Write 3 paragraphs about tea."), vec![]);
        assert_eq!(
            parse_requirements(
                "Write exactly 4 paragraphs separated by two new lines. Paragraph 2 must start with the word \"it\"."
            ),
            vec![Requirement::NthParagraphFirstWord {
                paragraphs: 4,
                nth: 2,
                first_word: "it".into()
            }]
        );
    }

    #[test]
    fn highlights_sections_and_capitals() {
        assert_eq!(
            parse_requirements(
                "Highlight at least 3 sections with markdown, i.e. *highlighted section*."
            ),
            vec![Requirement::NumberHighlightedSections {
                relation: Relation::AtLeast,
                count: 3
            }]
        );
        assert_eq!(
            parse_requirements(
                "Your response must contain 3 sections, mark the beginning of each section with SECTION X."
            ),
            vec![Requirement::MultipleSections {
                splitter: "SECTION".into(),
                relation: Relation::AtLeast,
                count: 3
            }]
        );
        assert_eq!(
            parse_requirements(
                "In your response, words with all capital letters should appear at least 3 times."
            ),
            vec![Requirement::CapitalWordFrequency {
                relation: Relation::AtLeast,
                count: 3
            }]
        );
        assert_eq!(
            parse_requirements("Write a 30-line poem."),
            vec![Requirement::NumberLines {
                relation: Relation::Exactly,
                count: 30
            }]
        );
    }
}
