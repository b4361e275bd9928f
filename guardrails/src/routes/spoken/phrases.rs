//! Phrases that stand for a product: parts of a number ("15% of 80", "two
//! thirds of 9", "half of 30"), multiples ("twice 21"), dozens ("3 dozen",
//! "half a dozen") and "a hundred". Each is written in brackets, so that
//! what stands around it cannot split it: "100 divided by half of 10" is
//! `100 / ((1/2) * 10)`, not `100 / (1/2) * 10`.
//!
//! A phrase is read only where it has one reading. Left in words, so that
//! the question does not match a reader:
//! - a part or multiple of a number followed by anything that would bind
//!   that number first ("half of 3 + 5", "15% of 80 squared", "twice 3
//!   squared"); a product or quotient after it is safe, since `(a * b) / c`
//!   is `a * (b / c)`;
//! - a phrase right after another number ("1 1/2 of 10", "2 1/2 dozen",
//!   "1/2 a dozen"), which would make two numbers in a row;
//! - a fraction word whose count does not agree with it ("a thirds", "2
//!   third"), or without a count ("the tenth of June"; only "half" goes
//!   alone).

use std::sync::LazyLock;

use regex::{Captures, Regex};

/// The fractions in words and their denominators ("two thirds").
const PARTS: [(&str, &str, u32); 9] = [
    ("half", "halves", 2),
    ("third", "thirds", 3),
    ("quarter", "quarters", 4),
    ("fourth", "fourths", 4),
    ("fifth", "fifths", 5),
    ("sixth", "sixths", 6),
    ("eighth", "eighths", 8),
    ("ninth", "ninths", 9),
    ("tenth", "tenths", 10),
];

/// Words that may follow the last number of a product: the relation of a
/// comparison ("Is half of 10 greater than 4?").
const SAFE_NEXT: [&str; 14] = [
    "is",
    "are",
    "not",
    "greater",
    "more",
    "bigger",
    "larger",
    "less",
    "smaller",
    "at",
    "equal",
    "equals",
    "the",
    "divisible",
];

/// Words of another product or a quotient after a product.
const PRODUCT_NEXT: [&str; 3] = ["times", "multiplied", "divided"];

/// "a hundred", "an hundred", "a thousand": one of the scale, so that the
/// numerals read it ("a hundred and five" → 105).
static A_SCALE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\ban?\s+(hundred|thousand|million|billion)\b").expect("scale pattern is valid")
});

/// "half a dozen", "a dozen", "3 dozen", "1.5 dozen", "1/2 dozen".
static DOZEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?P<half>half\s+a)|(?P<a>a)|(?P<n>\d+(?:\.\d+)?(?:\s*/\s*\d+)?))\s+dozen\b",
    )
    .expect("dozen pattern is valid")
});

/// What takes the number after it: a percentage, a fraction in symbols or
/// in words, then "of"; or a multiple in words ("twice").
static FACTOR: LazyLock<Regex> = LazyLock::new(|| {
    let words = PARTS
        .iter()
        .flat_map(|p| [p.0, p.1])
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?i)(?:(?P<pct>\d+(?:\.\d+)?)\s*(?:%|\bpercent\b|\bper\s+cent\b)|(?P<num>\d+)/(?P<den>\d+)|(?:\b(?P<count>an?|\d+)[\s-]+)?\b(?P<word>{words}))\s+of\s+|\b(?P<times>twice|double|thrice|triple)\s+"
    ))
    .expect("factor pattern is valid")
});

/// A percent sign glued to a number and not before another number
/// (`20% - 5`, `200 * 15%`).
static PERCENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<n>\d+(?:\.\d+)?)%(?P<after>\s*(?:$|[^\d\s(]))")
        .expect("percent pattern is valid")
});

/// Whether `before` ends in a number, so that a phrase after it would make
/// two numbers in a row (`1 1/2`, `2.1/3`): a digit, a point, a bracket or
/// a percent sign, with spaces between or not, or a slash with none.
pub(super) fn after_number(before: &str) -> bool {
    let t = before.trim_end();
    t.ends_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')' | '%'))
        || (t.len() == before.len() && t.ends_with('/'))
}

/// Whether `before` ends with a number and a dash, with no space: the
/// start of a range ("5-10% of 200" is 5 to 10 percent).
fn after_range(before: &str) -> bool {
    let t = before
        .strip_suffix('-')
        .or_else(|| before.strip_suffix('–'));
    t.is_some_and(|t| t.ends_with(|c: char| c.is_ascii_digit()))
}

/// The length of the number, bracketed group or square root (`sqrt(…)`)
/// `rest` starts with.
pub(super) fn operand(rest: &str) -> Option<usize> {
    if let Some(root) = rest.strip_prefix("sqrt") {
        return root
            .starts_with('(')
            .then(|| operand(root))
            .flatten()
            .map(|len| len + 4);
    }
    if rest.starts_with('(') {
        let mut depth = 0usize;
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let whole = digits(rest);
    if whole == 0 {
        return None;
    }
    match rest[whole..].strip_prefix('.') {
        Some(fraction) if digits(fraction) > 0 => Some(whole + 1 + digits(fraction)),
        _ => Some(whole),
    }
}

/// Whether what follows a product's last number leaves the product whole:
/// the end, a closing mark, a comparison's relation, or (with `products`)
/// another product or a quotient, since `(a * b) / c` is `a * (b / c)`.
pub(super) fn ends_safely(after: &str, products: bool) -> bool {
    let t = after.trim_start();
    if t.starts_with("**") {
        return false;
    }
    if t.is_empty() || t.starts_with(['?', '.', ',', '=', ')', '>', '<']) {
        return true;
    }
    if t.starts_with(['*', '/', '×', '÷']) {
        return products;
    }
    let word: String = t
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_lowercase();
    SAFE_NEXT.contains(&word.as_str()) || (products && PRODUCT_NEXT.contains(&word.as_str()))
}

/// The fraction "two thirds", "a quarter", "half" stand for (`2/3`), where
/// the count agrees with the word: one of a singular word, more of a
/// plural one; "half" and "halves" alone, the others with a count.
fn part_in_words(count: Option<&str>, word: &str) -> Option<String> {
    let word = word.to_lowercase();
    let (plural, den) = PARTS
        .iter()
        .find_map(|p| (p.0 == word || p.1 == word).then_some((p.1 == word, p.2)))?;
    let num = match count.map(str::to_lowercase).as_deref() {
        None => (den == 2 && !plural).then_some(1)?,
        Some("a" | "an") => 1,
        Some(n) => n.parse::<u64>().ok()?,
    };
    (num > 0 && plural == (num > 1)).then(|| format!("{num}/{den}"))
}

/// What a [`FACTOR`] match multiplies by, in brackets where it is a
/// fraction (`(2/3)`, `2`); `None` for a fraction in words that is not one.
fn factor(c: &Captures<'_>) -> Option<String> {
    if let Some(p) = c.name("pct") {
        return Some(format!("({}/100)", p.as_str()));
    }
    if let (Some(n), Some(d)) = (c.name("num"), c.name("den")) {
        return Some(format!("({}/{})", n.as_str(), d.as_str()));
    }
    if let Some(t) = c.name("times") {
        let n = match t.as_str().to_lowercase().as_str() {
            "twice" | "double" => 2,
            _ => 3,
        };
        return Some(n.to_string());
    }
    let f = part_in_words(
        c.name("count").map(|m| m.as_str()),
        c.name("word")?.as_str(),
    )?;
    Some(format!("({f})"))
}

/// "a hundred" → "one hundred", unless right after a number.
pub(super) fn a_scale(text: &str) -> String {
    A_SCALE
        .replace_all(text, |c: &Captures<'_>| {
            let start = c.get(0).map_or(0, |m| m.start());
            if after_number(&text[..start]) {
                c[0].to_owned()
            } else {
                format!("one {}", &c[1])
            }
        })
        .into_owned()
}

/// Dozens as numbers or products: "half a dozen" → `6`, "a dozen" → `12`,
/// "3 dozen" → `(3 * 12)`; unless right after a number.
pub(super) fn dozens(text: &str) -> String {
    DOZEN
        .replace_all(text, |c: &Captures<'_>| {
            let start = c.get(0).map_or(0, |m| m.start());
            if after_number(&text[..start]) {
                return c[0].to_owned();
            }
            match c.name("n") {
                _ if c.name("half").is_some() => "6".to_owned(),
                Some(n) => format!("({} * 12)", n.as_str()),
                None => "12".to_owned(),
            }
        })
        .into_owned()
}

/// A percentage glued to its number in brackets: `20% - 5` is
/// `(20%) - 5`, which the sandbox refuses as ambiguous (0.2 − 5, or 20
/// less 5%?), where it would read `20 % -5`, Python's modulo, as a
/// program has it. A `%` between spaces or before a number stays modulo
/// (`17 % 5`).
pub(super) fn percents(text: &str) -> String {
    PERCENT.replace_all(text, "(${n}%)${after}").into_owned()
}

/// Parts and multiples of a number as bracketed products, the last one
/// first, so that "half of 1/3 of 27" is `((1/2) * ((1/3) * 27))` and
/// "half of twice 10" is `((1/2) * (2 * 10))`. Reading stops at the first
/// phrase, from the end, that is not surely one product: it stays in words,
/// and so does any before it.
pub(super) fn products(text: &str) -> String {
    let mut text = text.to_owned();
    loop {
        let Some(c) = FACTOR.captures_iter(&text).last() else {
            return text;
        };
        let Some(m) = c.get(0) else {
            return text;
        };
        let rest = &text[m.end()..];
        let read = match (factor(&c), operand(rest)) {
            (Some(f), Some(len))
                if !after_number(&text[..m.start()])
                    && !after_range(&text[..m.start()])
                    && ends_safely(&rest[len..], true) =>
            {
                Some(format!(
                    "{}({f} * {}){}",
                    &text[..m.start()],
                    &rest[..len],
                    &rest[len..]
                ))
            }
            _ => None,
        };
        match read {
            Some(read) => text = read,
            None => return text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::arithmetic;

    #[test]
    fn parts_multiples_and_dozens_become_bracketed_products() {
        for (text, want) in [
            ("What is 15% of 80?", "What is ((15/100) * 80)?"),
            ("What is 12.5 percent of 40?", "What is ((12.5/100) * 40)?"),
            ("What is 15 per cent of 40?", "What is ((15/100) * 40)?"),
            ("What is 1/3 of 27?", "What is ((1/3) * 27)?"),
            ("What is half of thirty?", "What is ((1/2) * 30)?"),
            ("What is a third of 27?", "What is ((1/3) * 27)?"),
            ("What is an eighth of 16?", "What is ((1/8) * 16)?"),
            ("What is three quarters of 40?", "What is ((3/4) * 40)?"),
            ("What is two-thirds of 9?", "What is ((2/3) * 9)?"),
            ("half of 1/3 of 27", "((1/2) * ((1/3) * 27))"),
            ("half of twice 10", "((1/2) * (2 * 10))"),
            ("half of (3 + 5)", "((1/2) * (3 + 5))"),
            ("What is twice 21?", "What is (2 * 21)?"),
            ("What is triple (2 + 3)?", "What is (3 * (2 + 3))?"),
            ("What is a dozen times 3?", "What is 12 * 3?"),
            ("What is half a dozen plus 1?", "What is 6 + 1?"),
            ("What is three dozen?", "What is (3 * 12)?"),
            ("What is 1.5 dozen?", "What is (1.5 * 12)?"),
            ("What is 1/2 dozen?", "What is (1/2 * 12)?"),
            ("twice a dozen", "(2 * 12)"),
            ("a quarter of 2 dozen", "((1/4) * (2 * 12))"),
            ("What is a hundred plus 5?", "What is 100 + 5?"),
            ("a thousand and one", "1001"),
            // What stands around a part cannot split it.
            (
                "What is 100 divided by half of 10?",
                "What is 100 / ((1/2) * 10)?",
            ),
            ("What is 6 divided by double 3?", "What is 6 / (2 * 3)?"),
            ("What is 100 / 50% of 4?", "What is 100 / ((50/100) * 4)?"),
            ("10 minus half of 4", "10 - ((1/2) * 4)"),
            ("half of 10 times 3", "((1/2) * 10) * 3"),
            (
                "Is half of 10 greater than 4?",
                "Is ((1/2) * 10) greater than 4?",
            ),
            // A percentage glued to its number is one; modulo is spaced.
            ("What is 20% - 5?", "What is (20%) - 5?"),
            ("What is 200 * 15%?", "What is 200 * (15%)?"),
            ("What is 17 % 5?", "What is 17 % 5?"),
            ("What is 17%5?", "What is 17%5?"),
        ] {
            assert_eq!(arithmetic(text), want, "{text}");
        }
    }

    /// What is not surely one product stays in words.
    #[test]
    fn phrases_without_one_reading_stay_in_words() {
        for text in [
            "The tenth of June",
            "The tenth of 5 runners",
            "a thirds of 9",
            "2 third of 9",
            "0 halves of 4",
            "two halves of the cake",
            "half of them",
            "2.1/3 of 27",
            "twice as many as 4",
            "double-check 4",
            "a hundredth of 5",
            // Something after the number that binds it first.
            "What is 15% of 80 squared?",
            "What is half of 3 + 5?",
            "What is half of 10 minus 2?",
            "What is twice 3 squared?",
            "What is half of 2**3?",
            "What is half of 7 % 4?",
            "What is 5-10% of 200?",
            "What is 10 / 2 of 5?",
            // Right after another number.
            "What is 1 1/2 of 10?",
            "What is 2 1/2 dozen?",
            "What is 1/2 a dozen?",
        ] {
            assert!(
                !crate::router::is_formula(text),
                "{text} is read as a formula: {}",
                arithmetic(text)
            );
        }
        for q in [
            "Is twice 3 squared equal to 36?",
            "Is 15% of 80 squared more than 100?",
            "Is 1 1/2 of 10 more than 14?",
        ] {
            assert_eq!(crate::routes::compare::read(q), None, "{q}");
        }
    }
}
