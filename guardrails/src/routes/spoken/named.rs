//! Operations called by name: "the sum of 3, 5 and 9" → `(3 + 5 + 9)`,
//! "the average of 4, 8 and 12" → `((4 + 8 + 12) / 3)`, "the product of 3
//! and 4" → `(3 * 4)`, "the square root of 144" → `sqrt(144)`, "the
//! remainder when 17 is divided by 5" → `(17 % 5)`, "2 to the power of 10"
//! → `(2 ^ 10)`, "8 to the power of 1/3" → `(8 ^ (1/3))`, "negative 3" →
//! `(-3)`. Like the phrases of [`super::phrases`],
//! each is written in brackets, and one whose numbers something after it
//! would bind first ("the sum of 3 and 5 squared", "the square root of 16
//! plus 9", "the sum of 3 and 5 times 2") is left in words; only a product
//! may be followed by another product or a quotient.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::bare;
use super::phrases::{after_number, ends_safely, operand};

/// A number as the rewrites before leave it: digits, or a negative number
/// in brackets.
const NUMBER: &str = r"(?:\d+(?:\.\d+)?|\(-\d+(?:\.\d+)?\))";

/// "the sum of 3, 5 and 9": the name, then two numbers or more separated
/// by a comma and a space, or "and" ("1,5" may be a decimal comma).
static LIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(?:the\s+)?(?P<name>sum|total|product|average|mean)\s+of\s+(?P<list>{NUMBER}(?:(?:,\s+(?:and\s+)?|\s+and\s+){NUMBER})+)"
    ))
    .expect("list pattern is valid")
});

/// What separates the numbers of a [`LIST`].
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i),\s+(?:and\s+)?|\s+and\s+").expect("separator pattern is valid")
});

/// A comma between digits in the question as written: a thousands
/// separator or a decimal comma, or a list without spaces. A question with
/// one has its lists left in words.
static DIGIT_COMMA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d,\d").expect("comma pattern is valid"));

/// "the remainder when 17 is divided by 5", "the remainder of 17 divided
/// by 5", of whole numbers not below zero (the remainder of a division by
/// a negative number has two conventions).
static REMAINDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:the\s+)?remainder\s+(?:when|of)\s+(?P<a>\d+)\s+(?:is\s+)?divided\s+by\s+(?P<b>\d+)",
    )
    .expect("remainder pattern is valid")
});

/// "to the power of", "raised to the power", "to the 5th power" (the
/// exponent in group `n`).
static POWER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s+(?:(?:raised\s+)?to\s+the\s+power\s+(?:of\s+)?|to\s+the\s+(?P<n>\d+)(?:st|nd|rd|th)\s+power\b)",
    )
    .expect("power pattern is valid")
});

/// A simple fraction at the start of a text, written close (`1/3`; `2 / 3`
/// may be a division after the power).
static FRACTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d+/\d+").expect("fraction pattern is valid"));

/// "the square root of", "square root of", "√" before a number or bracket.
static ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\b(?:the\s+)?square\s+root\s+of\s+|√\s*)").expect("root pattern is valid")
});

/// "the factorial of 7", "7 factorial", "7!" (the mark in group `bang`).
static FACTORIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?P<of>(?:the\s+)?factorial\s+of\s+)|\s+factorial\b|(?P<bang>!)")
        .expect("factorial pattern is valid")
});

/// Negative numbers in digits, and remainders as an operator.
static OPERATORS: LazyLock<[(Regex, &'static str); 2]> = LazyLock::new(|| {
    [
        (r"(?i)\bnegative\s+(\d+(?:\.\d+)?)\b", "(-$1)"),
        (r"(?i)\s+(?:mod|modulo)\s+", " % "),
    ]
    .map(|(p, to)| (Regex::new(p).expect("operator pattern is valid"), to))
});

/// `text` with the operations called by name written as formulas;
/// `written` is the question as the user wrote it.
pub(super) fn named(text: &str, written: &str) -> String {
    let mut text = text.to_owned();
    for (pattern, to) in OPERATORS.iter() {
        text = pattern.replace_all(&text, *to).into_owned();
    }
    let text = powers(&text);
    if DIGIT_COMMA.is_match(written) {
        let text = whole(
            &text,
            &REMAINDER,
            |_| false,
            |c| format!("({} % {})", &c["a"], &c["b"]),
        );
        return factorials(&roots(&text));
    }
    let text = whole(
        &text,
        &LIST,
        |c| c["name"].eq_ignore_ascii_case("product"),
        |c| {
            let items: Vec<&str> = SEPARATOR.split(&c["list"]).collect();
            let joined = |op: &str| items.join(op);
            match c["name"].to_lowercase().as_str() {
                "sum" | "total" => format!("({})", joined(" + ")),
                "product" => format!("({})", joined(" * ")),
                _ => format!("(({}) / {})", joined(" + "), items.len()),
            }
        },
    );
    let text = whole(
        &text,
        &REMAINDER,
        |_| false,
        |c| format!("({} % {})", &c["a"], &c["b"]),
    );
    factorials(&roots(&text))
}

/// Factorials as `factorial(…)`, the last first: "the factorial of 7"
/// where what follows leaves it whole, "7 factorial" and "7!" of the
/// number or bracket before (a postfix binds first: "2 + 3!" is 2 + 6).
/// A `!` is read only before a question mark, a bracket, an operator or a
/// comparison, not at the end of a sentence, where it may be an
/// exclamation, nor in `!=`.
fn factorials(text: &str) -> String {
    let mut text = text.to_owned();
    loop {
        // The last match that is not a `factorial(` already written.
        let Some(c) = FACTORIAL
            .captures_iter(&text)
            .filter(|c| {
                c.name("of").is_some()
                    || c.name("bang").is_some()
                    || !text[c.get(0).map_or(0, |m| m.end())..].starts_with('(')
            })
            .last()
        else {
            return text;
        };
        let Some(m) = c.get(0) else {
            return text;
        };
        let (before, rest) = (&text[..m.start()], &text[m.end()..]);
        let read = if c.name("of").is_some() {
            operand(rest)
                .filter(|&len| ends_safely(&rest[len..], false))
                .map(|len| format!("{before}factorial({}){}", bare(&rest[..len]), &rest[len..]))
        } else {
            postfix(before, rest, c.name("bang").is_some())
        };
        match read {
            Some(read) => text = read,
            None => return text,
        }
    }
}

/// "7!" or "7 factorial" as `factorial(7)`, where `before` ends with the
/// number or bracket and `rest` follows the mark or word. Not read: a `!`
/// at the end of the sentence or in `!=`, or right before the final `?`
/// after other numbers ("What is 5 + 3!?" may be an exclamation); a
/// negative number ("negative 3!" is −6 or no value); a number after a
/// power (`2^3!`).
fn postfix(before: &str, rest: &str, bang: bool) -> Option<String> {
    let len = operand_before(before)?;
    let (head, base) = before.split_at(before.len() - len);
    // Of a close fraction only the denominator: "6/3!" is 6/3! = 1.
    let (head, base) = match base.rfind('/') {
        Some(at) if !base.starts_with('(') => before.split_at(head.len() + at + 1),
        _ => (head, base),
    };
    let h = head.trim_end();
    if base.starts_with("(-") || h.ends_with('^') || h.ends_with("**") {
        return None;
    }
    if bang {
        let next = rest.trim_start();
        let closes = next.starts_with(['?', ')', '*', '/', '+', '-', '<', '>', '=']);
        let last = next.trim_end() == "?" && h.contains(|c: char| c.is_ascii_digit());
        if rest.starts_with('=') || !closes || last {
            return None;
        }
    }
    Some(format!("{head}factorial({}){rest}", bare(base)))
}

/// Each match of `pattern` written as `to` makes it, where what follows
/// leaves it whole ([`ends_safely`]; `product` says whether the match is a
/// product).
fn whole(
    text: &str,
    pattern: &Regex,
    product: impl Fn(&Captures<'_>) -> bool,
    to: impl Fn(&Captures<'_>) -> String,
) -> String {
    pattern
        .replace_all(text, |c: &Captures<'_>| {
            let end = c.get(0).map_or(0, |m| m.end());
            if ends_safely(&text[end..], product(c)) {
                to(c)
            } else {
                c[0].to_owned()
            }
        })
        .into_owned()
}

/// The length of the number, simple fraction (`3/4`) or bracketed group
/// that `before` ends with.
pub(super) fn operand_before(before: &str) -> Option<usize> {
    let b = before.as_bytes();
    let mut i = b.len();
    if b.last() == Some(&b')') {
        let mut depth = 0usize;
        while i > 0 {
            i -= 1;
            match b[i] {
                b')' => depth += 1,
                b'(' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(b.len() - i);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        i -= 1;
    }
    if i == b.len() || !b[i].is_ascii_digit() {
        return None;
    }
    // A fraction: digits, a slash, digits.
    let mut j = i;
    if j > 0 && b[j - 1] == b'/' {
        j -= 1;
        let end = j;
        while j > 0 && b[j - 1].is_ascii_digit() {
            j -= 1;
        }
        if j == end {
            return None;
        }
        i = j;
    }
    Some(b.len() - i)
}

/// Whether what stands before a power's base could take the base first:
/// a division, product, power or remainder, in symbols or words ("8
/// divided by 2 to the power of 2"); a sign ("-2", "minus 2", not
/// "10 - 2"); a part, multiple, root or other power of it ("15% of 80 to
/// the power of 2", "twice 3 …", "the square root of 4 …", "2 to the
/// power of 3 to the power of 2"); a function's name before its bracket.
pub(super) fn binds_first(head: &str) -> bool {
    let h = head.trim_end();
    let lower = h.to_lowercase();
    let word = lower
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    let before_sign = |sign: &str| {
        let b = h[..h.len() - sign.len()].trim_end();
        !b.ends_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | ')'))
    };
    h.ends_with(['/', '^', '*', '%', '÷', '×', '√'])
        || (h.ends_with('-') && before_sign("-"))
        || (word == "minus" && before_sign("minus"))
        || (word == "of" && !lower.ends_with("value of"))
        || [
            "by",
            "times",
            "twice",
            "double",
            "triple",
            "thrice",
            "power",
            "sqrt",
            "factorial",
        ]
        .contains(&word)
}

/// "2 to the power of 10" as `(2 ^ 10)`, the last first, where both the
/// base and the exponent are one number, simple fraction or bracket and
/// nothing around binds them first: not after a division, a power or a
/// sign ("-2 to the power of 2"), and followed by no more than a
/// comparison ("2 to the power of 3 squared", "… plus 1" stay in words).
fn powers(text: &str) -> String {
    let mut text = text.to_owned();
    loop {
        let Some(c) = POWER.captures_iter(&text).last() else {
            return text;
        };
        let Some(m) = c.get(0) else {
            return text;
        };
        let before = &text[..m.start()];
        let rest = &text[m.end()..];
        let (exponent, len) = match c.name("n") {
            Some(n) => (n.as_str().to_owned(), 0),
            None => match FRACTION.find(rest) {
                Some(f) => (format!("({})", f.as_str()), f.end()),
                None => match operand(rest) {
                    Some(len) => (rest[..len].to_owned(), len),
                    None => return text,
                },
            },
        };
        let Some(blen) = operand_before(before) else {
            return text;
        };
        let (head, base) = before.split_at(before.len() - blen);
        if binds_first(head) || !ends_safely(&rest[len..], false) {
            return text;
        }
        let base = if base.contains('/') && !base.starts_with('(') {
            format!("({base})")
        } else {
            base.to_owned()
        };
        text = format!("{head}({base} ^ {exponent}){}", &rest[len..]);
    }
}

/// Square roots of a number or a bracket as `sqrt(…)`, the last first (so
/// that "the square root of the square root of 16" reads), where what
/// follows leaves the root whole, and `√` not right after a number (`3√3`).
fn roots(text: &str) -> String {
    let mut text = text.to_owned();
    loop {
        let Some(m) = ROOT.find_iter(&text).last() else {
            return text;
        };
        let rest = &text[m.end()..];
        let Some(len) = operand(rest).filter(|&len| ends_safely(&rest[len..], false)) else {
            return text;
        };
        if after_number(&text[..m.start()]) {
            return text;
        }
        let inner = bare(&rest[..len]);
        text = format!("{}sqrt({inner}){}", &text[..m.start()], &rest[len..]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::arithmetic;

    #[test]
    fn operations_called_by_name_become_formulas() {
        for (text, want) in [
            ("What is the sum of 3, 5 and 9?", "What is (3 + 5 + 9)?"),
            ("What is the sum of 3, 5, and 9?", "What is (3 + 5 + 9)?"),
            ("the total of 4 and negative 6", "(4 + (-6))"),
            ("What is the product of 3 and 4?", "What is (3 * 4)?"),
            (
                "What is the average of 4, 8 and 12?",
                "What is ((4 + 8 + 12) / 3)?",
            ),
            ("the mean of 1.5 and 2.5", "((1.5 + 2.5) / 2)"),
            (
                "What is the remainder when 17 is divided by 5?",
                "What is (17 % 5)?",
            ),
            ("the remainder of 17 divided by 5", "(17 % 5)"),
            ("What is 17 mod 5?", "What is 17 % 5?"),
            ("What is the square root of 144?", "What is sqrt(144)?"),
            ("square root of (9 + 16)", "sqrt(9 + 16)"),
            ("the square root of the square root of 16", "sqrt(sqrt(16))"),
            ("√49", "sqrt(49)"),
            ("the product of 3 and 4 times 2", "(3 * 4) * 2"),
            ("What is 2 to the power of 10?", "What is (2 ^ 10)?"),
            ("3 raised to the power 4", "(3 ^ 4)"),
            ("2 to the 5th power", "(2 ^ 5)"),
            ("What is 8 to the power of 1/3?", "What is (8 ^ (1/3))?"),
            ("3/4 to the power of 2", "((3/4) ^ 2)"),
            ("(1 + 1) to the power of (2 + 1)", "((1 + 1) ^ (2 + 1))"),
            ("negative 2 to the power of 2", "((-2) ^ 2)"),
            ("10 - 2 to the power of 3", "10 - (2 ^ 3)"),
            ("10 minus 2 to the power of 3", "10 - (2 ^ 3)"),
            ("What is 7 factorial?", "What is factorial(7)?"),
            ("What is 7!?", "What is factorial(7)?"),
            ("What is the factorial of 5?", "What is factorial(5)?"),
            ("What is 2 + 3! * 2?", "What is 2 + factorial(3) * 2?"),
            ("(1 + 2) factorial", "factorial(1 + 2)"),
            ("What is 6/3! + 1?", "What is 6/factorial(3) + 1?"),
            ("12! / 10! = 132", "factorial(12) / factorial(10) = 132"),
            (
                "What is the value of 2 to the power of 10?",
                "What is the value of (2 ^ 10)?",
            ),
            ("What is 5 minus negative 3?", "What is 5 - (-3)?"),
            (
                "Is the sum of 2 and 2 equal to 4?",
                "Is (2 + 2) equal to 4?",
            ),
        ] {
            assert_eq!(arithmetic(text), want, "{text}");
        }
    }

    /// A name whose numbers something after it binds first, or that is
    /// not of numbers, stays in words.
    #[test]
    fn names_without_one_reading_stay_in_words() {
        for text in [
            "What is the sum of 3 and 5 squared?",
            "What is the average of 4 and 8 plus 2?",
            "What is the square root of 16 plus 9?",
            "What is the square root of 16 times 2?",
            "What is the sum of 3 and 5 times 2?",
            "What is the average of 4 and 8 divided by 2?",
            "What is the sum of the first 10 numbers?",
            "What is the sum of 3?",
            "What is the product of apples and pears?",
            "What is the remainder when 17 is divided by 5 squared?",
            "What is the remainder when 7 is divided by negative 3?",
            "What is the sum of 1,5 and 2,5?",
            "What is the average of 2,5 and 3,5?",
            "What is the sum of 100,200 and 300?",
            "What is 2 to the power of 3 squared?",
            "What is 2 cubed to the power of 2?",
            "What is 2 to the power of 3 plus 1?",
            "What is 2 to the power of 3 times 4?",
            "What is -2 to the power of 2?",
            "What is 1/2 to the power of 2 / 3?",
            "Is 3√3 less than 6?",
            "What is 15% of 80 to the power of 2?",
            "What is twice 3 to the power of 2?",
            "What is 2 to the power of 3 to the power of 2?",
            "What is minus 2 to the power of 2?",
            "What is sqrt(-4) to the power of 2?",
            "What is the square root of negative 4 to the power of 2?",
            "What is 1/-2 to the power of 2?",
            "What is 8 ÷ 2 to the power of 2?",
            "What is 5 + 3!",
            "What is the factorial of 3 plus 1?",
            "Is 5!= 3?",
            "What is 8 divided by 2 to the power of 2?",
            "What is 5 times 2 to the power of 3?",
            "What is 5 + 3!?",
            "What is 6/3!?",
            "What is 2^3 factorial?",
            "What is negative 3!?",
            "What is 3/4 squared?",
            "What is 2/3 cubed?",
            "What is -3 squared?",
            "What is minus 3 squared?",
            "What is 8 divided by 2 squared?",
            "What is 2-1/2 times 4?",
        ] {
            assert!(
                !crate::router::is_formula(text),
                "{text} is read as a formula: {}",
                arithmetic(text)
            );
        }
        for q in ["Is sqrt 16 greater than 3?", "Is √27 equal to 3√3?"] {
            assert_eq!(crate::routes::compare::read(q), None, "{q}");
        }
    }
}
