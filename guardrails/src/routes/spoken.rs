//! Arithmetic as people write it in words, rewritten in the symbols the
//! question readers know: numbers in words as digits ("twenty-three" →
//! `23`), operators in words as symbols ("17 times 23" → `17 * 23`), and
//! thousands separators dropped (`1,234,567`). The readers that match a
//! whole question (a formula, a comparison of two formulas) take the
//! rewritten text; a text that does not then match is left to the other
//! routes, so a rewrite that misreads a word can only fail to match.

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Words for 0-9, 10-19 and the tens; their values.
const UNITS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];
const TEENS: [&str; 10] = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
/// The scale words and their values, largest first.
const SCALES: [(&str, u64); 3] = [
    ("billion", 1_000_000_000),
    ("million", 1_000_000),
    ("thousand", 1_000),
];

/// A run of number words: joined by spaces or hyphens, "and" after
/// "hundred" or a scale word, and an optional "point" with digits after it
/// ("three point five"); "negative" before it makes it negative.
static RUN: LazyLock<Regex> = LazyLock::new(|| {
    let word = [&UNITS[..], &TEENS[..], &TENS[..], &["hundred"]]
        .concat()
        .into_iter()
        .chain(SCALES.iter().map(|s| s.0))
        .collect::<Vec<_>>()
        .join("|");
    let digit = UNITS.join("|");
    Regex::new(&format!(
        r"(?i)\b(negative\s+)?((?:{word})(?:(?:\s+|-)(?:and\s+)?(?:{word}))*)(\s+point(?:\s+(?:{digit}))+)?\b"
    ))
    .expect("number-word pattern is valid")
});

/// A thousands separator: a comma between a digit and exactly three digits
/// (`1,234,567`; `1,5` and `1,2345` are left alone).
static THOUSANDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d),(\d{3})\b").expect("separator pattern is valid"));

/// Operators in words, as the sandbox writes them (`17 times 23`).
static OPERATORS: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        (r"(?i)\s+(?:times|multiplied by)\s+", " * "),
        (r"(?i)\s+divided by\s+", " / "),
        (r"(?i)\s+plus\s+", " + "),
        (r"(?i)\s+minus\s+", " - "),
        (r"(?i)\s+squared\b", "^2"),
        (r"(?i)\s+cubed\b", "^3"),
    ]
    .into_iter()
    .map(|(p, to)| (Regex::new(p).expect("operator pattern is valid"), to))
    .collect()
});

/// What a word is worth, and of which kind.
#[derive(Clone, Copy, PartialEq)]
enum Word {
    Unit(u64),
    Teen(u64),
    Tens(u64),
    Hundred,
    Scale(u64),
}

fn word(w: &str) -> Option<Word> {
    let w = w.to_lowercase();
    let at = |list: &[&str]| list.iter().position(|x| *x == w).map(|i| i as u64);
    if let Some(i) = at(&UNITS) {
        return Some(Word::Unit(i));
    }
    if let Some(i) = at(&TEENS) {
        return Some(Word::Teen(10 + i));
    }
    if let Some(i) = at(&TENS) {
        return Some(Word::Tens(20 + 10 * i));
    }
    if w == "hundred" {
        return Some(Word::Hundred);
    }
    SCALES.iter().find(|s| s.0 == w).map(|s| Word::Scale(s.1))
}

/// The value of a run of number words ("two thousand and five" → 2005), or
/// `None` if the words do not make one number ("one two", "five hundred
/// thousand million", "zero hundred"): such runs are left as they are.
pub fn value(words: &str) -> Option<u64> {
    let words: Vec<&str> = words
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect();
    let (mut total, mut group) = (0u64, 0u64);
    // The last word, and the last scale used (scales must fall).
    let (mut last, mut scale_above) = (None::<Word>, u64::MAX);
    let mut after_and = false;
    for (i, w) in words.iter().enumerate() {
        if w.eq_ignore_ascii_case("and") {
            // Only after "hundred" or a scale, before more of the number.
            if !matches!(last, Some(Word::Hundred | Word::Scale(_))) || i + 1 == words.len() {
                return None;
            }
            after_and = true;
            continue;
        }
        let this = word(w)?;
        // The words a word may follow: none (the start) or these.
        let fits = match (last, this) {
            // "hundred" or a scale word alone is not read ("a hundred").
            (None, Word::Hundred | Word::Scale(_)) => false,
            (None, _) => true,
            // "twenty-three", "hundred and five", "thousand five".
            (Some(Word::Tens(_)), Word::Unit(u)) => u != 0,
            (Some(Word::Hundred | Word::Scale(_)), Word::Unit(u)) => u != 0,
            (Some(Word::Hundred | Word::Scale(_)), Word::Teen(_) | Word::Tens(_)) => true,
            // "five hundred", "nineteen hundred".
            (Some(Word::Unit(u) | Word::Teen(u)), Word::Hundred) => u != 0,
            (Some(Word::Scale(_)), Word::Hundred) => false,
            // "five thousand", "twenty-five million", "five hundred thousand".
            (Some(_), Word::Scale(_)) => group != 0,
            _ => false,
        };
        // "and" goes before the rest of the number, not before its scale.
        if !fits || (after_and && matches!(this, Word::Hundred | Word::Scale(_))) {
            return None;
        }
        match this {
            Word::Unit(v) | Word::Teen(v) | Word::Tens(v) => group += v,
            Word::Hundred => {
                if group >= 100 {
                    return None;
                }
                group *= 100;
            }
            Word::Scale(s) => {
                if s >= scale_above {
                    return None;
                }
                scale_above = s;
                total = total.checked_add(group.checked_mul(s)?)?;
                group = 0;
            }
        }
        after_and = false;
        last = Some(this);
    }
    last?;
    total.checked_add(group)
}

/// `text` with every run of number words that makes one number written in
/// digits ("Is seventeen greater than twenty-three?" → "Is 17 greater than
/// 23?"). Other words, and runs that do not make a number, are unchanged.
pub fn numerals(text: &str) -> String {
    RUN.replace_all(text, |c: &Captures| {
        let Some(whole) = value(&c[2]) else {
            return c[0].to_owned();
        };
        let sign = if c.get(1).is_some() { "-" } else { "" };
        let fraction: String = c.get(3).map_or(String::new(), |f| {
            let digits = f.as_str().split_whitespace().skip(1);
            let digits = digits.filter_map(|d| match word(d) {
                Some(Word::Unit(u)) => Some(char::from(b'0' + u as u8)),
                _ => None,
            });
            std::iter::once('.').chain(digits).collect()
        });
        format!("{sign}{whole}{fraction}")
    })
    .into_owned()
}

/// `text` with numbers in words as digits, without thousands separators,
/// and with operators in words as symbols: what the question readers match.
pub fn arithmetic(text: &str) -> String {
    let mut text = numerals(text);
    // Each pass joins every other group of a number (`1,234,567`).
    while THOUSANDS.is_match(&text) {
        text = THOUSANDS.replace_all(&text, "$1$2").into_owned();
    }
    for (word, symbol) in OPERATORS.iter() {
        text = word.replace_all(&text, *symbol).into_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_number_words_have_their_values() {
        for (words, v) in [
            ("zero", 0),
            ("seven", 7),
            ("Seventeen", 17),
            ("twenty-three", 23),
            ("twenty three", 23),
            ("one hundred", 100),
            ("one hundred and five", 105),
            ("nineteen hundred", 1900),
            ("two thousand and twenty-six", 2026),
            (
                "three hundred forty-two thousand six hundred and one",
                342_601,
            ),
            ("five hundred thousand", 500_000),
            ("two million three thousand", 2_003_000),
            ("one billion", 1_000_000_000),
        ] {
            assert_eq!(value(words), Some(v), "{words}");
        }
    }

    #[test]
    fn runs_that_are_not_one_number_have_none() {
        for words in [
            "one two",
            "twenty thirty",
            "seventeen five",
            "five twelve",
            "thousand million",
            "two thousand three thousand",
            "zero hundred",
            "twenty hundred",
            "one hundred and",
            "and five",
            "five and six",
            "hundred hundred",
            "hundred",
            "thousand",
            "one hundred and thousand",
        ] {
            assert_eq!(value(words), None, "{words}");
        }
    }

    #[test]
    fn numerals_rewrite_number_words_in_a_text() {
        for (text, want) in [
            (
                "Is seventeen greater than twenty-three?",
                "Is 17 greater than 23?",
            ),
            ("What is Two Hundred times four?", "What is 200 times 4?"),
            ("negative five plus three point two five", "-5 plus 3.25"),
            ("Someone said one two three.", "Someone said one two three."),
            ("The tenth of June", "The tenth of June"),
            ("It costs 4 dollars.", "It costs 4 dollars."),
        ] {
            assert_eq!(numerals(text), want, "{text}");
        }
    }

    #[test]
    fn arithmetic_in_words_becomes_symbols() {
        assert_eq!(
            arithmetic("What is seventeen times four minus 1,200?"),
            "What is 17 * 4 - 1200?"
        );
        assert_eq!(arithmetic("Is nine squared odd?"), "Is 9^2 odd?");
    }
}
