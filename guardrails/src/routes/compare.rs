//! Yes/no questions that compare two formulas ("Is 17 * 23 greater than
//! 400?", "Is 144 divisible by 12?"): read without the model, both sides
//! computed in the sandbox, the answer decided by the exact values.

use std::sync::LazyLock;

use flinch_sandbox::{Assignment, ROOT_DIGITS, Value, ValueKind};
use regex::Regex;

use super::spoken::bare;

/// How the two sides are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Greater,
    Less,
    AtLeast,
    AtMost,
    Equal,
    /// The left side is a whole multiple of the right (both whole numbers).
    Divisible,
}

impl Relation {
    /// The relation as the answer states it.
    fn phrase(self) -> &'static str {
        match self {
            Relation::Greater => "greater than",
            Relation::Less => "less than",
            Relation::AtLeast => "at least",
            Relation::AtMost => "at most",
            Relation::Equal => "equal to",
            Relation::Divisible => "divisible by",
        }
    }
}

/// A comparison read from a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The two sides, in the sandbox's syntax.
    pub left: String,
    pub right: String,
    pub relation: Relation,
    /// The question asks whether the relation does not hold ("Is 3 not
    /// greater than 4?").
    pub negated: bool,
    /// The two sides as the question writes them, with numbers and operators
    /// in words as digits and symbols and without thousands separators.
    pub written: (String, String),
}

/// One side: digits, operators, brackets, square roots and factorials,
/// with at least one digit.
const SIDE: &str =
    r"((?:[-+*/%().\d\s^×÷]|sqrt\(|factorial\()*\d(?:[-+*/%().\d\s^×÷]|sqrt\(|factorial\()*?)";

static QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    let relation = r"(greater than or equal to|less than or equal to|greater than|more than|bigger than|larger than|less than|smaller than|at least|at most|equal to|the same as|divisible by|a multiple of|>=|<=|==|=|>|<)";
    Regex::new(&format!(
        r"(?i)^\s*(?:is|are|isn['’]t|aren['’]t)\s+{SIDE}\s+(not\s+)?{relation}\s+{SIDE}\s*\?\s*$"
    ))
    .expect("comparison pattern is valid")
});

/// `does 2^10 equal 1024?`
static EQUALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^\s*does\s+{SIDE}\s+equal\s+{SIDE}\s*\?\s*$"))
        .expect("comparison pattern is valid")
});

/// A formula as written in a question (`×`, `÷`, `^`) in the sandbox's
/// syntax (`*`, `/`, `**`).
pub fn program_symbols(formula: &str) -> String {
    formula
        .replace('×', "*")
        .replace('÷', "/")
        .replace('^', "**")
}

/// The comparison a question asks about, if it is one of two formulas
/// (numbers in digits or words, operators as symbols or words: `seventeen
/// times 23`; see [`super::spoken`]).
pub fn read(question: &str) -> Option<Comparison> {
    let question = super::spoken::arithmetic(question);
    let question = question.as_str();
    // A side that starts or ends with an operator is a sentence read as a
    // formula ("Is three times more than two?"), not a formula.
    let side = |s: &str| {
        let s = program_symbols(s.trim());
        let open = s.ends_with(['+', '-', '*', '/', '%', '(']);
        let dangling = s.starts_with(['*', '/', '%', ')']);
        (!s.is_empty() && !open && !dangling).then_some(s)
    };
    let comparison = |l: &str, relation, negated, r: &str| {
        Some(Comparison {
            left: side(l)?,
            right: side(r)?,
            relation,
            negated,
            written: (bare(l.trim()).to_owned(), bare(r.trim()).to_owned()),
        })
    };
    if let Some(c) = EQUALS.captures(question) {
        return comparison(&c[1], Relation::Equal, false, &c[2]);
    }
    let c = QUESTION.captures(question)?;
    let relation = match c[3].to_lowercase().as_str() {
        "greater than" | "more than" | "bigger than" | "larger than" | ">" => Relation::Greater,
        "less than" | "smaller than" | "<" => Relation::Less,
        "greater than or equal to" | "at least" | ">=" => Relation::AtLeast,
        "less than or equal to" | "at most" | "<=" => Relation::AtMost,
        "equal to" | "the same as" | "=" | "==" => Relation::Equal,
        "divisible by" | "a multiple of" => Relation::Divisible,
        _ => return None,
    };
    comparison(&c[1], relation, c.get(2).is_some(), &c[4])
}

impl Comparison {
    /// The program the sandbox runs: both sides by name, then the value
    /// that decides (their difference, or their quotient for divisibility).
    pub fn program(&self) -> String {
        let decide = match self.relation {
            Relation::Divisible => "left / right",
            _ => "left - right",
        };
        format!("left = {}\nright = {}\n{decide}", self.left, self.right)
    }

    /// The answer from the sandbox's result of [`Comparison::program`]:
    /// "Yes" or "No" with the two values, or why it cannot be decided (the
    /// sandbox's error, or divisibility of numbers that are not whole).
    pub fn verdict(&self, result: &Result<Value, impl std::fmt::Display>) -> String {
        let value = match result {
            Ok(v) => v,
            Err(e) => return format!("That cannot be decided: {e}."),
        };
        let named = |name: &str| value.assignments.iter().find(|a| a.name == name);
        let (Some(left), Some(right)) = (named("left"), named("right")) else {
            return "That cannot be decided: the sandbox did not return both sides.".to_owned();
        };
        // Whole and terminating values as decimals, others as fractions.
        let rendered = |a: &Assignment| match a.kind {
            ValueKind::Integer | ValueKind::Decimal => a.decimal.clone(),
            _ => a.exact.clone(),
        };
        let (lv, rv) = (rendered(left), rendered(right));
        let holds = match self.relation {
            Relation::Divisible => {
                if left.kind != ValueKind::Integer || right.kind != ValueKind::Integer {
                    return format!(
                        "That cannot be decided: divisibility is for whole numbers, and the sides are {lv} and {rv}."
                    );
                }
                value.kind == ValueKind::Integer
            }
            _ if near_zero(value, left, right) => {
                return format!(
                    "That cannot be decided exactly: the two sides, {lv} and {rv}, agree to 20 digits, and the \
                     sandbox computes square roots to {ROOT_DIGITS} digits."
                );
            }
            relation => {
                let sign = if value.exact == "0" {
                    0
                } else if value.exact.starts_with('-') {
                    -1
                } else {
                    1
                };
                match relation {
                    Relation::Greater => sign > 0,
                    Relation::Less => sign < 0,
                    Relation::AtLeast => sign >= 0,
                    Relation::AtMost => sign <= 0,
                    _ => sign == 0,
                }
            }
        };
        let shown = |written: &str, v: &str| {
            if written.replace(' ', "") == v {
                v.to_owned()
            } else {
                format!("{written} = {v}")
            }
        };
        let (l, r) = (shown(&self.written.0, &lv), shown(&self.written.1, &rv));
        let not = if holds { "" } else { "not " };
        format!(
            "{}: {l} is {not}{} {r}.",
            if holds != self.negated { "Yes" } else { "No" },
            self.relation.phrase()
        )
    }
}

/// Whether the difference of two sides went through an irrational root and
/// is within the roots' truncation of zero (`sqrt(27)` against `3 *
/// sqrt(3)`): its sign then says nothing.
fn near_zero(diff: &Value, left: &Assignment, right: &Assignment) -> bool {
    if diff.kind != ValueKind::Approximate {
        return false;
    }
    let num = |s: &str| s.parse::<f64>().map(f64::abs).unwrap_or(f64::INFINITY);
    let scale = num(&left.decimal).max(num(&right.decimal)).max(1.0);
    // Beyond a float's range the test says nothing: the sign decides.
    scale.is_finite() && num(&diff.decimal) <= 1e-20 * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_of_two_formulas_are_read() {
        use Relation::*;
        for (q, left, relation, right) in [
            ("Is 17 * 23 greater than 400?", "17 * 23", Greater, "400"),
            ("is 144 divisible by 12?", "144", Divisible, "12"),
            ("Is 2^10 equal to 1024?", "2**10", Equal, "1024"),
            ("Does 2^10 equal 1024?", "2**10", Equal, "1024"),
            ("Is (3 + 4) × 5 <= 35 ?", "(3 + 4) * 5", AtMost, "35"),
            ("Is 0.1 + 0.2 at least 0.3?", "0.1 + 0.2", AtLeast, "0.3"),
            (
                "Is 17 times 23 more than 20 squared?",
                "17 * 23",
                Greater,
                "20**2",
            ),
            (
                "Is 100 divided by 8 minus 2 less than 10 plus 1?",
                "100 / 8 - 2",
                Less,
                "10 + 1",
            ),
            (
                "Is seventeen times four greater than sixty?",
                "17 * 4",
                Greater,
                "60",
            ),
            (
                "Is 1,234,567 more than 999,999 * 2?",
                "1234567",
                Greater,
                "999999 * 2",
            ),
        ] {
            let c = read(q).unwrap_or_else(|| panic!("{q}"));
            assert_eq!(
                (c.left.as_str(), c.relation, c.right.as_str(), c.negated),
                (left, relation, right, false),
                "{q}"
            );
        }
        let negated = read("Is 17 * 23 not greater than 400?").unwrap();
        assert!(negated.negated && negated.relation == Greater);
        // "Isn't … ?" asks what "Is … ?" asks: whether the relation holds.
        for q in ["Isn't 17 greater than 3?", "Aren’t 5 * 4 at least 20?"] {
            let (is, isnt) = (
                read(&q.replace("Isn't", "Is").replace("Aren’t", "Are")),
                read(q),
            );
            assert!(is.is_some() && isnt == is, "{q}: {isnt:?}");
        }
    }

    #[test]
    fn other_questions_are_not_read() {
        for q in [
            "Is Paris bigger than 400 km?",
            "Is 3 greater than 2? Explain.",
            "What is 17 * 23?",
            "Is it true that 3 > 2?",
            "Is 1,5 greater than 1?",
            "Is three times more than two?",
            "Is 3 times more than 2?",
        ] {
            assert_eq!(read(q), None, "{q}");
        }
    }
}
