//! The arithmetic check: find the calculations a model wrote in prose
//! (`5×20 + 3×30 + 2×45 = 280`), recompute each in the sandbox, and catch
//! the flinch — a stated result that is wrong, or a final answer that no
//! correct calculation supports while the last calculation is right.

use std::sync::LazyLock;

use flinch_sandbox::Sandbox;
use regex::Regex;
use serde::Serialize;

/// One `expression = result` written in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Equation {
    /// As written.
    pub written: String,
    /// The left side in the sandbox language.
    pub expression: String,
    pub stated: String,
    /// The sandbox's value, when it could compute one.
    pub computed: Option<String>,
    /// Byte range of the stated result in the text.
    #[serde(skip)]
    pub stated_at: (usize, usize),
}

impl Equation {
    pub fn is_wrong(&self) -> bool {
        self.computed
            .as_ref()
            .is_some_and(|c| !same_number(c, &self.stated))
    }
}

static EQUATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<lhs> [$(]* \d [\d.,$\ ()]* (?: [-+*/×÷x] [\ $(]* \d [\d.,$\ ()]* )+ )
        = \s* \$? \s*
        (?P<rhs> -? \d[\d,]* (?: \.\d+ )? )",
    )
    .expect("equation pattern is valid")
});

static TIMES_X: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d|\))\s*x\s*(\d|\(|\$)").expect("pattern is valid"));

/// The calculations in `text`, each recomputed.
pub fn equations(text: &str, sandbox: &Sandbox) -> Vec<Equation> {
    EQUATION
        .captures_iter(text)
        .filter_map(|c| {
            let lhs = c.name("lhs")?;
            let rhs = c.name("rhs")?;
            let expression = to_program(lhs.as_str());
            // A bare number with separators is not a calculation.
            if !expression.contains(['+', '-', '*', '/']) {
                return None;
            }
            let computed = sandbox.eval(&expression).ok().map(|v| v.decimal);
            Some(Equation {
                written: c.get(0)?.as_str().trim().to_owned(),
                expression,
                stated: rhs.as_str().replace(',', ""),
                computed,
                stated_at: (rhs.start(), rhs.end()),
            })
        })
        .collect()
}

fn to_program(lhs: &str) -> String {
    let s = lhs.replace('×', "*").replace('÷', "/").replace('$', "");
    let s = TIMES_X.replace_all(&s, "$1*$2").into_owned();
    let s = TIMES_X.replace_all(&s, "$1*$2").into_owned();
    // Thousands separators (1,000) only; a comma elsewhere ends nothing here.
    let s = Regex::new(r"(\d),(\d{3})")
        .expect("pattern is valid")
        .replace_all(&s, "$1$2")
        .into_owned();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c| c == ',' || c == '.')
        .trim()
        .to_owned()
}

/// Whether two decimal strings denote the same number.
pub fn same_number(a: &str, b: &str) -> bool {
    match (
        a.replace(',', "").parse::<f64>(),
        b.replace(',', "").parse::<f64>(),
    ) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => a == b,
    }
}

/// What the check concluded about a text and its final answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArithReport {
    pub equations: Vec<Equation>,
    /// The final answer the text stated.
    pub stated_answer: Option<String>,
    /// The answer the calculations support, when it differs from the stated one.
    pub corrected_answer: Option<String>,
}

/// Check the calculations of `text` whose final answer is `answer`.
///
/// The corrected answer is the recomputed value of the equation whose stated
/// result is the final answer, when that equation is wrong; otherwise, when
/// the final answer appears in no equation and the last equation is right,
/// the last equation's value (the model computed it and then wrote another
/// number).
pub fn check(text: &str, answer: Option<&str>, sandbox: &Sandbox) -> ArithReport {
    let equations = equations(text, sandbox);
    let corrected = answer.and_then(|a| {
        if let Some(eq) = equations.iter().rev().find(|e| same_number(&e.stated, a)) {
            return eq.computed.clone().filter(|c| !same_number(c, a));
        }
        let last = equations.last()?;
        let value = last.computed.clone()?;
        (!last.is_wrong() && !same_number(&value, a)).then_some(value)
    });
    ArithReport {
        equations,
        stated_answer: answer.map(str::to_owned),
        corrected_answer: corrected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flinch_sandbox::{Limits, ModuleCache};

    fn sandbox() -> Sandbox {
        Sandbox::new(Limits::default(), &ModuleCache::Off).unwrap()
    }

    #[test]
    fn the_seed_flinch_is_caught() {
        let sb = sandbox();
        let text = "He spends 5×20 + 3×30 + 2×45 = 280 dollars. The answer is $245.";
        let report = check(text, Some("245"), &sb);
        assert_eq!(report.equations.len(), 1);
        assert_eq!(report.equations[0].expression, "5*20 + 3*30 + 2*45");
        assert_eq!(report.equations[0].computed.as_deref(), Some("280"));
        assert!(!report.equations[0].is_wrong());
        assert_eq!(report.corrected_answer.as_deref(), Some("280"));
    }

    #[test]
    fn a_wrong_stated_result_is_recomputed() {
        let sb = sandbox();
        let text = "Natalia sold 48/2 = 25 clips in May. In all 48 + 25 = 73. The answer is 73.";
        let report = check(text, Some("73"), &sb);
        assert!(report.equations[0].is_wrong());
        assert_eq!(report.equations[0].computed.as_deref(), Some("24"));
        // The final answer's own equation (48 + 25 = 73) is right given its inputs.
        assert_eq!(report.corrected_answer, None);
        let text = "So 12 x 5 = $50. The answer is 50.";
        let report = check(text, Some("50"), &sb);
        assert_eq!(report.equations[0].expression, "12*5");
        assert_eq!(report.corrected_answer.as_deref(), Some("60"));
    }

    #[test]
    fn consistent_text_is_left_alone() {
        let sb = sandbox();
        let text = "1,200 + 300 = 1,500 so the answer is 1500.";
        let report = check(text, Some("1500"), &sb);
        assert_eq!(report.equations[0].expression, "1200 + 300");
        assert_eq!(report.corrected_answer, None);
        assert!(check("No numbers here.", None, &sb).equations.is_empty());
        assert!(
            check("It was 2,000 people = a crowd.", None, &sb)
                .equations
                .is_empty()
        );
    }
}
