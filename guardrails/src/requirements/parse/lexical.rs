//! Requirements about words and phrases: keywords to include or avoid, keyword and
//! letter frequencies, the end phrase, the postscript and repeating the request.

use std::sync::LazyLock;

use regex::Regex;

use super::numbers::{QUANT, number, relations};
use super::{Found, re};
use crate::requirements::{Relation, Requirement};

/// Words that end a bare (unquoted) list of keywords.
const STOP: &[&str] = &[
    "with",
    "in",
    "on",
    "at",
    "the",
    "a",
    "an",
    "to",
    "of",
    "for",
    "your",
    "you",
    "all",
    "any",
    "some",
    "each",
    "that",
    "which",
    "this",
    "these",
    "those",
    "from",
    "throughout",
    "response",
    "answer",
    "as",
    "is",
    "be",
    "into",
    "only",
    "capital",
    "lowercase",
    "letters",
    "letter",
    "more",
    "less",
    "least",
    "most",
    "times",
    "once",
    "twice",
    "like",
    "such",
    "should",
    "must",
    "following",
    "somewhere",
    "anywhere",
    "it",
    "them",
    "whatsoever",
    "entire",
    "reply",
    "output",
];

static LIST_QUOTED: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*\[?\s*["“'‘]([^"“”'‘’\n]{1,60}?)["”'’]"#));
static LIST_BARE: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*([A-Za-z][\w-]*)"));
static LIST_SEP: LazyLock<Regex> = LazyLock::new(|| re(r"^\s*(?:,\s*(?:and|or)?|and|or|&)\s*"));

/// The items of a list at the start of `s`: quoted items, or (if `bare`) single words,
/// separated by commas, "and", "or".
fn list_items(s: &str, bare: bool) -> Vec<String> {
    let mut items = Vec::new();
    let mut rest = s.trim_start_matches(|c: char| c == ':' || c.is_whitespace());
    loop {
        if let Some(c) = LIST_QUOTED.captures(rest) {
            items.push(c[1].trim().to_string());
            rest = &rest[c.get(0).map_or(0, |m| m.end())..];
        } else if let Some(c) = LIST_BARE.captures(rest).filter(|_| bare) {
            let word = c[1].to_string();
            if STOP.contains(&word.to_lowercase().as_str()) {
                break;
            }
            items.push(word);
            rest = &rest[c.get(0).map_or(0, |m| m.end())..];
        } else {
            break;
        }
        match LIST_SEP.find(rest) {
            Some(m) => rest = &rest[m.end()..],
            None => break,
        }
    }
    items
}

static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:include|includes|including|contain|contains|containing|use|using|mention|mentions|has|have)\s+(?:the\s+|these\s+|all\s+(?:of\s+)?(?:the\s+)?)?(?:following\s+)?(?P<noun>key\s*words?|words?|terms?|phrases?|items?)|with\s+(?:the\s+|these\s+)?(?:following\s+)?key\s*words?)\b\s*:?",
    )
});
static NEGATION_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\bnot|n't|\bnever|\bavoid\w*|\bwithout|\bexclud\w*|\bno|\brefrain\s+from)\s+(?:\w+\s+){0,2}$",
    )
});
static FORBID_VERB: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:do\s+not|don't|dont|never|not|cannot|can't|shouldn't|should\s+not|must\s+not)\s+(?:include|use|mention|say|contain|add|write|have)|(?:without|avoid|avoiding|exclude|excluding|refrain\s+from)(?:\s+(?:using|saying|mentioning|including))?)\b\s*(?:any\s+of\s+)?(?:the\s+)?(?:following\s+)?(?P<noun>key\s*words?\b|words?\b|terms?\b)?\s*:?",
    )
});
static WORD_THEN_LIST: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:the\s+)?(?:key\s*)?words?\s+"));
static NOT_APPEAR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^\s*(?:(?:should|must|can|does|do|will)\s*(?:not|n't)\s+(?:appear|be|occur)|cannot\s+(?:appear|be)|(?:doesn't|don't|does\s+not|do\s+not)\s+appear)",
    )
});
static WORD_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)\b(?:key)?word\s+["“'‘]?(?P<k>[A-Za-z][\w'-]*?)["”'’]?(?:[\s,.;:]|$)"#)
});
static LETTER_ITEM: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\bletter\s+["“'‘]?(?P<l>[A-Za-z])["”'’]?(?:[\s,.;:]|$)"#));
static COUNT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?i)^[^.;\n]{{0,50}}?\b(?:{QUANT}\s+times?\b|(?P<pre2>at\s+least|at\s+most|exactly|less\s+than|fewer\s+than|more\s+than|no\s+more\s+than|only)?\s*\b(?P<once>once|twice|thrice)\b(?P<post2>\s+or\s+(?:less|more|fewer))?)"
    ))
});
static LETTER_NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:\bavoid\w*|\bwithout|\bdon't|\bdo\s+not|\bnever|\bnot\s+contain|\bno)\s+(?:\w+\s+){0,3}$",
    )
});
static END_TRIGGER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:(?:end|finish|conclude|close)(?:s|ing)?\s+(?:(?:your|the|this|it)\s+)?(?:(?:entire|whole|very)\s+)?(?:[a-z]+\s+){0,2}?with\s+(?:exactly\s+)?(?:(?:this|the|these)\s+)?(?:exact\s+)?(?:(?P<cue>phrase|question|sentence|words?|line|statement)\s*(?:of\s+)?)?|very\s+end\s+of\s+(?:your|the)\s+(?:entire\s+)?\w+\s+should\s+(?P<cue2>read)\s+(?:exactly\s+)?(?:like\s*)?)",
    )
});
static QUOTED_PHRASE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*:?\s*(?:["“]([^"“”\n]+)["”]|'([^\n]+)'|‘([^\n]+)’)"#));
static PPS: LazyLock<Regex> = LazyLock::new(|| re(r"\bP\.\s?P\.\s?S\b"));
static PS: LazyLock<Regex> = LazyLock::new(|| re(r"\bP\.\s?S\."));
static REPEAT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\brep\w?eat\b[^.\n]{0,80}?\b(?:request|question|prompt|sentence|text|first\s+line|it)\b",
    )
});
static REPEAT_QUOTED: LazyLock<Regex> = LazyLock::new(|| re(r#"(?i)\brepeat\s+["“]([^"”]+)["”]"#));

pub(super) fn find(text: &str, out: &mut Vec<Found>) {
    let frequencies = keyword_frequencies(text, out);
    keywords(text, &frequencies, out);
    forbidden(text, out);
    letters(text, out);
    end_phrase(text, out);
    postscript(text, out);
    repeat_prompt(text, out);
}

/// "once"/"twice" counts and `QUANT times` after a word or letter, as relations.
fn count_after(rest: &str) -> Vec<(Relation, usize)> {
    let Some(caps) = COUNT.captures(rest) else {
        return Vec::new();
    };
    if caps.name("n").is_some() {
        return relations(&caps, Relation::Exactly);
    }
    let Some(n) = caps.name("once").and_then(|m| number(m.as_str())) else {
        return Vec::new();
    };
    let post = caps
        .name("post2")
        .map_or(String::new(), |m| m.as_str().to_lowercase());
    if post.contains("less") || post.contains("fewer") {
        return vec![(Relation::AtMost, n)];
    }
    if post.contains("more") {
        return vec![(Relation::AtLeast, n)];
    }
    let pre = caps.name("pre2").map_or(String::new(), |m| {
        m.as_str()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    });
    let relation = match pre.as_str() {
        "at least" => Relation::AtLeast,
        "at most" | "no more than" => Relation::AtMost,
        "less than" | "fewer than" => Relation::LessThan,
        "more than" => Relation::MoreThan,
        _ => Relation::Exactly,
    };
    vec![(relation, n)]
}

fn keyword_frequencies(text: &str, out: &mut Vec<Found>) -> Vec<String> {
    let mut keywords = Vec::new();
    for caps in WORD_ITEM.captures_iter(text) {
        let end = caps.get(0).map_or(0, |m| m.end());
        let keyword = caps["k"].to_string();
        for (relation, count) in count_after(&text[end..]) {
            keywords.push(keyword.to_lowercase());
            out.push(Found {
                at: caps.get(0).map_or(0, |m| m.start()),
                req: Requirement::KeywordFrequency {
                    keyword: keyword.clone(),
                    relation,
                    count,
                },
            });
        }
    }
    keywords
}

fn negated(text: &str, at: usize) -> bool {
    let from = (0..=at.saturating_sub(30))
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    NEGATION_BEFORE.is_match(&text[from..at])
}

fn keywords(text: &str, counted: &[String], out: &mut Vec<Found>) {
    let mut all: Vec<String> = Vec::new();
    let mut first = None;
    for caps in INCLUDE.captures_iter(text) {
        let m = caps.get(0).map_or(0..0, |m| m.range());
        if negated(text, m.start) {
            continue;
        }
        for item in list_items(&text[m.end..], true) {
            if !counted.contains(&item.to_lowercase())
                && !all.iter().any(|k| k.eq_ignore_ascii_case(&item))
            {
                first.get_or_insert(m.start);
                all.push(item);
            }
        }
    }
    if let Some(at) = first {
        out.push(Found {
            at,
            req: Requirement::Keywords { keywords: all },
        });
    }
}

fn forbidden(text: &str, out: &mut Vec<Found>) {
    let mut words: Vec<String> = Vec::new();
    let mut first = None;
    let mut add = |items: Vec<String>, at: usize, words: &mut Vec<String>| {
        for item in items {
            if !words.iter().any(|w| w.eq_ignore_ascii_case(&item)) {
                first.get_or_insert(at);
                words.push(item);
            }
        }
    };
    for caps in FORBID_VERB.captures_iter(text) {
        let m = caps.get(0).map_or(0..0, |m| m.range());
        let rest = &text[m.end..];
        if rest.trim_start().to_lowercase().starts_with("letter") {
            continue;
        }
        add(
            list_items(rest, caps.name("noun").is_some()),
            m.start,
            &mut words,
        );
    }
    for m in WORD_THEN_LIST.find_iter(text) {
        let rest = &text[m.end()..];
        let items = list_items(rest, true);
        if items.is_empty() {
            continue;
        }
        // Where the list ends: after its last item.
        let last = items.last().map_or("", String::as_str);
        let Some(pos) = rest.find(last) else { continue };
        let tail = rest[pos + last.len()..].trim_start_matches(|c: char| "\"”'’".contains(c));
        if NOT_APPEAR.is_match(tail) {
            add(items, m.start(), &mut words);
        }
    }
    if let Some(at) = first {
        out.push(Found {
            at,
            req: Requirement::ForbiddenWords { words },
        });
    }
}

fn letters(text: &str, out: &mut Vec<Found>) {
    for caps in LETTER_ITEM.captures_iter(text) {
        let m = caps.get(0).map_or(0..0, |m| m.range());
        let letter = caps["l"].chars().next().map(|c| c.to_ascii_lowercase());
        let Some(letter) = letter else { continue };
        let from = (0..=m.start.saturating_sub(40))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let negation = LETTER_NEGATION.is_match(&text[from..m.start]);
        let counted = count_after(&text[m.end..]);
        let found: Vec<(Relation, usize)> = match (negation, counted.as_slice()) {
            (true, []) => vec![(Relation::LessThan, 1)],
            (true, [(Relation::MoreThan, n)]) => vec![(Relation::AtMost, *n)],
            (_, c) => c.to_vec(),
        };
        for (relation, count) in found {
            out.push(Found {
                at: m.start,
                req: Requirement::LetterFrequency {
                    letter,
                    relation,
                    count,
                },
            });
        }
    }
}

fn end_phrase(text: &str, out: &mut Vec<Found>) {
    for caps in END_TRIGGER.captures_iter(text) {
        let m = caps.get(0).map_or(0..0, |m| m.range());
        let rest = &text[m.end..];
        let phrase = if let Some(q) = QUOTED_PHRASE.captures(rest) {
            q.get(1)
                .or_else(|| q.get(2))
                .or_else(|| q.get(3))
                .map_or("", |m| m.as_str())
                .trim()
                .to_string()
        } else {
            let cue = caps.name("cue").is_some()
                || caps.name("cue2").is_some()
                || rest.trim_start_matches([' ', '\t']).starts_with(':');
            if !cue {
                continue;
            }
            let body = rest.trim_start_matches(|c: char| c == ':' || c.is_whitespace());
            body.lines().next().unwrap_or("").trim().to_string()
        };
        let lower = phrase.to_lowercase();
        if phrase.is_empty()
            || lower.starts_with("a post")
            || lower.starts_with("p.s")
            || lower.starts_with("p.p.s")
        {
            continue;
        }
        out.push(Found {
            at: m.start,
            req: Requirement::EndPhrase { phrase },
        });
        return;
    }
}

fn postscript(text: &str, out: &mut Vec<Found>) {
    let (m, marker) = match (PPS.find(text), PS.find(text)) {
        (Some(m), _) => (m, "P.P.S"),
        (None, Some(m)) => (m, "P.S."),
        (None, None) => return,
    };
    out.push(Found {
        at: m.start(),
        req: Requirement::Postscript {
            marker: marker.to_string(),
        },
    });
}

/// The request to repeat: a quoted text after "repeat", the first line, or the
/// prompt without the block of lines that asks for the repetition.
fn repeat_prompt(text: &str, out: &mut Vec<Found>) {
    let Some(m) = REPEAT.find(text) else { return };
    let prompt_to_repeat = if let Some(q) = REPEAT_QUOTED.captures(text) {
        q[1].to_string()
    } else {
        let block_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
        let before = text[..block_start].trim();
        if m.as_str().to_lowercase().contains("first line") || !before.is_empty() {
            if m.as_str().to_lowercase().contains("first line") {
                text.lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
                    .to_string()
            } else {
                before.to_string()
            }
        } else {
            // The instruction comes first: the request follows its paragraph.
            let after = &text[m.end()..];
            match after.find("\n\n").or_else(|| after.find('\n')) {
                Some(i) => after[i..].trim().to_string(),
                None => String::new(),
            }
        }
    };
    if prompt_to_repeat.is_empty() {
        return;
    }
    out.push(Found {
        at: m.start(),
        req: Requirement::RepeatPrompt { prompt_to_repeat },
    });
}

#[cfg(test)]
mod tests {
    use super::super::parse_requirements;
    use super::list_items;
    use crate::requirements::{Relation, Requirement};

    #[test]
    fn lists() {
        assert_eq!(
            list_items(" \"sea\", 'wind' and “salt”.", false),
            vec!["sea", "wind", "salt"]
        );
        assert_eq!(
            list_items(" gao and hearts in the response", true),
            vec!["gao", "hearts"]
        );
        assert_eq!(list_items(" any commas", false), Vec::<String>::new());
    }

    #[test]
    fn keywords_and_forbidden_words() {
        assert_eq!(
            parse_requirements(
                "Include the keywords \"sea\" and \"wind\". Do not use the words storm or rain."
            ),
            vec![
                Requirement::Keywords {
                    keywords: vec!["sea".into(), "wind".into()]
                },
                Requirement::ForbiddenWords {
                    words: vec!["storm".into(), "rain".into()]
                },
            ]
        );
        assert_eq!(
            parse_requirements("The word \"rock\" should not appear in your response."),
            vec![Requirement::ForbiddenWords {
                words: vec!["rock".into()]
            }]
        );
    }

    #[test]
    fn frequencies() {
        assert_eq!(
            parse_requirements(
                "Make sure to use the word war at least 8 times, and the word peace at least twice."
            ),
            vec![
                Requirement::KeywordFrequency {
                    keyword: "war".into(),
                    relation: Relation::AtLeast,
                    count: 8
                },
                Requirement::KeywordFrequency {
                    keyword: "peace".into(),
                    relation: Relation::AtLeast,
                    count: 2
                },
            ]
        );
        assert_eq!(
            parse_requirements("Write it without using the letter e."),
            vec![Requirement::LetterFrequency {
                letter: 'e',
                relation: Relation::LessThan,
                count: 1
            }]
        );
    }

    #[test]
    fn endings_postscripts_and_repeats() {
        assert_eq!(
            parse_requirements("End your response with 'Is there anything else I can help with?'")
                [0],
            Requirement::EndPhrase {
                phrase: "Is there anything else I can help with?".into()
            }
        );
        assert_eq!(
            parse_requirements(
                "At the end of your response, please explicitly add a postscript starting with P.S."
            ),
            vec![Requirement::Postscript {
                marker: "P.S.".into()
            }]
        );
        assert_eq!(
            parse_requirements(
                "Write a haiku about tea.\nFirst repeat the request word for word without change, then give your answer."
            ),
            vec![Requirement::RepeatPrompt {
                prompt_to_repeat: "Write a haiku about tea.".into()
            }]
        );
    }
}
