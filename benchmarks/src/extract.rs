//! Answer extraction, the standard way: the answer follows the last "the
//! answer is" (GSM8K "The answer is N", BBH "So the answer is X";
//! case-insensitive). When a text has no such marker, a fallback takes the
//! last candidate of the right shape (the last number, label or option), as
//! lm-evaluation-harness's "flexible extract" does. The tape records which
//! rule produced each answer ([`Extraction`]).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// Which rule found the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extraction {
    /// After the last "the answer is".
    Marker,
    /// No marker (or nothing usable after it): the last candidate in the text.
    Fallback,
    /// Nothing found.
    None,
    /// The suite scores the whole text (IFEval, MT-bench phrase checks).
    Whole,
}

/// An extracted answer and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub answer: Option<String>,
    pub how: Extraction,
}

impl Extracted {
    fn marker(a: String) -> Self {
        Self {
            answer: Some(a),
            how: Extraction::Marker,
        }
    }
    fn fallback(a: Option<String>) -> Self {
        match a {
            Some(a) => Self {
                answer: Some(a),
                how: Extraction::Fallback,
            },
            None => Self {
                answer: None,
                how: Extraction::None,
            },
        }
    }
}

static MARKER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bthe answer is\b:?").expect("valid"));
static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(-)?\s?\$?\s?(\d(?:[\d,]*\d)?(?:\.\d+)?)").expect("valid"));
static OPTION: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\(([A-Z])\)").expect("valid"));
static BARE_LETTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:option\s+)?\(?([A-Z])\)?(?:[\s.,:;)]|$)").expect("valid"));
static OPTION_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*\(([A-Z])\)\s*(.+?)\s*$").expect("valid"));

/// The text after the last marker, up to the end of its line (or the next
/// line when the marker ends one), or `None` without a marker.
fn after_marker(text: &str) -> Option<&str> {
    let m = MARKER.find_iter(text).last()?;
    let rest = text[m.end()..].trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('\n').map_or(rest, str::trim_start);
    Some(rest.split('\n').next().unwrap_or("").trim())
}

/// A number as written (`$1,450,000`, `-3`, `2.50`) in canonical form:
/// no `$`, no separators, no trailing zeros after a decimal point.
pub fn canonical_number(written: &str) -> Option<String> {
    let c = NUMBER.captures(written)?;
    let mut digits = c.get(2)?.as_str().replace(',', "");
    if digits.contains('.') {
        digits = digits
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned();
    }
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() || digits.starts_with('.') {
        format!("0{digits}")
    } else {
        digits.to_owned()
    };
    let negative = c.get(1).is_some() && digits.chars().any(|d| d.is_ascii_digit() && d != '0');
    Some(if negative {
        format!("-{digits}")
    } else {
        digits
    })
}

/// The numbers in `text`. A minus after a number, a closing bracket or `%` is a
/// subtraction, not a sign: "12.5 - 1 =" holds 12.5 and 1. Only on the same
/// line: a minus that starts a line is a sign.
fn numbers(text: &str) -> impl Iterator<Item = String> + '_ {
    NUMBER.find_iter(text).filter_map(|m| {
        let written = m.as_str();
        let before = text[..m.start()].trim_end_matches([' ', '\t']);
        let subtraction = written.starts_with('-')
            && before.ends_with(|c: char| c.is_ascii_digit() || c == ')' || c == '%');
        canonical_number(if subtraction { &written[1..] } else { written })
    })
}

/// Whether two numbers written in any accepted way are equal.
pub fn same_number(a: &str, b: &str) -> bool {
    match (canonical_number(a), canonical_number(b)) {
        (Some(x), Some(y)) => {
            x == y || matches!((x.parse::<f64>(), y.parse::<f64>()), (Ok(p), Ok(q)) if p == q)
        }
        _ => false,
    }
}

/// GSM8K-style: the first number after the last marker, else the last
/// number in the text.
pub fn number(text: &str) -> Extracted {
    if let Some(n) = after_marker(text).and_then(|rest| numbers(rest).next()) {
        return Extracted::marker(n);
    }
    Extracted::fallback(numbers(text).last())
}

fn label_pattern(labels: &[&str]) -> Regex {
    let alts: Vec<String> = labels.iter().map(|l| regex::escape(l)).collect();
    Regex::new(&format!(r"(?i)\b({})\b", alts.join("|"))).expect("labels make a valid pattern")
}

fn canonical_label(found: &str, labels: &[&str]) -> String {
    labels
        .iter()
        .find(|l| l.eq_ignore_ascii_case(found))
        .map_or_else(|| found.to_owned(), |l| (*l).to_owned())
}

/// One of `labels`: the first after the last marker, else the last in the
/// text. The answer is the label as listed (`True`, `yes`).
pub fn label(text: &str, labels: &[&str]) -> Extracted {
    let re = label_pattern(labels);
    if let Some(m) = after_marker(text).and_then(|rest| re.find(rest)) {
        return Extracted::marker(canonical_label(m.as_str(), labels));
    }
    Extracted::fallback(
        re.find_iter(text)
            .last()
            .map(|m| canonical_label(m.as_str(), labels)),
    )
}

/// The options `(A) text` listed in a question, as (letter, text).
pub fn options(question: &str) -> Vec<(char, String)> {
    OPTION_LINE
        .captures_iter(question)
        .filter_map(|c| {
            Some((
                c.get(1)?.as_str().chars().next()?,
                c.get(2)?.as_str().to_owned(),
            ))
        })
        .collect()
}

/// A lettered option `(B)`: after the last marker an `(X)`, a bare letter of
/// a listed option, or the text of an option; else the last `(X)` in the
/// text.
pub fn choice(text: &str, question: &str) -> Extracted {
    let opts = options(question);
    let known = |c: char| opts.is_empty() || opts.iter().any(|(l, _)| *l == c);
    if let Some(rest) = after_marker(text) {
        if let Some(c) = OPTION
            .captures(rest)
            .and_then(|c| c.get(1)?.as_str().chars().next())
            .filter(|&c| known(c))
        {
            return Extracted::marker(format!("({c})"));
        }
        if let Some(c) = BARE_LETTER
            .captures(rest)
            .and_then(|c| c.get(1)?.as_str().chars().next())
            .filter(|&c| known(c))
        {
            return Extracted::marker(format!("({c})"));
        }
        let lower = rest.to_lowercase();
        let lower = lower.trim_end_matches('.');
        if let Some((l, _)) = opts
            .iter()
            .filter(|(_, t)| {
                let t = t.to_lowercase();
                let t = t.trim_end_matches('.');
                !t.is_empty() && lower.contains(t)
            })
            .max_by_key(|(_, t)| t.len())
        {
            return Extracted::marker(format!("({l})"));
        }
    }
    Extracted::fallback(
        OPTION
            .captures_iter(text)
            .filter_map(|c| c.get(1)?.as_str().chars().next())
            .filter(|&c| known(c))
            .last()
            .map(|c| format!("({c})")),
    )
}

/// Free text after the last marker (trailing full stop removed); no fallback.
pub fn free(text: &str) -> Extracted {
    match after_marker(text).map(|r| r.trim_end_matches('.').trim()) {
        Some(a) if !a.is_empty() => Extracted::marker(a.to_owned()),
        _ => Extracted::fallback(None),
    }
}

/// Lowercase, single spaces, no trailing full stop.
pub fn normalise_words(s: &str) -> String {
    s.trim()
        .trim_end_matches('.')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Without any whitespace or trailing full stop.
pub fn normalise_brackets(s: &str) -> String {
    s.trim()
        .trim_end_matches('.')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> (Option<String>, Extraction) {
        let e = number(text);
        (e.answer, e.how)
    }

    #[test]
    fn numbers_after_the_marker() {
        assert_eq!(
            n("6 * 3 = 18. The answer is 18."),
            (Some("18".into()), Extraction::Marker)
        );
        assert_eq!(
            n("So 12 + 3 = 15. The answer is $1,450,000.00."),
            (Some("1450000".into()), Extraction::Marker)
        );
        assert_eq!(
            n("The answer is -3 degrees."),
            (Some("-3".into()), Extraction::Marker)
        );
        assert_eq!(
            n("the answer is: 0.50"),
            (Some("0.5".into()), Extraction::Marker)
        );
        // The last marker wins, even after a self-correction.
        assert_eq!(
            n("The answer is 5. Wait, the answer is 7."),
            (Some("7".into()), Extraction::Marker)
        );
        // The marker at the end of a line: the number on the next one.
        assert_eq!(
            n("The answer is\n42"),
            (Some("42".into()), Extraction::Marker)
        );
    }

    #[test]
    fn malformed_number_outputs() {
        // No number at all.
        assert_eq!(n("I do not know."), (None, Extraction::None));
        assert_eq!(n(""), (None, Extraction::None));
        // Several numbers, no marker: the last one.
        assert_eq!(
            n("She has 3 apples and buys 4, so 7 in all"),
            (Some("7".into()), Extraction::Fallback)
        );
        // A marker with no number after it falls back to the last number.
        assert_eq!(
            n("3 + 4 = 7. The answer is seven."),
            (Some("7".into()), Extraction::Fallback)
        );
        // A minus between numbers is a subtraction; after a word it is a sign.
        assert_eq!(
            n("Each costs 12.5 - 1 ="),
            (Some("1".into()), Extraction::Fallback)
        );
        assert_eq!(n("(4 + 2) -3"), (Some("3".into()), Extraction::Fallback));
        assert_eq!(
            n("The answer is -5."),
            (Some("-5".into()), Extraction::Marker)
        );
        assert_eq!(n("x = -5"), (Some("-5".into()), Extraction::Fallback));
        assert_eq!(
            n("It fell 3\n-5"),
            (Some("-5".into()), Extraction::Fallback)
        );
        assert_eq!(
            n("It fell 3 \n -5"),
            (Some("-5".into()), Extraction::Fallback)
        );
        // Commas are thousands separators, as in standard GSM8K scoring.
        assert_eq!(
            n("The answer is 1,2"),
            (Some("12".into()), Extraction::Marker)
        );
    }

    #[test]
    fn number_equality_is_numeric() {
        assert!(same_number("18", "18.00"));
        assert!(same_number("1,450,000", "1450000"));
        assert!(same_number("$5", "5"));
        assert!(same_number("-0", "0"));
        assert!(!same_number("18", "-18"));
        assert!(!same_number("18", "1.8"));
        assert!(!same_number("", "0"));
        assert_eq!(canonical_number("007"), Some("7".into()));
        assert_eq!(canonical_number("0.5"), Some("0.5".into()));
    }

    #[test]
    fn labels() {
        let tf = &["True", "False"];
        assert_eq!(
            label("not True is False. So the answer is False.", tf)
                .answer
                .as_deref(),
            Some("False")
        );
        assert_eq!(
            label("So the answer is true", tf).answer.as_deref(),
            Some("True")
        );
        let e = label(
            "Tom lies, so Ann tells the truth... yes, no, Yes",
            &["Yes", "No"],
        );
        assert_eq!(
            (e.answer.as_deref(), e.how),
            (Some("Yes"), Extraction::Fallback)
        );
        assert_eq!(label("Unknowable.", tf).how, Extraction::None);
        // A label inside another word does not count.
        assert_eq!(
            label("The answer is falsely stated", tf).how,
            Extraction::None
        );
    }

    #[test]
    fn choices() {
        let q = "Which is first?\nOptions:\n(A) The owl is first\n(B) The robin is first\n(C) The crow is first";
        assert_eq!(
            choice("So the answer is (B).", q).answer.as_deref(),
            Some("(B)")
        );
        assert_eq!(
            choice("So the answer is B.", q).answer.as_deref(),
            Some("(B)")
        );
        assert_eq!(
            choice("So the answer is the crow is first.", q)
                .answer
                .as_deref(),
            Some("(C)")
        );
        let e = choice("(A) is wrong, (C) is right", q);
        assert_eq!(
            (e.answer.as_deref(), e.how),
            (Some("(C)"), Extraction::Fallback)
        );
        // A letter that is not an option is not an answer.
        assert_eq!(choice("So the answer is (F).", q).how, Extraction::None);
        assert_eq!(choice("", q).how, Extraction::None);
        assert_eq!(options(q).len(), 3);
    }

    #[test]
    fn free_text_and_normalisation() {
        assert_eq!(
            free("So the answer is apple banana  cherry.")
                .answer
                .as_deref(),
            Some("apple banana  cherry")
        );
        assert_eq!(free("no marker").how, Extraction::None);
        assert_eq!(free("So the answer is .").how, Extraction::None);
        assert_eq!(
            normalise_words(" Apple  banana\ncherry. "),
            "apple banana cherry"
        );
        assert_eq!(normalise_brackets("] ) >."), "])>");
    }
}
