//! Arithmetic as people write it in words, rewritten in the symbols the
//! question readers know: numbers in words as digits ("twenty-three" →
//! `23`, "a hundred" → `100`, "a dozen" → `12`), operators in words as
//! symbols ("17 times 23" → `17 * 23`), parts and multiples of a number
//! as bracketed products ("15% of 80" → `((15/100) * 80)`, "twice 21" →
//! `(2 * 21)`; see [`phrases`]), operations called by name ("the square
//! root of 144" → `sqrt(144)`; see [`named`]), and thousands separators
//! dropped (`1,234,567`). The readers that match a whole question (a
//! formula, a comparison of two formulas) take the rewritten text, and a
//! text that does not then match is left to the other routes. What is not surely one reading is left in words, so that it does
//! not match: runs of number words that are not one number ("one two
//! three", "one thousand fifteen hundred"), a hyphen anywhere but between a
//! tens word and a unit ("one hundred-five" may be a subtraction).

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::solver::facts::NUMBER_WORDS;

mod named;
mod phrases;

/// `s` without brackets around the whole of it, if they are one pair
/// (`((1/2) * 10)` → `(1/2) * 10`; `(1) + (2)` stays).
pub fn bare(s: &str) -> &str {
    s.strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .filter(|r| phrases::operand(s) == Some(s.len()) && !r.is_empty())
        .unwrap_or(s)
}

/// Words for 0-9, 10-19 and the tens; their values.
const UNITS: &[&str] = NUMBER_WORDS.split_at(10).0;
const TEENS: &[&str] = NUMBER_WORDS.split_at(10).1.split_at(10).0;
const TENS: [&str; 8] = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
];
/// The scale words and their values, largest first.
const SCALES: [(&str, u64); 3] = [
    ("billion", 1_000_000_000),
    ("million", 1_000_000),
    ("thousand", 1_000),
];

/// A run of number words: joined by spaces, hyphens or "and" (where each
/// may go is [`value`]'s to check), and an optional "point" with digits
/// after it ("three point five"); "negative" before it makes it negative.
static RUN: LazyLock<Regex> = LazyLock::new(|| {
    let word = [UNITS, TEENS, &TENS[..], &["hundred"]]
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
    ]
    .into_iter()
    .map(|(p, to)| (Regex::new(p).expect("operator pattern is valid"), to))
    .collect()
});

/// Powers in words, one or several ("2 cubed squared"), after an
/// optional power in symbols (`2^3 squared`).
static POWERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:(?:\^|\*\*)\s*(\d+))?\s+((?:squared|cubed)(?:\s+(?:squared|cubed))*)\b")
        .expect("power pattern is valid")
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
    if let Some(i) = at(UNITS) {
        return Some(Word::Unit(i));
    }
    if let Some(i) = at(TEENS) {
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
    // Each word, and whether a hyphen joins it to the one before.
    let words: Vec<(&str, bool)> = words
        .split_whitespace()
        .flat_map(|w| w.split('-').enumerate().map(|(i, w)| (w, i > 0)))
        .collect();
    let (mut total, mut group) = (0u64, 0u64);
    // The last word, and the last scale used (scales must fall).
    let (mut last, mut scale_above) = (None::<Word>, u64::MAX);
    let mut after_and = false;
    for (i, &(w, hyphen)) in words.iter().enumerate() {
        // A hyphen joins a tens word and a unit ("twenty-three") and nothing
        // else: "one hundred-five" may be a subtraction.
        if hyphen
            && !(matches!(last, Some(Word::Tens(_))) && matches!(word(w), Some(Word::Unit(_))))
        {
            return None;
        }
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
                group *= 100;
                // "two hundred five hundred", "one thousand fifteen hundred".
                if group >= 10_000 || group >= scale_above {
                    return None;
                }
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

        let fraction: String = c.get(3).map_or(String::new(), |f| {
            let digits = f.as_str().split_whitespace().skip(1);
            let digits = digits.filter_map(|d| match word(d) {
                Some(Word::Unit(u)) => Some(char::from(b'0' + u as u8)),
                _ => None,
            });
            std::iter::once('.').chain(digits).collect()
        });
        // A negative number in brackets, so that a power after it takes the
        // whole number: "negative five squared" is `(-5)^2`.
        match c.get(1) {
            Some(_) => format!("(-{whole}{fraction})"),
            None => format!("{whole}{fraction}"),
        }
    })
    .into_owned()
}

/// `text` with numbers in words as digits, without thousands separators,
/// and with operators, multiples and parts in words as symbols: what the
/// question readers match.
pub fn arithmetic(written: &str) -> String {
    let text = phrases::a_scale(written);
    let mut text = numerals(&text);
    // Each pass joins every other group of a number (`1,234,567`).
    while THOUSANDS.is_match(&text) {
        text = THOUSANDS.replace_all(&text, "$1$2").into_owned();
    }
    let text = named::named(&phrases::dozens(&text), written);
    let mut text = phrases::percents(&phrases::products(&text));
    for (word, symbol) in OPERATORS.iter() {
        text = word.replace_all(&text, *symbol).into_owned();
    }
    // Powers of powers multiply: "2 cubed squared" is (2³)² = `2^6`, where
    // `2^3^2` would be 2⁹. A power is read only of a base that nothing
    // before binds first: "3/4 squared", "-3 squared", "8 divided by 2
    // squared" stay in words (two readings each); "negative 3 squared" is
    // `(-3)^2`.
    POWERS
        .replace_all(&text, |c: &Captures| {
            let start = c.get(0).map_or(0, |m| m.start());
            let before = &text[..start];
            let plain = named::operand_before(before).is_some_and(|len| {
                let (head, base) = before.split_at(before.len() - len);
                let fraction = base.contains('/') && !base.starts_with('(');
                !fraction && !named::binds_first(head)
            });
            if !plain {
                return c[0].to_owned();
            }
            let words = c[2].split_whitespace();
            let mut spoken = words.map(|w| {
                if w.eq_ignore_ascii_case("squared") {
                    2
                } else {
                    3
                }
            });
            let before = c.get(1).map_or(Some(1), |e| e.as_str().parse::<u64>().ok());
            match before.and_then(|b| spoken.try_fold(b, u64::checked_mul)) {
                Some(n) => format!("^{n}"),
                None => c[0].to_owned(),
            }
        })
        .into_owned()
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
            "one thousand fifteen hundred",
            "two hundred five hundred",
            "one hundred-five",
            "one thousand-one",
            "twenty-hundred",
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
            ("negative five plus three point two five", "(-5) plus 3.25"),
            ("twenty-five hundred", "2500"),
            ("one million fifteen hundred", "1001500"),
            ("Someone said one two three.", "Someone said one two three."),
            ("The tenth of June", "The tenth of June"),
            ("It costs 4 dollars.", "It costs 4 dollars."),
        ] {
            assert_eq!(numerals(text), want, "{text}");
        }
    }

    #[test]
    fn bare_drops_only_one_pair_around_the_whole() {
        assert_eq!(bare("((1/2) * 10)"), "(1/2) * 10");
        assert_eq!(bare("(1) + (2)"), "(1) + (2)");
        assert_eq!(bare("()"), "()");
        assert_eq!(bare("12"), "12");
    }

    #[test]
    fn arithmetic_in_words_becomes_symbols() {
        assert_eq!(
            arithmetic("What is seventeen times four minus 1,200?"),
            "What is 17 * 4 - 1200?"
        );
        assert_eq!(arithmetic("Is nine squared odd?"), "Is 9^2 odd?");
        // A negative number is one number under a power.
        assert_eq!(arithmetic("negative five squared"), "(-5)^2");
        // Powers of powers multiply, spoken or after a symbol.
        for (text, want) in [
            ("two cubed squared", "2^6"),
            ("3 cubed cubed", "3^9"),
            ("2^3 squared", "2^6"),
            ("2**2 cubed", "2^6"),
        ] {
            assert_eq!(arithmetic(text), want, "{text}");
        }
    }
}
